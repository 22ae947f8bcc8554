import { spawn } from "node:child_process";
import { now, openViewer } from "../bench/lib/viewers";
const port = 41999;
const w = spawn("../../node_modules/.bin/wrangler", ["dev", "--port", String(port), "--ip", "127.0.0.1"], { cwd: new URL("./bare", import.meta.url).pathname, stdio: "ignore", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
for (let i = 0; i < 100; i++) { try { await fetch(`http://127.0.0.1:${port}/`); break; } catch { await new Promise((r) => setTimeout(r, 300)); } }
for (const n of [500, 500]) {
  const t0 = now();
  const vs = Array.from({ length: n }, () => openViewer(`ws://127.0.0.1:${port}/`, { kind: "tandem" }, { tokens: 1 }));
  const times = await Promise.all(vs.map((v) => v.synced));
  const opened = vs.map((v) => v.openedAt).sort((a, b) => a - b);
  console.log(n, "opened first", (opened[0] - t0).toFixed(0), "median", (opened[n >> 1] - t0).toFixed(0), "last", (opened.at(-1)! - t0).toFixed(0), "synced", (Math.max(...times) - t0).toFixed(0));
  for (const v of vs) v.close();
  await new Promise((r) => setTimeout(r, 1000));
}
w.kill();
