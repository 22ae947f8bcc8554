/**
 * One session's live connection: the Yjs transcript over /parties/session-room/<id> plus awareness
 * (presence, typing), opened with a fresh room ticket each time. Ordinary drops reconnect (the provider's
 * backoff, `status` makes them visible); a socket the server closed because access ended, the credential
 * expired or the session was deleted does not, and `ended` says why.
 */
import YProvider from "y-partyserver/provider";
import * as Y from "yjs";
import { admission, closeVerdict, type Admission, type RoomEnd } from "./room-access";
import { readSession, sessionInfo, type SessionState } from "./transcript";
import type { Presence } from "@tandem/protocol/presence";
import type { User } from "./api";
import { YView } from "./yreactive";
import { presenceColor } from "./presence";

export type ConnectionStatus = "connecting" | "connected" | "reconnecting";

export interface Peer {
  clientId: number;
  id: string;
  name: string;
  color: string;
  typing: boolean;
  self: boolean;
}

/** The colour a viewer claims in awareness (its light-scheme shade); avatars take both shades from the id. */
export function colorFor(id: string): string {
  return presenceColor(id).light;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

const presenceKey = (key: keyof Presence) => key;

/** Peers from awareness states (the room has made each a valid Presence; a malformed one is skipped). */
export function peersOf(
  states: Map<number, Partial<Record<keyof Presence, unknown>>>,
  selfId: number,
): Peer[] {
  const peers: Peer[] = [];
  for (const [clientId, state] of states) {
    const u = state.user as Partial<Record<keyof Presence["user"], unknown>> | undefined;
    if (!isRecord(u) || typeof u.id !== "string") continue;
    peers.push({
      clientId,
      id: u.id,
      name: typeof u.name === "string" ? u.name : "someone",
      color: typeof u.color === "string" ? u.color : colorFor(u.id),
      typing: state.typing === true,
      self: clientId === selfId,
    });
  }
  return peers;
}

export interface RoomOptions {
  host?: string;
  /** Tests put a scripted socket here; the browser's WebSocket otherwise. */
  WebSocket?: typeof WebSocket;
  /** How each socket is admitted: a member's room ticket unless given (a guest's share link: `guestAdmission`). */
  admit?: () => Promise<Admission>;
}

export class Room {
  readonly doc = new Y.Doc();
  readonly provider: YProvider;
  readonly session: YView<SessionState>;
  status = $state<ConnectionStatus>("connecting");
  synced = $state(false);
  peers = $state<Peer[]>([]);
  /** Set once the live view is over for good: no socket opens again. */
  ended = $state<RoomEnd | null>(null);
  /** Counts the times the server closed the socket over a change of access that left this person in: their role may be new. */
  accessChanges = $state(0);
  readonly #workspaceId: string;
  readonly #sessionId: string;
  readonly #admit: () => Promise<Admission>;
  #typingTimer: ReturnType<typeof setTimeout> | undefined;
  /** The query fetched by `#open`, for the provider's next connect to use instead of fetching another. */
  #admitted: Record<string, string> | null = null;
  #destroyed = false;

  constructor(workspaceId: string, sessionId: string, user: User, options: RoomOptions = {}) {
    this.#workspaceId = workspaceId;
    this.#sessionId = sessionId;
    this.#admit = options.admit ?? (() => admission(this.#workspaceId, this.#sessionId));
    const meta = sessionInfo(this.doc);
    this.session = new YView(meta, () => readSession(meta));
    this.provider = new YProvider(options.host ?? location.host, sessionId, this.doc, {
      party: "session-room",
      protocol: location.protocol === "https:" ? "wss" : "ws",
      // Every viewer syncs from the server, never from another tab of the same browser.
      disableBc: true,
      maxBackoffTime: 5000,
      // The first socket waits for `#open`'s verdict on access.
      connect: false,
      params: () => this.#params(),
      ...(options.WebSocket && { WebSocketPolyfill: options.WebSocket }),
    });
    let wasConnected = false;
    this.provider.on("status", ({ status }: { status: string }) => {
      if (status === "connected") {
        wasConnected = true;
        this.status = "connected";
      } else this.status = wasConnected ? "reconnecting" : "connecting";
    });
    this.provider.on("sync", (synced: boolean) => {
      if (synced) this.synced = true;
    });
    // Runs before the provider sets its reconnect timer: once disconnected here, that timer opens nothing.
    this.provider.on("connection-close", (event: CloseEvent) => this.#closed(event.code));
    const awareness = this.provider.awareness;
    const presence: Presence = {
      user: { id: user.id, name: user.name, color: colorFor(user.id) },
      typing: false,
    };
    awareness.setLocalState(presence);
    const refresh = () => {
      this.peers = peersOf(awareness.getStates() as Map<number, Record<string, unknown>>, awareness.clientID);
    };
    awareness.on("change", refresh);
    refresh();
    void this.#open(false);
  }

  /** Asks for a ticket, then connects with it; or ends the view when access is over. */
  async #open(afterAccessChange: boolean): Promise<void> {
    const verdict = await this.#admit();
    if (this.#destroyed || this.ended) return;
    if ("end" in verdict) return this.#end(verdict.end);
    if (afterAccessChange) this.accessChanges++;
    this.#admitted = verdict.params;
    await this.provider.connect();
  }

  /** The provider asks before every connect (reconnects included): a fresh ticket, unless `#open` just got one. */
  async #params(): Promise<Record<string, string>> {
    const admitted = this.#admitted;
    this.#admitted = null;
    if (admitted) return admitted;
    const verdict = await this.#admit();
    if (!("end" in verdict)) return verdict.params;
    // The provider opens nothing once disconnected.
    this.#end(verdict.end);
    return {};
  }

  #closed(code: number): void {
    const verdict = closeVerdict(code);
    if (verdict === "reconnect" || this.#destroyed) return;
    this.provider.disconnect();
    if (verdict === "check") void this.#open(true);
    else this.#end(verdict);
  }

  #end(reason: RoomEnd): void {
    if (this.ended) return;
    this.ended = reason;
    this.provider.disconnect();
    this.stopTyping();
  }

  /** Marks this person as typing; it clears itself a few seconds after the last keystroke. */
  typing(): void {
    const aw = this.provider.awareness;
    if (aw.getLocalState()?.typing !== true) aw.setLocalStateField(presenceKey("typing"), true);
    clearTimeout(this.#typingTimer);
    this.#typingTimer = setTimeout(() => this.stopTyping(), 3000);
  }

  stopTyping(): void {
    clearTimeout(this.#typingTimer);
    const aw = this.provider.awareness;
    if (aw.getLocalState()?.typing === true) aw.setLocalStateField(presenceKey("typing"), false);
  }

  destroy(): void {
    this.#destroyed = true;
    clearTimeout(this.#typingTimer);
    this.provider.awareness.setLocalState(null);
    this.provider.destroy();
    this.doc.destroy();
  }
}
