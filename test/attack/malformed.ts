/**
 * Malformed requests for an operation of the OpenAPI document, each one invalid by construction: broken
 * and oversized JSON, nesting bombs, every property of the body schema given a value of the wrong type
 * or out of its bounds, bodies sent as something other than JSON, path and query parameters that name
 * nothing, headers that carry garbage for credentials, and methods a path does not have.
 */
import type { ApiDocument, JsonSchema, Operation } from "./operations";

export interface Probe {
  label: string;
  path: string;
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** Set when the probe may legitimately succeed (it changes nothing): a public read, say. */
  mayPass?: boolean;
}

const deep = (depth: number, open = "[", close = "]") => `${open.repeat(depth)}${close.repeat(depth)}`;
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;

/** JSON text that does not parse, or parses to no object. */
const BROKEN_JSON = [
  "{",
  "}",
  "[",
  '{"a":}',
  "{'a':1}",
  '{"a":1,}',
  "nul",
  "tru",
  "NaN",
  "undefined",
  '"unterminated',
  '{"a":1}}',
  "/* comment */ {}",
  "\uFEFF\uFEFF{",
  "\u0000",
  "[1,2",
  '{"a" 1}',
  "0x10",
  '{"a":01}',
  '{"a":"\\x41"}',
  '{"a":"\\u12"}',
  "null",
  "0",
  "-1",
  "1.5",
  "1e999999",
  "true",
  "false",
  '"a string"',
  "[]",
  "[{}]",
  "[null]",
];

/** Nesting far past what any body may have: JSON.parse copes, whatever walks the value later might not. */
const NESTING_BOMBS = [
  deep(100),
  deep(5_000),
  deep(100_000),
  deepObject(1_000),
  deep(50_000, '{"a":[', "]}"),
];

/** Values of the wrong type (or over every bound) for a property of this schema. */
function wrongValues(schema: JsonSchema): unknown[] {
  const types = new Set([schema.type ?? [], ...(schema.anyOf ?? []).map((s) => s.type ?? [])].flat());
  const values: unknown[] = [{ nested: true }];
  if (!types.has("array")) values.push([]);
  if (!types.has("null")) values.push(null);
  if (!types.has("string")) values.push("a string", "");
  else values.push(0, true, "x".repeat(200_001));
  if (!types.has("number") && !types.has("integer")) values.push(42, -1, 1e308);
  else values.push(-1e308, 1e308, "1", true);
  if (types.has("integer")) values.push(0.5);
  if (!types.has("boolean")) values.push(false);
  if (schema.enum || schema.pattern || schema.format) {
    // A look-alike the schema itself allows (an upper-case git branch name) is not a wrong value.
    const allowed = (value: string) =>
      (schema.pattern ? new RegExp(schema.pattern).test(value) : false) ||
      (schema.enum?.includes(value) ?? false);
    values.push(
      ...["claude-🎉", "OWNER", "\u202eowner", " viewer", "ownér", "\u0000"].filter(
        (value) => !allowed(value),
      ),
    );
  }
  if (types.has("array"))
    values.push(
      Array.from({ length: 10_000 }, () => ({})),
      [null],
      [42],
    );
  return values;
}

function properties(doc: ApiDocument, name: string): [Record<string, JsonSchema>, string[], boolean] {
  const schema = doc.components.schemas[name];
  const merged = [schema, ...(schema.allOf ?? [])];
  const props = Object.assign({}, ...merged.map((s) => s.properties ?? {})) as Record<string, JsonSchema>;
  const required = merged.flatMap((s) => s.required ?? []);
  return [props, required, merged.some((s) => s.additionalProperties === false)];
}

const json = { "content-type": "application/json" };

