import { DurableObject } from "cloudflare:workers";

/** SyncStep2 of an empty update: what a viewer's SyncStep1 is answered with. */
const SYNCED = new Uint8Array([0, 1, 2, 0, 0]);

export class Floor extends DurableObject {
  async fetch(request: Request): Promise<Response> {
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [new URL(request.url).searchParams.has("writer") ? "writer" : "viewer"]);
    return new Response(null, { status: 101, webSocket: client });
  }

  webSocketMessage(ws: WebSocket, message: ArrayBuffer | string): void {
    if (!this.ctx.getTags(ws).includes("writer")) return ws.send(SYNCED);
    for (const viewer of this.ctx.getWebSockets("viewer")) viewer.send(message);
  }
}

export default {
  async fetch(request: Request, env: { Floor: DurableObjectNamespace }): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response("ok");
    return env.Floor.get(env.Floor.idFromName(new URL(request.url).pathname)).fetch(request);
  },
};
