/**
 * WorkspaceFeed: one Durable Object per workspace, holding the sockets of its open session lists
 * (hibernatable, so an idle list costs nothing). Session rooms and the API tell it what changed
 * (`publish`); it sends that to every socket at once. Who is on a socket is what the Worker vouched for at
 * the upgrade (membership read from D1 then, viewers/connections.ts), kept in the socket's state: a member
 * removed or a token revoked closes theirs (`revoke`), a credential's expiry closes it, and every socket
 * lives on one check of its access for a lease, as a session room's do.
 */
import { Server, type Connection, type ConnectionContext, type WSMessage } from "partyserver";
import type { Env } from "../env";
import { FEED_CLOSE_BAD_FRAME, FeedClientFrameSchema, type FeedEvent } from "../protocol/feed";
import { ViewerConnections } from "../viewers/connections";
import type { Revocation } from "../viewers/revocations";

/** A ping is a few bytes: anything larger is not one, and is not parsed. */
const MAX_CLIENT_FRAME_BYTES = 64;

export class WorkspaceFeed extends Server<Env> {
  static options = { hibernate: true };

  readonly #connections = new ViewerConnections(() => this.getConnections());

  /** Keeps who the socket is (the feed's upgrades are read from D1 at once: nothing to check against tickets). */
  onConnect(connection: Connection, ctx: ConnectionContext): Promise<void> | void {
    const identity = this.#connections.admit(connection, ctx.request, Date.now(), () => false);
    if (identity) return this.#scheduleAlarm();
  }

  /** A ping is answered; anything else closes the socket: the feed takes nothing else from a page. */
  onMessage(connection: Connection, message: WSMessage): void {
    const frame =
      typeof message === "string" && message.length <= MAX_CLIENT_FRAME_BYTES
        ? parseJson(message)
        : undefined;
    if (!FeedClientFrameSchema.safeParse(frame).success) {
      connection.close(FEED_CLOSE_BAD_FRAME, "the feed takes only pings");
      return;
    }
    connection.send(JSON.stringify({ type: "pong" } satisfies FeedEvent));
  }

  /** From a session room or the API: a session created, changed or deleted, sent to every open list. */
  publish(event: FeedEvent): number {
    const frame = JSON.stringify(event);
    let sent = 0;
    for (const connection of this.getConnections()) {
      try {
        connection.send(frame);
        sent++;
      } catch {
        // A socket closing as we send: it is gone from the next publish.
      }
    }
    return sent;
  }

  /** Closes the sockets of a member removed or a token revoked (a role change changes nothing a list shows). */
  revoke(revocation: Revocation): number {
    if (revocation.newRole) return 0;
    return this.#connections.revoke(revocation);
  }

  /** Closes the sockets whose credential expired or whose lease ran out (the page reconnects, checked again). */
  async onAlarm(): Promise<void> {
    this.#connections.closeExpired(Date.now());
    await this.#scheduleAlarm();
  }

  async #scheduleAlarm(): Promise<void> {
    const next = this.#connections.nextExpiry();
    if (next === null) await this.ctx.storage.deleteAlarm();
    else if ((await this.ctx.storage.getAlarm()) !== next) await this.ctx.storage.setAlarm(next);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
