/**
 * The model gateway (issue 20): Claude Code's ANTHROPIC_BASE_URL in the agent host. It forwards to the
 * Messages API with the real key and the session's settings, reads each response's usage from the stream,
 * and with no key answers as the offline model. README.md in this folder says how it behaves.
 */
export { startModelGateway } from "./server";
export { OFFLINE_LABEL } from "./offline";
export type {
  Effort,
  GatewayError,
  GatewayRoute,
  GatewayRouteOptions,
  GatewaySettings,
  GatewayUpstream,
  GatewayUsage,
  ModelGateway,
  ModelGatewayOptions,
  ModelId,
} from "./types";
