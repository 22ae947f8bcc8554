/**
 * A listening tap between the room and the real agent host: every byte passes through untouched (TCP,
 * so the upgrade, the room's token and the host's proof cross as they are), and the time each token's
 * marker leaves the agent host toward the room is noted. The agent host's frames to the room are
 * unmasked WebSocket text, so the marker is in the raw bytes. With it, the product path's token → viewer
 * splits into the Claude Code + agent host hop (the fake Messages API's write → the frame leaving the
 * host) and the room (that frame → the viewer), both measured on the same tokens.
 */
import { type Server, type Socket, connect, createServer } from "node:net";
import { now } from "./viewers";

const MARKER = /~(\d{6})~/g;
/** A marker is 8 bytes: a chunk's last 7 may hold the start of one the next chunk ends. */
const CARRY = 7;

export interface AgentTap {
  port: number;
  /** When each token's marker first left the agent host toward the room, by its number. */
  seenAt: Map<number, number>;
  close(): Promise<void>;
}

export async function startAgentTap(port: number, agentPort: number): Promise<AgentTap> {
  const seenAt = new Map<number, number>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((room) => {
    const agent = connect(agentPort, "127.0.0.1");
    sockets.add(room).add(agent);
    // As the host's and the room's own sockets do: a frame goes out when written, not batched by Nagle.
    room.setNoDelay(true);
    agent.setNoDelay(true);
    let tail = "";
    agent.on("data", (chunk: Buffer) => {
      const at = now();
      room.write(chunk);
      const text = tail + chunk.toString("latin1");
      for (const match of text.matchAll(MARKER)) {
        const token = Number(match[1]);
        if (!seenAt.has(token)) seenAt.set(token, at);
      }
      tail = text.slice(-CARRY);
    });
    room.pipe(agent);
    const end = () => {
      room.destroy();
      agent.destroy();
      sockets.delete(room);
      sockets.delete(agent);
    };
    for (const socket of [room, agent]) socket.on("close", end).on("error", end);
    agent.on("end", () => room.end());
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    port,
    seenAt,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
