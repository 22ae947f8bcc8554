/** The API's operations as its OpenAPI document lists them: what the attack suite iterates over. */
import { SELF } from "cloudflare:test";

export type Access = "public" | "signedIn" | "self" | "member" | "editor" | "owner" | "signature";

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

interface DocOperation {
  "x-tandem-access": Access;
  parameters?: { name: string; in: "path" | "query" }[];
  requestBody?: { content: { "application/json": { schema: { $ref: string } } } };
  responses: Record<string, unknown>;
}

export interface Operation {
  method: string;
  path: string;
  access: Access;
  /** The request body's schema name in components.schemas, if it takes one. */
  body: string | null;
  query: string[];
  /** The documented 2xx statuses. */
  success: number[];
}

export interface ApiDocument {
  paths: Record<string, Record<string, DocOperation>>;
  components: { schemas: Record<string, JsonSchema> };
}

export async function loadDocument(): Promise<{ doc: ApiDocument; operations: Operation[] }> {
  const doc = (await (await SELF.fetch("http://localhost:8787/api/openapi.json")).json()) as ApiDocument;
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      access: op["x-tandem-access"],
      body: op.requestBody?.content["application/json"].schema.$ref.split("/").pop() ?? null,
      query: (op.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name),
      success: Object.keys(op.responses)
        .filter((status) => /^2\d\d$/.test(status))
        .map(Number),
    })),
  );
  return { doc, operations };
}