/** Malformed bodies for an operation that takes one, around a valid `sample`. */
export function bodyProbes(
  doc: ApiDocument,
  op: Operation,
  path: string,
  sample: Record<string, unknown>,
  auth: Record<string, string>,
): Probe[] {
  if (!op.body) return [];
  const probes: Probe[] = [];
  const add = (label: string, body: string | Uint8Array, headers: Record<string, string> = json) =>
    probes.push({
      label: `${op.method} ${op.path}: ${label}`,
      path,
      method: op.method,
      headers: { ...auth, ...headers },
      body,
    });
  for (const text of BROKEN_JSON) add(`broken JSON ${JSON.stringify(text.slice(0, 20))}`, text);
  for (const text of ["", "   ", "\n\t"]) add("empty body", text);
  for (const bomb of NESTING_BOMBS) add(`nesting bomb of ${bomb.length} bytes`, bomb);
  const withSurrogate = JSON.stringify(sample).replace(/"([^"]+)"\s*:\s*"/, '"$1":"\\ud800');
  if (withSurrogate !== JSON.stringify(sample)) add("a lone surrogate in a string", withSurrogate);
  add("a lone low surrogate in a key", JSON.stringify({ ...sample, "k\udfff": 1 }));
  add("invalid UTF-8", new Uint8Array([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x22, 0x7d]));
  add(
    "UTF-16 body",
    new Uint8Array([
      0xff,
      0xfe,
      ...[...new TextEncoder().encode(JSON.stringify(sample))].flatMap((b) => [b, 0]),
    ]),
  );
  add("1 MiB + 1 of padding", JSON.stringify({ ...sample, padding: "x".repeat(1024 * 1024) }));
  add("4 MiB", JSON.stringify({ ...sample, padding: "x".repeat(4 * 1024 * 1024) }));

  const [props, required, strict] = properties(doc, op.body);
  if (required.length > 0) add("no properties", "{}");
  for (const key of required) {
    const { [key]: _, ...rest } = sample;
    add(`without ${key}`, JSON.stringify(rest));
  }
  for (const [key, schema] of Object.entries(props)) {
    for (const value of wrongValues(schema))
      add(`${key} = ${JSON.stringify(value)?.slice(0, 30)}`, JSON.stringify({ ...sample, [key]: value }));
    add(`${key} nested 10,000 deep`, JSON.stringify({ ...sample, [key]: "X" }).replace('"X"', deep(10_000)));
    // A look-alike key (Cyrillic а) in place of the real one.
    if (strict || required.includes(key)) {
      const { [key]: value, ...rest } = sample;
      add(
        `look-alike key for ${key}`,
        JSON.stringify({
          ...rest,
          [key.replace(/a/, "а") + (key.includes("a") ? "" : "\u200b")]: value ?? "x",
        }),
      );
    }
  }
  if (strict) add("an unknown property", JSON.stringify({ ...sample, isAdmin: true }));
  add(
    "__proto__ pollution",
    JSON.stringify(sample).replace(
      /^\{/,
      '{"__proto__":{"role":"owner","isAdmin":true},"constructor":{"prototype":{"x":1}},',
    ) + "",
  );

  const valid = JSON.stringify(sample);
  for (const type of [
    "text/plain",
    "text/plain;charset=UTF-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
    "application/jsonx",
    "json",
    "application/json-patch",
  ]) {
    add(`a valid body sent as ${type}`, valid, { "content-type": type });
  }
  return probes;
}

/** Values for a path parameter that name nothing (none is a valid secret name, so no PUT creates one). */
const BAD_IDS = [
  "%00",
  "%ZZ",
  "..",
  "%2e%2e",
  "%2F",
  "a%2Fb",
  "%F0%9F%92%A5",
  "💥",
  "'%20OR%20'1'='1",
  "%3Cscript%3E",
  "x".repeat(5000),
  crypto.randomUUID(),
  "%20",
  "%5C",
  "a%00b",
  "%EF%BF%BF",
  "%C0%AF",
];

export function paramProbes(
  op: Operation,
  fill: (overrides: Record<string, string>) => string,
  auth: Record<string, string>,
  body?: string,
): Probe[] {
  const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  return params.flatMap((param) =>
    BAD_IDS.map((value) => ({
      label: `${op.method} ${op.path}: {${param}} = ${value.slice(0, 20)}`,
      path: fill({ [param]: value }),
      method: op.method,
      headers: { ...auth, ...(body ? json : {}) },
      body,
    })),
  );
}

const BAD_QUERY = [
  "",
  "💥",
  "x".repeat(5000),
  "-1",
  "0",
  "1e9",
  "NaN",
  "[object Object]",
  "%00",
  "Running%00",
  "1;DROP TABLE sessions",
];

/**
 * Free text (the session list's search, `q`): any words up to its bound are a fair search, so only what
 * breaks the bound (over 100 characters, blank, a control character) must be refused.
 */
