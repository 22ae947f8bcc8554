import { spawn } from "node:child_process";
import WebSocket from "ws";
const port = 41997;
const w = spawn("../../node_modules/.bin/wrangler", ["dev", "--port", String(port), "--ip", "127.0.0.1"], { cwd: new URL("./bare", import.meta.url).pathname, stdio: "ignore", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
for (let i = 0; i < 100; i++) { try { await fetch(`http://127.0.0.1:${port}/`); break; } catch { await new Promise((r) => setTimeout(r, 300)); } }
const rooms = Number(process.argv[2]), per = Number(process.argv[3]), rate = Number(process.argv[4]);
const lat: number[] = [];
const socks: WebSocket[] = [];
for (let r = 0; r < rooms; r++) socks.push(...(await Promise.all(Array.from({ length: per }, () => new Promise<WebSocket>((res) => { const s = new WebSocket(`ws://127.0.0.1:${port}/?room=r${r}`); s.on("open", () => res(s)); s.on("message", (d, bin) => { if (!bin) lat.push(Date.now() - JSON.parse(String(d)).at); }); })))));
await new Promise((r) => setTimeout(r, 500));
const count = rate * 4;
await Promise.all(Array.from({ length: rooms }, (_, r) => fetch(`http://127.0.0.1:${port}/start?rate=${rate}&count=${count}&room=r${r}`)));
await new Promise((r) => setTimeout(r, 7000));
lat.sort((a, b) => a - b);
const p = (q: number) => lat[Math.min(lat.length - 1, Math.ceil(q * lat.length) - 1)];
console.log(`rooms=${rooms}x${per} rate=${rate} frames/s=${rooms * per * rate} delivered=${((100 * lat.length) / (rooms * per * count)).toFixed(1)}% p50=${p(0.5)} p95=${p(0.95)} p99=${p(0.99)}`);
for (const s of socks) s.close();
w.kill();
