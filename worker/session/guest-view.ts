/**
 * What a guest with a share link reads (GET /api/shares/:token and its Markdown), made in the room and
 * kept per version of the document: serialising a long transcript and redacting it with every secret
 * of the workspace (each one decrypted) is the expensive part, and it changes only when the document
 * does. The secrets are loaded again after a minute, so a secret set meanwhile redacts from then on.
 */
import type { Env } from "../env";
import { GuestSessionSchema, type GuestView } from "../protocol/shares";
import { Redaction } from "../protocol/redaction";
import { loadWorkspaceSecrets } from "../secrets";
import type { SessionRecord } from "./record";
import { sessionView } from "./record";
import type { SessionEvent } from "./storage";
import type { TranscriptMessage } from "./transcript-doc";

const SECRETS_FRESH_MS = 60_000;

export interface GuestViewSource {
  env: Env;
  record(): Readonly<SessionRecord> | null;
  events(): SessionEvent[];
  messages(): TranscriptMessage[];
}

export class GuestViews {
  readonly #source: GuestViewSource;
  /** Bumped by every change of the document (or of the events): what the kept view was made from. */
  #version = 0;
  #kept: { version: number; phases: GuestView["phases"]; messages: GuestView["messages"] } | null = null;
  #redaction: { loadedAt: number; redaction: Promise<Redaction> } | null = null;

  constructor(source: GuestViewSource) {
    this.#source = source;
  }

  /** The document (or the events log) changed: the next view is made again. */
  changed(): void {
    this.#version++;
  }

  /** The guest's view; the transcript and phases made once per version, the session's clock read now. */
  async view(now: number): Promise<GuestView | null> {
    const record = this.#source.record();
    if (!record) return null;
    const redaction = await this.#secrets(record.workspaceId, now);
    const version = this.#version;
    if (this.#kept?.version !== version) {
      const phases = this.#source
        .events()
        .flatMap((event) => (event.phase ? [{ at: event.at, phase: event.phase }] : []));
      // The room keeps secrets out of the transcript; redacted again, as every export is.
      this.#kept = { version, phases, messages: redaction.deep(this.#source.messages()) };
    }
    return {
      session: redaction.deep(GuestSessionSchema.parse(sessionView(record, now))),
      phases: this.#kept.phases,
      messages: this.#kept.messages,
    };
  }

  #secrets(workspaceId: string, now: number): Promise<Redaction> {
    if (!this.#redaction || now - this.#redaction.loadedAt > SECRETS_FRESH_MS) {
      const redaction = loadWorkspaceSecrets(this.#source.env, workspaceId).then(
        (secrets) => new Redaction(secrets.redact),
      );
      this.#redaction = { loadedAt: now, redaction };
      // A failed load is not kept: the next guest tries again.
      redaction.catch(() => (this.#redaction = null));
      // New secrets redact what was made before them too.
      this.#kept = null;
    }
    return this.#redaction.redaction;
  }
}
