/**
 * The legacy `sse` transport's stream as Claude Code gets it: the server's `endpoint` event names where
 * Claude Code POSTs its messages. That URL is rewritten to the proxy's own when it is on the server's
 * origin; one on any other origin is refused (Claude Code would POST there directly, unchecked, with
 * nothing between it and the address the name gives). Every other event passes as it was.
 */
import { Transform, type TransformCallback } from "node:stream";
import { type EventSourceMessage, createParser } from "eventsource-parser";
import { McpRefusal } from "./pinned-lookup";

export interface EndpointRewrite {
  /** The stream's URL upstream: a relative endpoint is resolved against it. */
  streamUrl: URL;
  /** The proxy's URL for an upstream URL on the server's origin, or null for any other. */
  proxied(upstream: URL): string | null;
  /** The most one event (or an unfinished line) may hold. */
  maxEventBytes: number;
}

function serialize(event: EventSourceMessage): string {
  let text = "";
  if (event.event !== undefined) text += `event: ${event.event}\n`;
  if (event.id !== undefined) text += `id: ${event.id}\n`;
  for (const line of event.data.split("\n")) text += `data: ${line}\n`;
  return `${text}\n`;
}

export function endpointRewrite(options: EndpointRewrite): Transform {
  let failure: Error | null = null;
  let out: string[] = [];
  const parser = createParser({
    maxBufferSize: options.maxEventBytes,
    onEvent(event) {
      if (event.event !== "endpoint") return void out.push(serialize(event));
      let target: URL | null = null;
      try {
        target = new URL(event.data.trim(), options.streamUrl);
      } catch {
        // refused below as naming no URL of the server's
      }
      const proxied = target ? options.proxied(target) : null;
      if (proxied) return void out.push(serialize({ ...event, data: proxied }));
      failure ??= new McpRefusal(
        `the server's SSE endpoint ${JSON.stringify(event.data.trim().slice(0, 200))} is not on its own origin (${options.streamUrl.origin})`,
      );
    },
    onRetry: (retry) => void out.push(`retry: ${retry}\n\n`),
    onComment: (comment) => void out.push(`:${comment}\n\n`),
    onError(error) {
      if (error.type === "max-buffer-size-exceeded")
        failure ??= new McpRefusal(`an SSE event of the server is over ${options.maxEventBytes} bytes`);
    },
  });
  const decoder = new TextDecoder();
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      parser.feed(decoder.decode(chunk, { stream: true }));
      const text = out.join("");
      out = [];
      if (failure) return callback(failure);
      callback(null, text ? Buffer.from(text) : undefined);
    },
  });
}
