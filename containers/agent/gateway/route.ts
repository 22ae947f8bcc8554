/**
 * One route: one agent incarnation's way to the model. It holds the session's settings (applied to every
 * request), the upstream or the offline model, and the requests in flight (aborted when it closes), and
 * reports each request's usage once, and each error the CLI got.
 */
import { randomUUID, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import type Anthropic from "@anthropic-ai/sdk";
import { mintToken } from "../route-token";
import { ApiError, sendApiError } from "./api-error";
import { shapeCountTokens, shapeMessages } from "./capabilities";
import { answerOffline, countTokensOffline, withoutOfflineThinking } from "./offline";
import { type MessagesRequest, parseCountTokensRequest, parseMessagesRequest } from "./request-body";
import {
  type GatewayRoute,
  type GatewayRouteOptions,
  type GatewaySettings,
  GatewaySettingsSchema,
  type GatewayUsage,
} from "./types";
import { forward, upstreamClient } from "./upstream";
import { UsageMeter } from "./usage";

export type RouteCall = {
  kind: "messages" | "count_tokens";
  raw: Buffer;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  res: ServerResponse;
};

export class Route implements GatewayRoute {
  readonly baseURL: string;
  readonly #digest: Buffer;
  readonly #options: GatewayRouteOptions;
  readonly #client: Anthropic | null;
  readonly #inFlight = new Set<AbortController>();
  readonly #tokenDelayMs: number;
  readonly #onClose: (route: Route) => void;
  #settings: GatewaySettings;
  #closed = false;

  constructor(
    origin: string,
    options: GatewayRouteOptions,
    gateway: { tokenDelayMs: number; onClose(route: Route): void },
  ) {
    const { token, digest } = mintToken();
    this.baseURL = `${origin}/${token}`;
    this.#digest = digest;
    this.#options = options;
    this.#settings = GatewaySettingsSchema.parse(options.settings);
    this.#client = options.upstream ? upstreamClient(options.upstream) : null;
    this.#tokenDelayMs = gateway.tokenDelayMs;
    this.#onClose = gateway.onClose;
  }

  /** Constant time: the digest of the token asked for against this route's. */
  matches(digest: Buffer): boolean {
    return !this.#closed && timingSafeEqual(this.#digest, digest);
  }

  update(settings: Partial<GatewaySettings>): void {
    this.#settings = GatewaySettingsSchema.parse({ ...this.#settings, ...settings });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const controller of this.#inFlight) controller.abort(new Error("the route closed"));
    this.#onClose(this);
  }

  #log(line: string): void {
    this.#options.log?.(line);
  }

  #report(usage: GatewayUsage): void {
    try {
      this.#options.onUsage(usage);
    } catch (error) {
      this.#log(`onUsage threw: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  #refused(error: ApiError): void {
    try {
      this.#options.onError?.({ status: error.status, type: error.type, message: error.message });
    } catch (thrown) {
      this.#log(`onError threw: ${thrown instanceof Error ? thrown.message : String(thrown)}`);
    }
  }

  /** A request refused before it was read (a body over the limit): the CLI gets the API's error, the driver hears it. */
  refuse(res: ServerResponse, error: ApiError): void {
    sendApiError(res, error, { connection: "close" });
    this.#refused(error);
  }

  async handle(call: RouteCall): Promise<void> {
    const controller = new AbortController();
    this.#inFlight.add(controller);
    // The CLI hung up (its own abort, or it was stopped): stop the upstream request or the offline stream too.
    call.res.on("close", () => call.res.writableFinished || controller.abort(new Error("the CLI went away")));
    try {
      if (call.kind === "count_tokens") await this.#countTokens(call, controller.signal);
      else await this.#messages(call, controller.signal);
    } finally {
      this.#inFlight.delete(controller);
      if (controller.signal.aborted && !call.res.writableEnded) call.res.destroy();
    }
  }

  async #countTokens(call: RouteCall, signal: AbortSignal): Promise<void> {
    let error: ApiError | null = null;
    try {
      const body = shapeCountTokens(parseCountTokensRequest(call.raw), this.#settings);
      if (!this.#client) return countTokensOffline(call.res, body);
      error = await forward(
        this.#client,
        {
          path: "/v1/messages/count_tokens",
          query: call.query,
          body: withoutOfflineThinking(body),
          headers: call.headers,
          signal,
        },
        call.res,
      );
    } catch (thrown) {
      if (!(thrown instanceof ApiError)) throw thrown;
      sendApiError(call.res, thrown);
      error = thrown;
    }
    if (error) this.#refused(error);
  }

  /** A Messages request, answered upstream or offline; its usage reported once, a refusal of the body not being one. */
  async #messages(call: RouteCall, signal: AbortSignal): Promise<void> {
    const settings = this.#settings;
    let body: MessagesRequest;
    try {
      body = shapeMessages(parseMessagesRequest(call.raw), settings);
    } catch (thrown) {
      if (!(thrown instanceof ApiError)) throw thrown;
      sendApiError(call.res, thrown);
      return this.#refused(thrown);
    }
    const requestId = randomUUID();
    const meter = new UsageMeter();
    let error: ApiError | null = null;
    try {
      if (this.#client)
        error = await forward(
          this.#client,
          {
            path: "/v1/messages",
            query: call.query,
            body: withoutOfflineThinking(body),
            headers: call.headers,
            signal,
            meter,
          },
          call.res,
        );
      else
        await answerOffline(call.res, {
          body,
          workspace: this.#options.workspace,
          tokenDelayMs: this.#tokenDelayMs,
          signal,
          meter,
        });
    } catch (thrown) {
      if (!signal.aborted) throw thrown;
    } finally {
      const failed = error !== null || !meter.complete || signal.aborted;
      const figures = meter.figures;
      this.#report({ requestId, model: settings.model, ...figures, failed });
      this.#log(
        `${requestId} ${settings.model} ${error ? `${error.status} ${error.type}` : failed ? "cut short" : "ok"} in ${figures.inputTokens} out ${figures.outputTokens}`,
      );
    }
    if (error) this.#refused(error);
  }
}
