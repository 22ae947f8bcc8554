/**
 * MCP servers of a workspace (SPEC §10) as the API speaks them. A header's value is a credential: it names
 * a workspace secret (`secret:NAME`, read when a session starts) or is a literal; either way no answer and
 * no frame of the session carries it. web/ imports this file: no Worker-runtime imports.
 */
import { z } from "zod";
import { SECRET_NAME } from "./workspace";

/** The most servers one workspace may have (each is a connection every session opens at its start). */
export const MAX_MCP_SERVERS = 20;
export const MAX_MCP_HEADERS = 20;
/** A header's value, literal or named: well past any bearer token, far below a request's header budget. */
export const MAX_MCP_HEADER_VALUE = 8 * 1024;

/** The server's name is the middle of its tools' names (`mcp__<name>__<tool>`): no underscores. */
export const McpServerNameSchema = z
  .string()
  .regex(
    /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/,
    "must be a slug: lowercase letters, digits and inner hyphens, at most 40",
  );
export const McpTransportSchema = z.enum(["http", "sse"]);
export type McpTransport = z.infer<typeof McpTransportSchema>;

/** An HTTP header name (RFC 9110 token); Host and the hop-by-hop headers are the client's own. */
const HeaderNameSchema = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/, "must be an HTTP header name")
  .refine(
    (name) =>
      !/^(host|content-length|connection|transfer-encoding|upgrade|te|trailer|keep-alive|proxy-.*)$/i.test(
        name,
      ),
    "is set by the connection itself",
  );

export const SECRET_HEADER_PREFIX = "secret:";
const HeaderValueSchema = z
  .string()
  .min(1)
  .max(MAX_MCP_HEADER_VALUE)
  .refine((value) => !/[\r\n\0]/.test(value), "must not contain line breaks")
  .refine(
    (value) =>
      !value.startsWith(SECRET_HEADER_PREFIX) || SECRET_NAME.test(value.slice(SECRET_HEADER_PREFIX.length)),
    "secret: must name a workspace secret",
  );

export const McpHeadersSchema = z
  .record(HeaderNameSchema, HeaderValueSchema)
  .refine((headers) => Object.keys(headers).length <= MAX_MCP_HEADERS, `at most ${MAX_MCP_HEADERS} headers`);
export type McpHeaders = z.infer<typeof McpHeadersSchema>;

/** The secret a header value names, or null for a literal value. */
export function headerSecretName(value: string): string | null {
  return value.startsWith(SECRET_HEADER_PREFIX) ? value.slice(SECRET_HEADER_PREFIX.length) : null;
}

/** http is accepted here so that dev (loopback servers) works; outside dev the route refuses anything but https. */
const McpURLSchema = z
  .url({ protocol: /^https?$/, error: "must be an https URL" })
  .max(2000)
  // Members see the URL: a credential goes in a header (from a secret), never in the URL's user info.
  .refine(
    (url) => URL.canParse(url) && !new URL(url).username && !new URL(url).password,
    "must not carry a user name or password: put credentials in a header",
  );

export const McpServerDefinitionSchema = z.strictObject({
  url: McpURLSchema,
  transport: McpTransportSchema,
  headers: McpHeadersSchema.optional(),
});
export const CreateMcpServerSchema = McpServerDefinitionSchema.extend({ name: McpServerNameSchema });
export const UpdateMcpServerSchema = McpServerDefinitionSchema;
export const McpServerParamsSchema = z.object({ name: McpServerNameSchema });
export type McpServerDefinition = z.infer<typeof McpServerDefinitionSchema>;
export type NewMcpServer = z.input<typeof CreateMcpServerSchema>;

/**
 * A server as listed. Members see the header names only; owners also see which secret each header names
 * (`secretHeaders`). A literal value is never returned, to anyone.
 */
export const McpServerSchema = z.object({
  name: z.string(),
  url: z.string(),
  transport: McpTransportSchema,
  headerNames: z.array(z.string()),
  /** Owners only: header name → the secret it names. */
  secretHeaders: z.record(z.string(), z.string()).optional(),
  createdAt: z.int(),
  updatedAt: z.int(),
});
export type McpServer = z.infer<typeof McpServerSchema>;

/** A server's connection as Claude Code reports it (its init message and its MCP status). */
export const McpConnectionStatusSchema = z.enum(["connected", "failed", "needs-auth", "pending", "disabled"]);
export const McpConnectionSchema = z.object({
  name: z.string().max(100),
  status: McpConnectionStatusSchema,
  /** Why it failed, in Claude Code's or Tandem's words. */
  error: z.string().max(2000).optional(),
});
export type McpConnection = z.infer<typeof McpConnectionSchema>;
