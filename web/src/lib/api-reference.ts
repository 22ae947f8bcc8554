/**
 * The API reference page's reading of the served OpenAPI document (/api/openapi.json): its operations
 * grouped by tag, each with what a person needs at a glance (method, path, summary, who may call it,
 * parameters, the request body's fields, the responses). Only the parts read here are checked: the
 * document is the Worker's own, but it is still input from outside the page.
 */
import { z } from "zod";

const RefSchema = z.object({ $ref: z.string() });
const MediaSchema = z.record(z.string(), z.object({ schema: z.unknown().optional() }));

const OperationSchema = z.object({
  summary: z.string().default(""),
  description: z.string().default(""),
  tags: z.array(z.string()).optional(),
  "x-tandem-access": z.string().optional(),
  parameters: z
    .array(
      z.object({
        name: z.string(),
        in: z.string(),
        required: z.boolean().default(false),
        description: z.string().optional(),
      }),
    )
    .default([]),
  requestBody: z.object({ required: z.boolean().default(false), content: MediaSchema }).optional(),
  responses: z.record(
    z.string(),
    z.object({ description: z.string().default(""), content: MediaSchema.optional() }),
  ),
});

const METHODS = ["get", "post", "put", "patch", "delete"] as const;
export type Method = (typeof METHODS)[number];

export const OpenApiDocumentSchema = z.object({
  openapi: z.string(),
  info: z.object({ title: z.string(), version: z.string(), description: z.string().default("") }),
  paths: z.record(z.string(), z.partialRecord(z.enum(METHODS), OperationSchema)),
  components: z.object({ schemas: z.record(z.string(), z.unknown()).default({}) }).default({ schemas: {} }),
});
export type OpenApiDocument = z.infer<typeof OpenApiDocumentSchema>;

/** A field of a JSON body: its name, its type in words, whether it must be there. */
export interface BodyField {
  name: string;
  type: string;
  required: boolean;
  description: string;
}

export interface ReferenceResponse {
  status: string;
  description: string;
  /** What the body is: a schema's name, "JSON", a file's media type; "" for none. */
  body: string;
}

export interface ReferenceOperation {
  /** A stable anchor for a link to it. */
  id: string;
  method: Method;
  path: string;
  summary: string;
  /** Who may call it, in words ("owner, editor"). */
  who: string;
  parameters: { name: string; in: string; required: boolean }[];
  /** The request body's schema name ("" for JSON without one) and its top-level fields; null: no body. */
  body: { schema: string; fields: BodyField[] } | null;
  responses: ReferenceResponse[];
}

export interface ReferenceGroup {
  tag: string;
  operations: ReferenceOperation[];
}

/** How a path's resource reads as a heading, where its word alone would not. */
const TAG_LABELS: Record<string, string> = {
  auth: "Account",
  me: "Account",
  tokens: "API tokens",
  models: "Models",
  "mcp-servers": "MCP servers",
  "openapi.json": "This document",
};

/**
 * The tag an operation is listed under: its own first tag, else the resource its path names (the first
 * word after the workspace, or the first word of the path), so a document without tags still groups.
 */
export function tagOf(path: string, tags?: readonly string[]): string {
  if (tags?.[0]) return tags[0];
  const words = path.split("/").filter((part) => part && part !== "api" && !part.startsWith("{"));
  const word = words[0] === "workspaces" && words.length > 1 ? words[1] : (words[0] ?? "");
  return TAG_LABELS[word] ?? word.charAt(0).toUpperCase() + word.slice(1);
}

const schemaName = (ref: string) => ref.replace(/^#\/components\/schemas\//, "");

const JsonSchemaSchema = z.looseObject({
  type: z.union([z.string(), z.array(z.string())]).optional(),
  $ref: z.string().optional(),
  enum: z.array(z.unknown()).optional(),
  items: z.unknown().optional(),
  anyOf: z.array(z.unknown()).optional(),
  description: z.string().optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
  required: z.array(z.string()).optional(),
});

/**
 * A JSON Schema's type in a few words: `string`, `"a" | "b"`, `Session[]`, `string | null`, and an object
 * by its fields (`{ session: Session }`).
 */
export function typeWords(schema: unknown, depth = 0): string {
  const s = JsonSchemaSchema.safeParse(schema);
  if (!s.success || depth > 3) return "any";
  const { type, $ref, enum: values, items, anyOf, properties } = s.data;
  if ($ref) return schemaName($ref);
  if (properties) {
    const fields = Object.entries(properties).map(
      ([name, field]) => `${name}: ${typeWords(field, depth + 1)}`,
    );
    return `{ ${fields.join(", ")} }`;
  }
  if (values) return values.map((v) => JSON.stringify(v)).join(" | ");
  if (anyOf) return anyOf.map((part) => typeWords(part, depth + 1)).join(" | ");
  if (type === "array") return `${typeWords(items, depth + 1)}[]`;
  if (Array.isArray(type)) return type.join(" | ");
  return type ?? "any";
}

/** What a response's or a body's content is: its JSON's shape in words, or a file's media type. */
function contentName(content: z.infer<typeof MediaSchema> | undefined): string {
  const [mime, media] = Object.entries(content ?? {})[0] ?? [];
  if (!mime) return "";
  return mime === "application/json" ? typeWords(media?.schema) : mime;
}

/** A body schema's top-level fields, in the document's order. */
export function bodyFields(doc: OpenApiDocument, schema: unknown): BodyField[] {
  const ref = RefSchema.safeParse(schema);
  const resolved = ref.success ? doc.components.schemas[schemaName(ref.data.$ref)] : schema;
  const s = JsonSchemaSchema.safeParse(resolved);
  if (!s.success) return [];
  const required = new Set(s.data.required ?? []);
  return Object.entries(s.data.properties ?? {}).map(([name, field]) => ({
    name,
    type: typeWords(field),
    required: required.has(name),
    description: JsonSchemaSchema.safeParse(field).data?.description ?? "",
  }));
}

/** The document's operations grouped by tag, the groups and their operations in the document's order. */
export function referenceOf(doc: OpenApiDocument): ReferenceGroup[] {
  const groups = new Map<string, ReferenceOperation[]>();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = methods[method];
      if (!op) continue;
      const bodyContent = op.requestBody?.content;
      const bodySchema = bodyContent?.["application/json"]?.schema;
      const operation: ReferenceOperation = {
        id: `${method}-${path}`.replace(/[^a-z0-9]+/gi, "-").replace(/-+$/, ""),
        method,
        path,
        summary: op.summary,
        who: op.description.replace(/^Who: /, "").replace(/\.$/, ""),
        parameters: op.parameters.map(({ name, in: where, required }) => ({ name, in: where, required })),
        body: op.requestBody
          ? { schema: contentName(bodyContent), fields: bodyFields(doc, bodySchema) }
          : null,
        responses: Object.entries(op.responses).map(([status, r]) => ({
          status,
          description: r.description,
          body: contentName(r.content),
        })),
      };
      const tag = tagOf(path, op.tags);
      groups.set(tag, [...(groups.get(tag) ?? []), operation]);
    }
  }
  return [...groups].map(([tag, operations]) => ({ tag, operations }));
}
