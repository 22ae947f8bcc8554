/**
 * One session's live connection: the Yjs transcript over /parties/session-room/<id> plus awareness
 * (presence, typing), opened with a fresh room ticket each time. Reconnects are the provider's;
 * `status` makes them visible.
 */
import YProvider from "y-partyserver/provider";
import * as Y from "yjs";
import { roomSocketParams } from "./api";
import { messagesArray, readSession, sessionMap, type SessionState } from "./transcript";
import type { User } from "./types";
import { YView } from "./yreactive";

export type ConnectionStatus = "connecting" | "connected" | "reconnecting";

export interface Peer {
  clientId: number;
  id: string;
  name: string;
  color: string;
  typing: boolean;
  self: boolean;
}

// Distinct hues that keep white initials readable in light and dark.
const COLORS = ["#c92a2a", "#237032", "#1864ab", "#862e9c", "#0b7285", "#a61e4d", "#5f3dc4", "#8f5300"];

export function colorFor(id: string): string {
  let h = 0;
  for (const c of id) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return COLORS[h % COLORS.length];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

export function peersOf(states: Map<number, Record<string, unknown>>, selfId: number): Peer[] {
  const peers: Peer[] = [];
  for (const [clientId, state] of states) {
    const u = state.user;
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

export class Room {
  readonly doc = new Y.Doc();
  readonly provider: YProvider;
  readonly session: YView<SessionState>;
  readonly messages: YView<Y.Map<unknown>[]>;
  status = $state<ConnectionStatus>("connecting");
  synced = $state(false);
  peers = $state<Peer[]>([]);
  #typingTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(workspaceId: string, sessionId: string, user: User, host = location.host) {
    const meta = sessionMap(this.doc);
    const list = messagesArray(this.doc);
    this.session = new YView(meta, () => readSession(meta));
    this.messages = new YView(list, () => list.toArray());
    this.provider = new YProvider(host, sessionId, this.doc, {
      party: "session-room",
      protocol: location.protocol === "https:" ? "wss" : "ws",
      // Every viewer syncs from the server, never from another tab of the same browser.
      disableBc: true,
      maxBackoffTime: 5000,
      params: () => roomSocketParams(workspaceId, sessionId),
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
    const awareness = this.provider.awareness;
    awareness.setLocalState({ user: { id: user.id, name: user.name, color: colorFor(user.id) }, typing: false });
    const refresh = () => {
      this.peers = peersOf(awareness.getStates() as Map<number, Record<string, unknown>>, awareness.clientID);
    };
    awareness.on("change", refresh);
    refresh();
  }

  /** Marks this person as typing; it clears itself a few seconds after the last keystroke. */
  typing(): void {
    const aw = this.provider.awareness;
    if (aw.getLocalState()?.typing !== true) aw.setLocalStateField("typing", true);
    clearTimeout(this.#typingTimer);
    this.#typingTimer = setTimeout(() => this.stopTyping(), 3000);
  }

  stopTyping(): void {
    clearTimeout(this.#typingTimer);
    const aw = this.provider.awareness;
    if (aw.getLocalState()?.typing === true) aw.setLocalStateField("typing", false);
  }

  destroy(): void {
    clearTimeout(this.#typingTimer);
    this.provider.awareness.setLocalState(null);
    this.provider.destroy();
    this.doc.destroy();
  }
}
