import { spawn } from "node:child_process";
import WebSocket from "ws";
const port = 41998;
const w = spawn("../../node_modules/.bin/wrangler", ["dev", "--port", String(port), "--ip", "127.0.0.1"], { cwd: new URL("./bare", import.meta.url).pathname, stdio: "ignore", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
for (let i = 0; i < 100; i++) { try { await fetch(`http://127.0.0.1:${port}/`); break; } catch { await new Promise((r) => setTimeout(r, 300)); } }
for (const [n, rate] of (process.argv[2] ?? "100:50,500:50,500:20,500:10,1000:10,1000:5").split(",").map((s) => s.split(":").map(Number))) {
  const lat: number[] = [];
  const socks = await Promise.all(Array.from({ length: n }, () => new Promise<WebSocket>((res) => { const s = new WebSocket(`ws://127.0.0.1:${port}/${process.env.PLAIN ? "?plain=1" : ""}`); s.on("open", () => res(s)); s.on("message", (d, bin) => { if (!bin) { const m = JSON.parse(String(d)); lat.push(Date.now() - m.at); } }); })));
  await new Promise((r) => setTimeout(r, 500));
  const count = rate * 4;
  await fetch(`http://127.0.0.1:${port}/start?rate=${rate}&count=${count}`);
  await new Promise((r) => setTimeout(r, 4000 + 3000));
  lat.sort((a, b) => a - b);
  const p = (q: number) => lat[Math.min(lat.length - 1, Math.ceil(q * lat.length) - 1)];
  console.log(`n=${n} rate=${rate}/s frames/s=${n * rate} delivered=${((100 * lat.length) / (n * count)).toFixed(1)}% p50=${p(0.5)} p95=${p(0.95)} p99=${p(0.99)}`);
  for (const s of socks) s.close();
  await new Promise((r) => setTimeout(r, 1000));
}
w.kill();
