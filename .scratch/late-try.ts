import { startFakeAgentHost } from "../test/fakes/agent-host";
import { startTandem } from "../bench/lib/stack";
import { lateJoin } from "../bench/lib/late-join";
const host = await startFakeAgentHost();
const tandem = await startTandem({ agentURL: `http://127.0.0.1:${host.port}` });
try {
  const t0 = Date.now();
  const r = await lateJoin(tandem, `/transcript ${process.argv[2] ?? 1000}`, Number(process.argv[2] ?? 1000), 5);
  console.log(JSON.stringify(r), "seed+measure", Date.now() - t0, "ms");
  const big = await lateJoin(tandem, "/long-output 170", 1, 5);
  console.log(JSON.stringify(big));
} finally { tandem.stop(); await host.close(); }
