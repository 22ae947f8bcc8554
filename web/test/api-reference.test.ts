import { describe, expect, it } from "vitest";
import { OpenApiDocumentSchema, referenceOf, tagOf, typeWords } from "#lib/api-reference.ts";

/** Two paths as worker/api/openapi.ts writes them (operation(): "Who: …", x-tandem-access, a default error). */
const served = {
  openapi: "3.1.0",
  info: {
    title: "Tandem API",
    version: "1.0.0",
    description: "Errors are always {error:{code,message,field?}}.",
  },
  paths: {
    "/api/workspaces/{ws}/sessions": {
      post: {
        summary: "Create a session",
        description: "Who: owner, editor.",
        "x-tandem-access": "editor",
        parameters: [{ name: "ws", in: "path", required: true, schema: { type: "string" } }],
        requestBody: {
          required: true,
          content: { "application/json": { schema: { $ref: "#/components/schemas/CreateSession" } } },
        },
        responses: {
          201: {
            description: "created",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["session"],
                  properties: { session: { $ref: "#/components/schemas/Session" } },
                },
              },
            },
          },
          default: {
            description: "error",
            content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
          },
        },
      },
    },
    "/api/workspaces/{ws}/sessions/{id}/export": {
      get: {
        summary: "The transcript as Markdown or JSON",
        description: "Who: member.",
        parameters: [
          { name: "ws", in: "path", required: true, schema: { type: "string" } },
          { name: "id", in: "path", required: true, schema: { type: "string" } },
          { name: "format", in: "query", required: false, schema: { type: "string" } },
        ],
        responses: { 200: { description: "the file", content: { "text/markdown": { schema: {} } } } },
      },
    },
    "/api/tokens": {
      get: {
        summary: "List my API tokens",
        description: "Who: signed in.",
        responses: { 200: { description: "ok" } },
      },
    },
  },
  components: {
    schemas: {
      CreateSession: {
        type: "object",
        required: ["prompt"],
        properties: {
          prompt: { type: "string", description: "the first message" },
          repos: { type: "array", items: { type: "string" } },
          permissionMode: { enum: ["auto", "ask", "plan"] },
          workflow: { type: ["string", "null"] },
        },
      },
    },
  },
};

describe("the API reference", () => {
  it("groups the operations by the resource their path names, in the document's order", () => {
    const groups = referenceOf(OpenApiDocumentSchema.parse(served));
    expect(groups.map((g) => [g.tag, g.operations.map((o) => `${o.method} ${o.path}`)])).toEqual([
      ["Sessions", ["post /api/workspaces/{ws}/sessions", "get /api/workspaces/{ws}/sessions/{id}/export"]],
      ["API tokens", ["get /api/tokens"]],
    ]);
  });

  it("reads each operation at a glance: who, parameters, the body's fields, the responses' shapes", () => {
    const [sessions] = referenceOf(OpenApiDocumentSchema.parse(served));
    const [create, exported] = sessions.operations;
    expect(create).toMatchObject({
      id: "post-api-workspaces-ws-sessions",
      summary: "Create a session",
      who: "owner, editor",
      parameters: [{ name: "ws", in: "path", required: true }],
    });
    expect(create.body).toEqual({
      schema: "CreateSession",
      fields: [
        { name: "prompt", type: "string", required: true, description: "the first message" },
        { name: "repos", type: "string[]", required: false, description: "" },
        { name: "permissionMode", type: '"auto" | "ask" | "plan"', required: false, description: "" },
        { name: "workflow", type: "string | null", required: false, description: "" },
      ],
    });
    expect(create.responses).toEqual([
      { status: "201", description: "created", body: "{ session: Session }" },
      { status: "default", description: "error", body: "Error" },
    ]);
    expect(exported.body).toBeNull();
    expect(exported.parameters.map((p) => `${p.name}:${p.in}`)).toEqual([
      "ws:path",
      "id:path",
      "format:query",
    ]);
    expect(exported.responses[0].body).toBe("text/markdown");
  });

  it("takes an operation's own tag first", () => {
    expect(tagOf("/api/workspaces/{ws}/mcp-servers/{name}")).toBe("MCP servers");
    expect(tagOf("/api/workspaces/{ws}")).toBe("Workspaces");
    expect(tagOf("/api/workspaces/{ws}/secrets", ["Vault"])).toBe("Vault");
    expect(typeWords({ type: "array", items: { $ref: "#/components/schemas/Session" } })).toBe("Session[]");
  });

  it("refuses a document that is not OpenAPI", () => {
    expect(OpenApiDocumentSchema.safeParse({ error: { code: "not_found" } }).success).toBe(false);
  });
});