const FREE_TEXT = new Set(["q"]);
const isFairSearch = (value: string) =>
  !value.includes("%00") && value.trim().length >= 1 && value.trim().length <= 100;

export function queryProbes(op: Operation, path: string, auth: Record<string, string>): Probe[] {
  return op.query.flatMap((name) =>
    [...BAD_QUERY, ...(FREE_TEXT.has(name) ? ["   ", "a%0Ab", "x".repeat(101)] : [])].map((value) => ({
      label: `${op.method} ${op.path}: ?${name}=${value.slice(0, 20)}`,
      path: `${path}?${name}=${encodeURIComponent(value).replaceAll("%25", "%")}`,
      method: op.method,
      headers: auth,
      // An empty optional parameter reads as one not given.
      mayPass: value === "" || (FREE_TEXT.has(name) && isFairSearch(value)),
    })),
  );
}

/** Credentials that are garbage; with no valid one, every non-public route answers 401. */
const BAD_CREDENTIALS: Record<string, string>[] = [
  { authorization: "Bearer" },
  { authorization: "Bearer tdm_" },
  { authorization: `Bearer tdm_${"A".repeat(43)}` },
  { authorization: `Bearer ${"x".repeat(8000)}` },
  { authorization: "Basic YWxhZGRpbjpvcGVuc2VzYW1l" },
  { authorization: "Bearer tdm_\xff\xfe" },
  { authorization: "bearer  tdm_x y" },
  { cookie: "tandem_dev_session=" },
  { cookie: "tandem_dev_session=%E0%A4%A" },
  { cookie: `tandem_dev_session=${"a".repeat(4000)}` },
  { cookie: "tandem_dev_session=x.y; tandem_dev_session=z" },
  { cookie: "\xff\xfe=1; =; ;;" },
  { "cf-access-jwt-assertion": "e30.e30.e30" },
];

export function credentialProbes(op: Operation, path: string, body?: string): Probe[] {
  return BAD_CREDENTIALS.map((headers) => ({
    label: `${op.method} ${op.path}: credentials ${JSON.stringify(headers).slice(0, 40)}`,
    path,
    method: op.method,
    headers: { ...headers, ...(body !== undefined ? json : {}) },
    body,
    mayPass: op.access === "public",
  }));
}

/**
 * Signed webhook bodies that are not JSON, nest too deep or are too large, and delivery ids that are not
 * ids: refused before anything is recorded. (Any JSON is a valid payload, so none of these parse.)
 * `signed` marks the body for the caller to sign with the trigger's secret.
 */
export function webhookProbes(op: Operation, path: string, validBody: string): (Probe & { signed: true })[] {
  const unparsable = BROKEN_JSON.filter((text) => {
    try {
      JSON.parse(text);
      return false;
    } catch {
      return true;
    }
  });
  const probe = (label: string, body: string | Uint8Array, headers: Record<string, string> = {}) => ({
    label: `${op.method} ${op.path}: ${label}`,
    path,
    method: op.method,
    headers: { ...json, "x-github-event": "issues", ...headers },
    body,
    signed: true as const,
  });
  return [
    ...unparsable.map((text) => probe(`signed broken JSON ${JSON.stringify(text.slice(0, 20))}`, text)),
    ...NESTING_BOMBS.map((bomb) => probe(`signed nesting bomb of ${bomb.length} bytes`, bomb)),
    probe("signed invalid UTF-8", new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])),
    probe("1 MiB + 1", `{"p":"${"x".repeat(1024 * 1024)}"}`),
    ...["", " ", "x".repeat(201), "has space", "tab\there", "ÿþ"].map((id) =>
      probe(`delivery id ${JSON.stringify(id.slice(0, 10))}`, validBody, { "x-github-delivery": id }),
    ),
  ];
}

/** The methods a path does not have. */
export function methodProbes(
  path: string,
  methods: string[],
  auth: Record<string, string>,
  template: string,
): Probe[] {
  return ["GET", "POST", "PUT", "PATCH", "DELETE"]
    .filter((method) => !methods.includes(method))
    .map((method) => ({
      label: `${method} ${template}: no such method`,
      path,
      method,
      headers: { ...auth, ...json },
      body: method === "GET" ? undefined : "{}",
    }));
}
