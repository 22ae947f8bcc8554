/**
 * What the gateway reads of a Messages API request: the body, at most a limit, as JSON, checked for the
 * fields the gateway uses. Everything else in the body passes through untouched (loose objects), so a field
 * Claude Code adds tomorrow still reaches the API.
 */
import type { IncomingMessage } from "node:http";
import { z } from "zod";
import { ApiError } from "./api-error";

export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

const ContentBlockSchema = z.looseObject({ type: z.string() });
export type ContentBlock = z.infer<typeof ContentBlockSchema>;

const MessageSchema = z.looseObject({
  // Claude Code sends `system` messages in `messages` to the models that take them (the beta API's BetaSystemMessageParam).
  role: z.enum(["user", "assistant", "system"]),
  content: z.union([z.string(), z.array(ContentBlockSchema)]),
});
export type Message = z.infer<typeof MessageSchema>;

const CountTokensRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(MessageSchema),
  system: z.union([z.string(), z.array(ContentBlockSchema)]).optional(),
  tools: z.array(z.looseObject({ name: z.string() })).optional(),
  thinking: z.looseObject({ type: z.string() }).optional(),
  output_config: z.looseObject({}).optional(),
  context_management: z.looseObject({ edits: z.array(ContentBlockSchema).optional() }).optional(),
});
export type CountTokensRequest = z.infer<typeof CountTokensRequestSchema>;

const MessagesRequestSchema = CountTokensRequestSchema.extend({
  max_tokens: z.int().positive(),
  stream: z.boolean().optional(),
});
export type MessagesRequest = z.infer<typeof MessagesRequestSchema>;

/** The request's body, refused with 413 past `limit` bytes (the rest is drained, never buffered). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    const tooLarge = () =>
      new ApiError(
        413,
        "request_too_large",
        `Request exceeds the maximum allowed number of bytes (${limit}).`,
      );
    if (declared > limit) {
      req.resume();
      return reject(tooLarge());
    }
    const parts: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on("data", (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > limit) {
        refused = true;
        parts.length = 0;
        return reject(tooLarge());
      }
      parts.push(chunk);
    });
    req.on("end", () => refused || resolve(Buffer.concat(parts)));
    req.on("error", reject);
  });
}

function invalid(message: string): ApiError {
  return new ApiError(400, "invalid_request_error", message);
}

function parseWith<T>(schema: z.ZodType<T>, raw: Buffer): T {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString("utf8"));
  } catch {
    throw invalid("The request body is not valid JSON.");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(`${issue.path.join(".") || "body"}: ${issue.message}`);
  }
  return parsed.data;
}

export const parseMessagesRequest = (raw: Buffer): MessagesRequest => parseWith(MessagesRequestSchema, raw);
export const parseCountTokensRequest = (raw: Buffer): CountTokensRequest =>
  parseWith(CountTokensRequestSchema, raw);
