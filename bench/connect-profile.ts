/**
 * Where connecting N viewers spends workerd's time: Tandem through Miniflare with workerd's inspector
 * open, a CPU profile of the Worker's isolate (the Worker and every Durable Object) taken while N viewers
 * connect and sync, and the functions with the most time of their own. Figures, not a test. With
 * `--stream <n>` it profiles instead the room streaming n tokens at 50 a second to the viewers connected,
 * the bench being the agent (the scriptable agent host's /stream), as `bench:fanout`'s `room` variant.
 *   npx tsx bench/connect-profile.ts [--viewers 1000] [--stream 250]
 */
import WebSocket from "ws";
import { ensureDevVars } from "../scripts/stack.mjs";
import { startFakeAgentHost } from "../test/fakes/agent-host";
import { startFakeAnthropic } from "../test/fakes/anthropic";
import { freePort } from "../test/harness/ports.ts";
import { TOKEN_INTERVAL_MS, connectAll, settle } from "./lib/fanout";
import { startTandem, waitForSession } from "./lib/stack";
import { openViewer } from "./lib/viewers";

const arg = (name: string) => Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) || 0;
const VIEWERS = arg("viewers") || 1000;
const STREAM = process.argv.includes("--stream") ? arg("stream") || 250 : 0;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** A DevTools protocol session with one inspector target. */
async function devtools(port: number) {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
    webSocketDebuggerUrl: string;
    title: string;
  }[];
  const target = targets.find((t) => t.title.includes("tandem")) ?? targets[0];
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  let next = 0;
  const waiting = new Map<number, (result: unknown) => void>();
  socket.on("message", (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) waiting.get(message.id)?.(message.result);
  });
  const send = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve) => {
      const id = ++next;
      waiting.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  return { send, close: () => socket.close(), title: target.title };
}

async function main() {
  const inspectorPort = await freePort();
  process.env.BENCH_INSPECTOR_PORT = String(inspectorPort);
  const anthropic = await startFakeAnthropic({});
  // Streaming, the bench is the agent: what is profiled is the room's own work per token.
  const agentKey = ensureDevVars(8788).AGENT_KEY;
  const agentHost = STREAM ? await startFakeAgentHost(agentKey) : null;
  const tandem = await startTandem({
    path: "miniflare",
    agentEnv: { ANTHROPIC_API_KEY: "bench", ANTHROPIC_BASE_URL: anthropic.url },
    ...(agentHost && { agentURL: `http://127.0.0.1:${agentHost.port}`, agentKey }),
  });
  try {
    const { owner, workspaceId } = tandem;
    const res = await tandem.api(owner, `/api/workspaces/${workspaceId}/sessions`, { timeoutSeconds: 1800 });
    const sessionId = ((await res.json()) as { session: { id: string } }).session.id;
    await waitForSession(tandem, sessionId, (s) => s.phase === "Running" && s.agentStatus === "idle");
    const url = await tandem.socketURL(sessionId);
    const inspector = await devtools(inspectorPort);
    await inspector.send("Profiler.enable");
    await inspector.send("Profiler.setSamplingInterval", { interval: 200 });
    if (!STREAM) await inspector.send("Profiler.start");
    const { viewers, connectMs } = await connectAll(VIEWERS, () =>
      openViewer(url, { kind: "tandem" }, { tokens: STREAM, firstToken: 1 }),
    );
    if (STREAM) {
      await settle(500);
      await inspector.send("Profiler.start");
      await tandem.api(owner, `/api/workspaces/${workspaceId}/sessions/${sessionId}/messages`, {
        text: `/stream ${TOKEN_INTERVAL_MS} 1 ${STREAM}`,
      });
      await waitForSession(tandem, sessionId, (s) => s.agentStatus === "idle", 120_000);
      await settle(500);
    }
    const { profile } = (await inspector.send("Profiler.stop")) as { profile: Profile };
    inspector.close();
    const received = viewers.reduce((sum, v) => sum + v.received.filter((at) => !Number.isNaN(at)).length, 0);
    for (const viewer of viewers) viewer.close();
    console.log(`${VIEWERS} viewers connected and synced in ${connectMs.toFixed(0)} ms (${inspector.title})`);
    if (STREAM) console.log(`then ${STREAM} tokens streamed: ${received} of ${STREAM * VIEWERS} received`);
    report(profile);
  } finally {
    await tandem.stop();
    await anthropic.close();
    await agentHost?.close();
  }
}

/** Self time per function, the largest first; then, per function of ours or a library's, the time under it (total). */
function report(profile: Profile): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const nameOf = (id: number) => {
    const frame = byId.get(id)!.callFrame;
    const file = frame.url.split("/").pop() ?? "";
    return `${frame.functionName || "(anonymous)"} ${file}:${frame.lineNumber + 1}`;
  };
  const self = new Map<string, number>();
  const under = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    self.set(nameOf(id), (self.get(nameOf(id)) ?? 0) + ms);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) seen.add(nameOf(at));
    for (const name of seen) under.set(name, (under.get(name) ?? 0) + ms);
    total += ms;
  });
  const top = (times: Map<string, number>, filter: (name: string) => boolean) =>
    [...times]
      .filter(([name]) => filter(name))
      .sort((a, b) => b[1] - a[1])
      .slice(0, 30)
      .map(
        ([name, ms]) =>
          `${ms.toFixed(1).padStart(8)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${name}`,
      );
  console.log(`profiled ${total.toFixed(0)} ms; self time:`, ...top(self, () => true).map((l) => `\n${l}`));
  console.log(
    `\ntotal time (under each function of the bundle):`,
    ...top(under, (n) => n.includes("index.js")).map((l) => `\n${l}`),
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
