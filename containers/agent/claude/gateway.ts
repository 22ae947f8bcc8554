/**
 * The model gateway's interface as agreed for issue 20 (/work/brief/gateway-interface.md); the gateway
 * itself lives in containers/agent/gateway/. Until it is merged, this states what the driver relies on.
 */
import type { ModelId } from "../../../worker/protocol/models";

export interface GatewaySettings {
  model: ModelId;
  maxTokens: number;
  thinking: boolean;
}

export interface GatewayUsage {
  requestId: string;
  model: ModelId;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  failed: boolean;
}

export interface GatewayError {
  status: number;
  type: string;
  message: string;
}

export interface GatewayRouteOptions {
  settings: GatewaySettings;
  upstream: { apiKey: string; baseURL?: string } | null;
  workspace?: string;
  onUsage(usage: GatewayUsage): void;
  onError?(error: GatewayError): void;
  log?(line: string): void;
}

export interface GatewayRoute {
  readonly baseURL: string;
  update(settings: Partial<GatewaySettings>): void;
  close(): void;
}

export interface ModelGateway {
  open(options: GatewayRouteOptions): GatewayRoute;
  close(): Promise<void>;
}

/** Until the gateway is merged, the host cannot start one of its own. */
export async function startGateway(_options: { offlineTokenDelayMs?: number; log?(line: string): void }): Promise<ModelGateway> {
  throw new Error("the model gateway (containers/agent/gateway) is not merged yet");
}
