/**
 * The DO's side of the DO ↔ agent socket: opens it, validates every inbound frame, and reconnects after
 * an unexpected close. An ordinary (non-hibernating) outbound WebSocket: it keeps the DO awake while an
 * agent works, which a running session needs.
 */
import {
  AgentMessageSchema,
  agentSocketPath,
  parseFrame,
  type AgentHello,
  type FromAgentFrame,
  type StartFrame,
  type ToAgentFrame,
} from "../protocol/agent";
import type { Env } from "../env";
import { AgentAuthError, signedAgentRequest } from "./agent-auth";
import { sessionContainer } from "../container/session-container";
import { describeInvalidFrame } from "./invalid-frame";

/** A lost agent that has not come back within this window fails the session (the bound is 5 s). */
export const RECONNECT_WINDOW_MS = 3000;
const RECONNECT_DELAYS_MS = [50, 200, 500, 1000, 1000];

export interface AgentLinkHandlers {
  /** Built fresh for every (re)connect, so it carries the latest acknowledged seq and secrets. */
  startFrame(): Promise<StartFrame>;
  /** The first message on every socket: which agent incarnation answered. */
  onHello(hello: AgentHello): void;
  onFrame(frame: FromAgentFrame): void;
  /** After every successful (re)connect: the place to re-send unread input. */
  onConnected(reconnected: boolean): void;
  /** The agent could not be reached again within the reconnect window. */
  onLost(reason: string): void;
  /** A frame that failed validation: dropped, and described (never quoted) so it shows in the events log. */
  onInvalidFrame(description: string): void;
}

export type SocketOpener = () => Promise<WebSocket>;

export class AgentLink {
  #socket: WebSocket | null = null;
  #closedOnPurpose = false;
  /** When the agent was last heard from before the link dropped: the reconnect window counts from here until a hello. */
  #lostSince: number | null = null;
  readonly #open: SocketOpener;
  readonly #handlers: AgentLinkHandlers;

  constructor(open: SocketOpener, handlers: AgentLinkHandlers) {
    this.#open = open;
    this.#handlers = handlers;
  }

  get connected(): boolean {
    return this.#socket !== null;
  }

  /**
   * Opens the socket and sends `start`; throws when the agent cannot be reached within the reconnect
   * window. A first attempt that fails is tried again like a reconnect: one refused or dropped connection
   * (a pooled keep-alive connection the host had just closed, a container still binding its port) is not
   * a lost agent. An agent that cannot prove its key is not tried again: that is not a passing fault.
   */
  async connect(): Promise<void> {
    const deadline = Date.now() + RECONNECT_WINDOW_MS;
    for (const delay of RECONNECT_DELAYS_MS) {
      try {
        return await this.#attach(false);
      } catch (err) {
        if (err instanceof AgentAuthError || Date.now() + delay > deadline) throw err;
      }
      await sleep(delay);
      if (this.#closedOnPurpose) return;
    }
    await this.#attach(false);
  }

  send(frame: ToAgentFrame): boolean {
    if (!this.#socket) return false;
    try {
      this.#socket.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  /** Closes without reconnecting. */
  close(reason = "session closed"): void {
    this.#closedOnPurpose = true;
    const socket = this.#socket;
    this.#socket = null;
    try {
      socket?.close(1000, reason);
    } catch {
      // already closed
    }
  }

  async #attach(reconnected: boolean): Promise<void> {
    const socket = await this.#open();
    if (this.#closedOnPurpose) {
      socket.close(1000, "session closed");
      return;
    }
    this.#socket = socket;
    // A frame still in flight on a socket the room has let go of (closed, or replaced by a reconnect)
    // belongs to a run that is over: applied now, it would land in the next run (seq restarts there).
    socket.addEventListener("message", (event) => {
      if (this.#socket === socket) this.#receive(event.data);
    });
    socket.addEventListener("close", () => this.#dropped(socket));
    socket.addEventListener("error", () => this.#dropped(socket));
    socket.send(JSON.stringify(await this.#handlers.startFrame()));
    this.#handlers.onConnected(reconnected);
  }

  #receive(data: unknown): void {
    const frame = parseFrame(AgentMessageSchema, data);
    if (!frame) {
      this.#handlers.onInvalidFrame(describeInvalidFrame(data));
      return;
    }
    if (frame.type === "hello") {
      // An agent answered: only now is the link back (an upgrade that is dropped at once is not).
      this.#lostSince = null;
      this.#handlers.onHello(frame);
    } else this.#handlers.onFrame(frame);
  }

  #dropped(socket: WebSocket): void {
    if (this.#socket !== socket) return;
    this.#socket = null;
    if (this.#closedOnPurpose) return;
    this.#lostSince ??= Date.now();
    void this.#reconnect();
  }

  async #reconnect(): Promise<void> {
    const deadline = (this.#lostSince ?? Date.now()) + RECONNECT_WINDOW_MS;
    let lastError = "agent connection lost";
    for (const delay of RECONNECT_DELAYS_MS) {
      if (this.#closedOnPurpose) return;
      if (Date.now() + delay > deadline) break;
      await sleep(delay);
      try {
        await this.#attach(true);
        return;
      } catch (err) {
        lastError = `agent connection lost: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    if (!this.#closedOnPurpose) this.#handlers.onLost(lastError);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How the DO reaches its session's agent: the local agent host when AGENT_URL is set, else its container. */
export interface AgentEndpoint {
  openSocket: SocketOpener;
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

export function agentEndpoint(
  env: Env,
  sessionId: string,
  timeoutSeconds: number,
  storage: DurableObjectStorage,
): AgentEndpoint {
  const container = sessionContainer(env, sessionId);
  // Every request carries the session's token, every answer the agent's proof (agent-auth.ts).
  const request = (path: string, init?: RequestInit) =>
    signedAgentRequest(env, storage, sessionId, init, (signed) =>
      container
        ? container.fetch(new Request(`http://agent${path}`, signed))
        : fetch(new URL(path, env.AGENT_URL), signed),
    );
  return {
    fetch: request,
    openSocket: async () => {
      await container?.setSessionTimeout(timeoutSeconds);
      const response = await request(agentSocketPath(sessionId), { headers: { Upgrade: "websocket" } });
      const socket = response.webSocket;
      if (!socket) throw new Error(`agent answered ${response.status} instead of a WebSocket`);
      socket.accept();
      return socket;
    },
  };
}
