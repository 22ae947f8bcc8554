import { DurableObject } from "cloudflare:workers";
export class Room extends DurableObject {
  timer: ReturnType<typeof setInterval> | null = null;
  plain: WebSocket[] = [];
  async fetch(request: Request) {
    const url = new URL(request.url);
    if (url.pathname === "/start") {
      const rate = Number(url.searchParams.get("rate") ?? 50);
      const count = Number(url.searchParams.get("count") ?? 100);
      let seq = 0;
      this.timer = setInterval(() => {
        const msg = JSON.stringify({ seq, at: Date.now() });
        for (const ws of this.ctx.getWebSockets()) ws.send(msg);
        for (const ws of this.plain) if (ws.readyState === 1) ws.send(msg);
        if (++seq >= count && this.timer) clearInterval(this.timer);
      }, 1000 / rate);
      return new Response("ok");
    }
    const pair = new WebSocketPair();
    if (url.searchParams.get("plain")) { pair[1].accept(); this.plain.push(pair[1]); pair[1].addEventListener("message", () => pair[1].send(new Uint8Array([0, 1, 2, 0, 0]))); } else this.ctx.acceptWebSocket(pair[1]);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }
  webSocketMessage(ws: WebSocket) { ws.send(new Uint8Array([0, 1, 2, 0, 0])); }
}
export default {
  async fetch(request: Request, env: { Room: DurableObjectNamespace }) {
    return env.Room.get(env.Room.idFromName(new URL(request.url).searchParams.get("room") ?? "x")).fetch(request);
  },
};
