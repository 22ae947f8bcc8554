/** The HTTP API as a person's script uses it (dev sign-in cookie), with the waits the suite needs. */
import type { TranscriptMessage } from "../../worker/session/transcript-doc";

export interface SessionView {
  id: string;
  phase: string;
  agentStatus: string;
  runSeconds: number;
  activeSeconds: number;
  interactive: boolean;
  savedWorkspace: { size: number; savedAt: number } | null;
}

export interface SessionEvent {
  seq: number;
  at: number;
  type: string;
  phase?: string;
  actor?: string;
  reason?: string;
}

export class Api {
  private constructor(
    readonly baseURL: () => string,
    readonly cookie: string,
    readonly user: { id: string; name: string; email: string },
  ) {}

  /** `baseURL` is read on every call: the runtime's address stays, its process may not. */
  static async signIn(baseURL: () => string, name: string): Promise<Api> {
    const res = await fetch(`${baseURL()}/api/auth/dev`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name }),
    });
    if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
    const { user } = (await res.json()) as { user: Api["user"] };
    return new Api(baseURL, (res.headers.get("set-cookie") ?? "").split(";")[0], user);
  }

  /** Another person, added to `ws` by its owner (this one) in `role`. */
  async member(ws: string, name: string, role: "editor" | "viewer"): Promise<Api> {
    const person = await Api.signIn(this.baseURL, name);
    await this.json(`/api/workspaces/${ws}/members`, { body: { user: person.user.email, role } });
    // An invitation becomes a membership when the person comes.
    await person.json(`/api/workspaces/${ws}`);
    return person;
  }

  async call(path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
    return fetch(`${this.baseURL()}${path}`, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers: { cookie: this.cookie, "content-type": "application/json" },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  }

  async json<T>(
    path: string,
    init: { method?: string; body?: unknown } = {},
    expected = [200, 201, 202],
  ): Promise<T> {
    const res = await this.call(path, init);
    if (!expected.includes(res.status))
      throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  async workspace(settings: { idleStopMinutes?: number } = {}): Promise<string> {
    const { workspace } = await this.json<{ workspace: { id: string } }>("/api/workspaces", {
      body: { name: "reliability" },
    });
    if (settings.idleStopMinutes)
      await this.json(`/api/workspaces/${workspace.id}`, { method: "PATCH", body: settings });
    return workspace.id;
  }

  session(ws: string, id: string): SessionClient {
    return new SessionClient(this, ws, id);
  }

  async createSession(ws: string, body: Record<string, unknown> = {}): Promise<SessionClient> {
    const { session } = await this.json<{ session: { id: string } }>(`/api/workspaces/${ws}/sessions`, {
      body,
    });
    return this.session(ws, session.id);
  }
}

export class SessionClient {
  constructor(
    readonly api: Api,
    readonly ws: string,
    readonly id: string,
  ) {}

  get path(): string {
    return `/api/workspaces/${this.ws}/sessions/${this.id}`;
  }

  async view(): Promise<SessionView> {
    return (await this.api.json<{ session: SessionView }>(this.path)).session;
  }

  async transcript(): Promise<TranscriptMessage[]> {
    return (await this.api.json<{ messages: TranscriptMessage[] }>(`${this.path}/transcript`)).messages;
  }

  async events(): Promise<SessionEvent[]> {
    return (await this.api.json<{ events: SessionEvent[] }>(`${this.path}/events`)).events;
  }

  async say(text: string): Promise<void> {
    await this.api.json(`${this.path}/messages`, { body: { text } });
  }

  async op(name: "stop" | "resume"): Promise<SessionView> {
    return (await this.api.json<{ session: SessionView }>(`${this.path}/${name}`, { method: "POST" }))
      .session;
  }

  waitForPhase(phase: string, timeoutMs = 30_000): Promise<SessionView> {
    return until(
      () => this.view(),
      (s) => s.phase === phase,
      `${this.id} ${phase}`,
      timeoutMs,
    );
  }

  /** Running with the agent idle, and no person's message left unread. */
  async waitForIdle(timeoutMs = 30_000): Promise<TranscriptMessage[]> {
    try {
      const { messages } = await until(
        async () => ({ view: await this.view(), messages: await this.transcript() }),
        ({ view, messages }) =>
          view.phase === "Running" && view.agentStatus === "idle" && !messages.some((m) => m.queued),
        `${this.id} idle`,
        timeoutMs,
      );
      return messages;
    } catch (error) {
      // Why it never got there (an agent lost, a failure's reason) is in the session's events.
      const reasons = await this.events().then(
        (events) => events.flatMap((e) => (e.reason ? [`${e.type}: ${e.reason}`] : [])).join("; "),
        (err: unknown) => `its events could not be read: ${String(err)}`,
      );
      throw new Error(`${(error as Error).message}\nthe session's reasons: ${reasons || "none"}`);
    }
  }

  /** Says something and waits for the turn it starts to end. */
  async turn(text: string, timeoutMs = 30_000): Promise<TranscriptMessage[]> {
    await this.say(text);
    return this.waitForIdle(timeoutMs);
  }
}

/** Polls `read` until `check` passes; a read that fails (the runtime is restarting) is tried again. */
export async function until<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  what: string,
  timeoutMs = 30_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = "nothing read";
  for (;;) {
    try {
      const value = await read();
      if (check(value)) return value;
      last = value;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline)
      throw new Error(
        `${what}: not reached within ${timeoutMs} ms; last: ${JSON.stringify(last).slice(0, 1500)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** The text of a message's text blocks. */
export const textOf = (message: TranscriptMessage): string =>
  message.blocks.map((b) => (b.type === "text" ? b.text : "")).join("");

/** The tool results of a transcript, in order. */
export const toolResults = (messages: TranscriptMessage[]): string[] =>
  messages.flatMap((m) => m.blocks.flatMap((b) => (b.type === "tool_use" ? [b.result ?? ""] : [])));
