import { startTandem, waitForSession } from "../bench/lib/stack";
import { now, openViewer } from "../bench/lib/viewers";
import { execSync } from "node:child_process";
const vars = JSON.parse(process.argv[2] ?? "{}");
const tandem = await startTandem({ vars, agentEnv: { ANTHROPIC_API_KEY: "" } });
try {
  const res = await tandem.api(tandem.owner, `/api/workspaces/${tandem.workspaceId}/sessions`, { timeoutSeconds: 1800 });
  const id = ((await res.json()) as any).session.id;
  await waitForSession(tandem, id, (s) => s.phase === "Running");
  for (const n of (process.argv[3] ?? "100,500").split(",").map(Number)) {
    for (const mode of ["ticket", "noplace", "noauth", "ticket"]) {
      const url = mode === "cookie" ? `${tandem.base.replace("http", "ws")}/parties/session-room/${id}` : (await tandem.socketURL(id)) + (mode === "ticket" ? "" : `&hack=${mode}`);
      const t0 = now();
      const vs = Array.from({ length: n }, () => openViewer(url, { kind: "tandem" }, { tokens: 1, headers: mode === "cookie" ? { cookie: tandem.viewer.cookie } : undefined }));
      const times = await Promise.all(vs.map((v) => v.synced));
      times.sort((a, b) => a - b);
      const opened = vs.map((v) => v.openedAt).sort((a, b) => a - b);
      console.log(mode, n, "opened: first", (opened[0] - t0).toFixed(0), "median", (opened[Math.floor(n / 2)] - t0).toFixed(0), "last", (opened.at(-1)! - t0).toFixed(0));
      console.log(mode, n, "all synced", (times.at(-1)! - t0).toFixed(0), "ms; median", (times[Math.floor(n / 2)] - t0).toFixed(0), "rss", (tandem.runtimeRSS() / 2 ** 20).toFixed(0), "MB");
      for (const v of vs) v.close();
      await new Promise((r) => setTimeout(r, 1500));
    }
  }
  console.log(execSync(`ps -o pid,ppid,rss,args --ppid ${process.pid} -N | grep -E "workerd|wrangler" | grep -v grep | cut -c1-200`).toString());
} finally { tandem.stop(); }
