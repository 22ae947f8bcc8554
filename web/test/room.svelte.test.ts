import { afterEach, describe, expect, it } from "vitest";
import { setFetch } from "#lib/api.ts";
import { Room } from "#lib/room.svelte.ts";

/** A socket the test plays the server of: the provider drives it exactly as it drives the browser's. */
class ScriptedSocket extends EventTarget {
  static opened: ScriptedSocket[] = [];
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 3;
  readonly OPEN = 1;
  readyState = 0;
  binaryType = "blob";
  readonly url: string;

  constructor(url: string) {
    super();
    this.url = url;
    ScriptedSocket.opened.push(this);
  }

  send(): void {}

  close(code = 1000): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.dispatchEvent(new CloseEvent("close", { code }));
  }

  accept(): void {
    this.readyState = 1;
    this.dispatchEvent(new Event("open"));
  }

  get ticket(): string | null {
    return new URL(this.url).searchParams.get("ticket");
  }
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });
const notFound = () => json(404, { error: { code: "not_found", message: "not found" } });

/** The API as the room sees it: tickets numbered from 1 while `member` holds, the workspace while `inWorkspace` holds. */
function server() {
  const state = { member: true, inWorkspace: true, signedIn: true, tickets: 0 };
  setFetch(async (url) => {
    const path = String(url);
    if (!state.signedIn) return json(401, { error: { code: "unauthenticated", message: "sign in" } });
    if (path.endsWith("/ticket"))
      return state.member ? json(200, { ticket: `t${++state.tickets}`, expiresAt: 0, url: "" }) : notFound();
    if (path === "/api/workspaces/w1")
      return state.inWorkspace
        ? json(200, { workspace: { id: "w1", name: "W", role: "viewer", createdAt: 0, idleStopMinutes: 15 } })
        : notFound();
    return notFound();
  });
  return state;
}

const until = async (check: () => boolean, ms = 2000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let room: Room | undefined;
afterEach(() => {
  room?.destroy();
  room = undefined;
  ScriptedSocket.opened = [];
  setFetch((...args) => fetch(...args));
});

async function connected(): Promise<{ room: Room; socket: ScriptedSocket }> {
  room = new Room(
    "w1",
    "s1",
    { id: "u1", name: "Ada", email: "ada@example.com" },
    {
      host: "tandem.test",
      WebSocket: ScriptedSocket as unknown as typeof WebSocket,
    },
  );
  await until(() => ScriptedSocket.opened.length === 1);
  const socket = ScriptedSocket.opened[0];
  socket.accept();
  expect(room.status).toBe("connected");
  return { room, socket };
}

describe("Room", () => {
  it("opens the session socket with a fresh room ticket", async () => {
    server();
    const { socket } = await connected();
    expect(socket.url).toMatch(/^ws:\/\/tandem\.test\/parties\/session-room\/s1\?/);
    expect(socket.ticket).toBe("t1");
  });

  it("reconnects after an ordinary drop, with a new ticket", async () => {
    server();
    const { room, socket } = await connected();
    socket.close(1006);
    expect(room.status).toBe("reconnecting");
    await until(() => ScriptedSocket.opened.length === 2);
    expect(ScriptedSocket.opened[1].ticket).toBe("t2");
    expect(room.ended).toBeNull();
  });

  for (const [code, end] of [
    [4404, "deleted"],
    [4401, "expired"],
  ] as const) {
    it(`ends for good on close code ${code} (${end})`, async () => {
      server();
      const { room, socket } = await connected();
      socket.close(code);
      expect(room.ended).toBe(end);
      // Past the provider's first backoff steps: nothing opened again.
      await sleep(400);
      expect(ScriptedSocket.opened).toHaveLength(1);
    });
  }

  it("on 4403 ends when the person is no longer a member", async () => {
    const api = server();
    const { room, socket } = await connected();
    api.member = false;
    api.inWorkspace = false;
    socket.close(4403);
    await until(() => room.ended !== null);
    expect(room.ended).toBe("revoked");
    await sleep(400);
    expect(ScriptedSocket.opened).toHaveLength(1);
  });

  it("on 4409 (their role changed) reconnects with a fresh ticket, and says access changed", async () => {
    server();
    const { room, socket } = await connected();
    socket.close(4409);
    await until(() => ScriptedSocket.opened.length === 2);
    expect(ScriptedSocket.opened[1].ticket).toBe("t2");
    expect(room.accessChanges).toBe(1);
    expect(room.ended).toBeNull();
  });

  it("on 4408 (the socket's lease ran out) reconnects with a fresh ticket; or ends if the person is out", async () => {
    const api = server();
    const first = await connected();
    first.socket.close(4408);
    await until(() => ScriptedSocket.opened.length === 2);
    expect(ScriptedSocket.opened[1].ticket).toBe("t2");
    expect(first.room.ended).toBeNull();
    ScriptedSocket.opened[1].accept();
    api.member = false;
    api.inWorkspace = false;
    ScriptedSocket.opened[1].close(4408);
    await until(() => first.room.ended !== null);
    expect(first.room.ended).toBe("revoked");
  });

  it("on 4403 reconnects when the person is still in (added again), and says access changed", async () => {
    server();
    const { room, socket } = await connected();
    socket.close(4403);
    await until(() => ScriptedSocket.opened.length === 2);
    expect(ScriptedSocket.opened[1].ticket).toBe("t2");
    expect(room.accessChanges).toBe(1);
    expect(room.ended).toBeNull();
  });

  it("a reconnect that finds the session gone, or the person signed out, ends instead of retrying", async () => {
    const api = server();
    const first = await connected();
    api.member = false;
    first.socket.close(1006);
    await until(() => first.room.ended !== null);
    expect(first.room.ended).toBe("deleted");
    await sleep(400);
    expect(ScriptedSocket.opened).toHaveLength(1);
    first.room.destroy();
    ScriptedSocket.opened = [];

    const again = server();
    const second = await connected();
    again.signedIn = false;
    second.socket.close(1006);
    await until(() => second.room.ended !== null);
    expect(second.room.ended).toBe("expired");
  });

  it("never opens a socket when access is already gone", async () => {
    const api = server();
    api.member = false;
    api.inWorkspace = false;
    room = new Room(
      "w1",
      "s1",
      { id: "u1", name: "Ada", email: "" },
      { host: "tandem.test", WebSocket: ScriptedSocket as unknown as typeof WebSocket },
    );
    await until(() => room?.ended !== null);
    expect(room.ended).toBe("revoked");
    await sleep(200);
    expect(ScriptedSocket.opened).toHaveLength(0);
  });
});
