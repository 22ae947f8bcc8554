/**
 * Hocuspocus, the Yjs server people would pick instead, run as its own process the way it is deployed:
 * one document, read-only viewers, and a server-side writer inserting a token every 20 ms, as the
 * agent streams into Tandem. Steered by the bench over IPC; reports when each token was written.
 */
import { Server } from "@hocuspocus/server";
import { marker, now } from "./viewers";

type Command =
  | { type: "stream"; document: string; tokens: number; firstToken: number; intervalMs: number }
  | { type: "memory" }
  | { type: "stop" };

const server = new Server({
  port: 0,
  address: "127.0.0.1",
  quiet: true,
  stopOnSignals: false,
  async onAuthenticate({ connectionConfig }) {
    // Viewers, as in Tandem: they read, they never write.
    connectionConfig.readOnly = true;
  },
});

async function stream(
  document: string,
  tokens: number,
  firstToken: number,
  intervalMs: number,
): Promise<number[]> {
  const connection = await server.hocuspocus.openDirectConnection(document);
  const sentAt: number[] = [];
  const start = now();
  for (let seq = 0; seq < tokens; seq++) {
    const due = start + seq * intervalMs;
    const wait = due - now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    // Taken before the write: the server fans the update out inside the transaction.
    sentAt.push(now());
    await connection.transact((doc) => {
      const text = doc.getText("transcript");
      text.insert(text.length, `${marker(firstToken + seq)} `);
    });
  }
  await connection.disconnect({ unloadImmediately: false });
  return sentAt;
}

process.on("message", (command: Command) => {
  if (command.type === "stream") {
    void stream(command.document, command.tokens, command.firstToken, command.intervalMs).then((sentAt) =>
      process.send?.({ type: "streamed", sentAt }),
    );
  } else if (command.type === "memory") {
    process.send?.({ type: "memory", rss: process.memoryUsage().rss });
  } else {
    void server.destroy().then(() => process.exit(0));
  }
});

// The bench went away (even abruptly): so does this server.
process.on("disconnect", () => process.exit(0));

await server.listen();
process.send?.({ type: "ready", port: server.address.port });
