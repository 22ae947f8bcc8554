/**
 * The offline model: with no API key, the gateway itself answers Claude Code's requests with deterministic
 * rules (the commands in ./commands.ts) that use Claude Code's own tools, so the whole product runs offline.
 */
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { asksForThinking } from "../capabilities";
import type { CountTokensRequest, MessagesRequest } from "../request-body";
import type { UsageMeter } from "../usage";
import { readConversation } from "./conversation";
import { z } from "zod";
import { OFFLINE_SIGNATURE, planReply } from "./reply";
import { offlineTokens, writeMessage, writeStream } from "./respond";

export { OFFLINE_LABEL } from "./reply";

const OfflineThinkingSchema = z.looseObject({
  type: z.literal("thinking"),
  signature: z.literal(OFFLINE_SIGNATURE),
});

/**
 * A conversation the offline model took part in (a session that ran without a key, resumed with one)
 * carries its thinking blocks, whose signature the API refuses: they are left out of what goes upstream.
 */
export function withoutOfflineThinking<T extends CountTokensRequest>(body: T): T {
  const offline = (block: unknown) => OfflineThinkingSchema.safeParse(block).success;
  if (
    !body.messages.some((m) => m.role === "assistant" && Array.isArray(m.content) && m.content.some(offline))
  )
    return body;
  const messages = body.messages.map((m) =>
    m.role === "assistant" && Array.isArray(m.content)
      ? { ...m, content: m.content.filter((block) => !offline(block)) }
      : m,
  );
  return { ...body, messages };
}

/** Ids unique across restarts of the host: the CLI keeps them in conversations it resumes. */
const ID_PREFIX = randomBytes(6).toString("hex");
let counter = 0;
const nextId = (kind: "msg" | "toolu") => `${kind}_offline_${ID_PREFIX}_${++counter}`;

export interface OfflineRequest {
  /** The request as shaped by the session's settings (its model, its thinking). */
  body: MessagesRequest;
  workspace?: string;
  tokenDelayMs: number;
  signal: AbortSignal;
  meter: UsageMeter;
}

export async function answerOffline(res: ServerResponse, request: OfflineRequest): Promise<void> {
  const { body } = request;
  const blocks = await planReply(readConversation(body, request.workspace), {
    thinking: asksForThinking(body),
    newToolUseId: () => nextId("toolu"),
  });
  const answer = { id: nextId("msg"), model: body.model, blocks, inputTokens: offlineTokens(body) };
  if (body.stream)
    await writeStream(res, answer, request.meter, {
      tokenDelayMs: request.tokenDelayMs,
      signal: request.signal,
    });
  else writeMessage(res, answer, request.meter);
}

export function countTokensOffline(res: ServerResponse, body: CountTokensRequest): void {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ input_tokens: offlineTokens(body) }));
}
