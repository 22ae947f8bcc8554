/**
 * Whether an answer is the one the API's OpenAPI document (GET /api/openapi.json) promises for its status:
 * the documented content type and, for JSON, a body that validates against the documented schema (the
 * component schemas made from the protocol's zod schemas allow no field they do not name). Validated with
 * @cfworker/json-schema, which runs inside workerd. Also names the component schemas a real answer filled,
 * so a suite can tell which of them it has seen with data (an empty list fills none).
 */
import { Validator, type Schema } from "@cfworker/json-schema";

type JsonSchema = Schema & {
  $ref?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
};

export interface PublishedDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        requestBody?: unknown;
        responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }>;
      }
    >
  >;
  components: { schemas: Record<string, JsonSchema> };
}

export interface Answer {
  status: number;
  contentType: string;
  text: string;
}

/** What is wrong with `answer` as the documented answer of `method path` (empty: nothing). */
export function undocumented(doc: PublishedDocument, method: string, path: string, answer: Answer): string[] {
  const operation = doc.paths[path]?.[method.toLowerCase()];
  if (!operation) return [`${method} ${path} is not in the document`];
  const documented =
    operation.responses[String(answer.status)] ??
    (answer.status >= 400 ? operation.responses.default : undefined);
  if (!documented) return [`${answer.status} is not a documented answer of ${method} ${path}`];
  const types = Object.keys(documented.content ?? {});
  if (types.length === 0)
    return answer.text === ""
      ? []
      : [`${answer.status} is documented without a body, and one came: ${answer.text.slice(0, 200)}`];
  const contentType = answer.contentType.split(";")[0].trim();
  // `*/*`: any type (an artifact is served with the type it was stored with).
  if (!types.includes(contentType) && !types.includes("*/*"))
    return [`content-type ${contentType || "(none)"}, documented: ${types.join(", ")}`];
  if (contentType !== "application/json") return [];
  const result = validator(doc, documented.content!["application/json"].schema).validate(
    JSON.parse(answer.text),
  );
  return result.valid ? [] : result.errors.map((error) => `${error.instanceLocation}: ${error.error}`);
}

/** The component schemas `value` fills under `schema`: each array's items, each object's fields, followed. */
export function componentsFilled(
  doc: PublishedDocument,
  schema: JsonSchema,
  value: unknown,
  seen = new Set<string>(),
): Set<string> {
  if (schema.$ref) {
    const name = schema.$ref.split("/").pop()!;
    seen.add(name);
    return componentsFilled(doc, doc.components.schemas[name], value, seen);
  }
  for (const branch of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) {
    if (validator(doc, branch).validate(value).valid) componentsFilled(doc, branch, value, seen);
  }
  if (Array.isArray(value) && schema.items)
    for (const item of value) componentsFilled(doc, schema.items, item, seen);
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, field] of Object.entries(value)) {
      const fieldSchema =
        schema.properties?.[key] ??
        (typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined);
      if (fieldSchema) componentsFilled(doc, fieldSchema, field, seen);
    }
  }
  return seen;
}

/** A validator of `schema` whose `#/components/...` references resolve in the document. */
function validator(doc: PublishedDocument, schema: JsonSchema): Validator {
  return new Validator({ ...schema, components: doc.components } as Schema, "2020-12", false);
}

/** The document's schema of the JSON answer of `method path` with `status`, if it documents one. */
export function answerSchema(
  doc: PublishedDocument,
  method: string,
  path: string,
  status: number,
): JsonSchema | undefined {
  return doc.paths[path]?.[method.toLowerCase()]?.responses[String(status)]?.content?.["application/json"]
    ?.schema;
}
