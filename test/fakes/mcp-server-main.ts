/** The test MCP server (mcp-server.ts) in a process of its own: prints `{"origin": …}` on its first line, stops on SIGTERM. */
import { startFakeMcpServer } from "./mcp-server";

const server = await startFakeMcpServer();
process.stdout.write(`${JSON.stringify({ origin: server.origin })}\n`);
process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
