/**
 * The model gateway's interface, agreed with the Claude Code driver (issue 20): one gateway per agent host,
 * one route per agent incarnation. The CLI's ANTHROPIC_BASE_URL is a route's URL; its key is a dummy.
 */
import { z } from "zod";
import { type Effort, EffortSchema, type ModelId, ModelIdSchema } from "@tandem/protocol/models";

export type { Effort, ModelId };

export const GatewaySettingsSchema = z.object({
  /** Forced onto every request (Claude Code's own small-model calls included). */
  model: ModelIdSchema,
  /** max_tokens is capped at this (and at the model's maximum output). */
  maxTokens: z.int().positive(),
  /** As the model takes it (a budget, adaptive, or always on), per the capability table. */
  thinking: z.boolean(),
  /** output_config.effort, where the model takes it. */
  effort: EffortSchema.optional(),
});
export type GatewaySettings = z.infer<typeof GatewaySettingsSchema>;

/** One model request's exact usage, read from the response itself. */
export interface GatewayUsage {
  /** Unique per request through this route (the gateway's own, not the API's). */
  requestId: string;
  model: ModelId;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** True when the request failed (upstream 4xx/5xx, broken stream, aborted): usage so far, possibly zero. */
  failed: boolean;
}

/** The API's own error, as the CLI received it. */
export interface GatewayError {
  status: number;
  type: string;
  message: string;
}

export interface GatewayUpstream {
  apiKey: string;
  baseURL?: string;
}

export interface GatewayRouteOptions {
  settings: GatewaySettings;
  /**
   * Where requests go: the real API with the real key (the host's ANTHROPIC_API_KEY, or the session's own
   * ANTHROPIC_API_KEY secret with its own ANTHROPIC_BASE_URL), or null: the offline model answers.
   */
  upstream: GatewayUpstream | null;
  /**
   * The session's workspace, for the offline model's listing of top-level files. Without it the offline
   * model reads the working directory Claude Code names in its requests. (An extension of the agreed
   * interface.)
   */
  workspace?: string;
  onUsage(usage: GatewayUsage): void;
  /** A request the gateway could not forward, with the API's own error (type, message, status). */
  onError?(error: GatewayError): void;
  log?(line: string): void;
}

export interface GatewayRoute {
  /**
   * Give this to the CLI as ANTHROPIC_BASE_URL: http://127.0.0.1:<port>/<random token>; the CLI's
   * ANTHROPIC_API_KEY is a dummy (the gateway never checks or forwards it).
   */
  readonly baseURL: string;
  /** Live model switch and permission-free changes: applies from the next request. */
  update(settings: Partial<GatewaySettings>): void;
  /** Refuses every later request on this route (404) and aborts the ones in flight. */
  close(): void;
}

export interface ModelGateway {
  /** http://127.0.0.1:<port>, without a route. */
  readonly url: string;
  open(options: GatewayRouteOptions): GatewayRoute;
  /** Closes every route and stops listening. */
  close(): Promise<void>;
}

export interface ModelGatewayOptions {
  /** A free port unless given. */
  port?: number;
  /** The offline model's pause between streamed tokens (5 ms unless given). */
  offlineTokenDelayMs?: number;
  /** Request bodies over this are refused with 413 (32 MiB unless given). */
  maxBodyBytes?: number;
  log?(line: string): void;
}
