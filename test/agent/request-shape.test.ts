import type Anthropic from "@anthropic-ai/sdk";
import type { MessageCreateParams as BetaCreateParams } from "@anthropic-ai/sdk/resources/beta/messages/messages";
import { describe, expect, it } from "vitest";
import {
  shapeCountRequest,
  shapeRequest,
  type RequestSettings,
} from "../../containers/agent/models/request-shape";
import { CATALOG, entryOf, type ModelId } from "@tandem/protocol/models";

const settings = (model: ModelId, extra: Partial<RequestSettings> = {}): RequestSettings => ({
  model,
  maxTokens: 4000,
  thinking: false,
  effort: null,
  ...extra,
});

/** A body as Claude Code might send it: sampling parameters included, as a JSON body can carry them. */
function foreignBody(model: string): Anthropic.MessageCreateParamsStreaming {
  const body = {
    model,
    max_tokens: 32_000,
    temperature: 1,
    top_p: 0.9,
    top_k: 40,
    stream: true as const,
    thinking: { type: "enabled" as const, budget_tokens: 16_000 },
    output_config: { effort: "max" as const, format: null },
    messages: [{ role: "user" as const, content: "hi" }],
    metadata: { user_id: "u" },
  };
  return body;
}

describe("shapeRequest", () => {
  it("sends no sampling parameter, the session's model and a capped max_tokens, for every model, thinking on and off", () => {
    for (const entry of CATALOG) {
      for (const thinking of [true, false]) {
        const shaped = shapeRequest(
          foreignBody("claude-whatever"),
          settings(entry.id, { thinking: thinking || entry.thinking.mode === "always" }),
          entry,
        );
        expect(shaped).not.toHaveProperty("temperature");
        expect(shaped).not.toHaveProperty("top_p");
        expect(shaped).not.toHaveProperty("top_k");
        expect(shaped.model).toBe(entry.id);
        expect(shaped.max_tokens).toBe(Math.min(32_000, 4000, entry.maxOutputTokens));
        expect(shaped.metadata).toEqual({ user_id: "u" });
        const type = shaped.thinking?.type;
        if (type !== undefined) expect(entry.thinking.accepts).toContain(type);
        if (type === "enabled") expect(shaped.thinking).toMatchObject({ budget_tokens: 3000 });
        // No effort chosen: the model's default, so none is sent; the request's other output settings stay.
        expect(shaped.output_config).toEqual({ format: null });
      }
    }
  });

  it("turns thinking on and off the way each kind of model takes it", () => {
    const on = (id: ModelId) =>
      shapeRequest(foreignBody(id), settings(id, { thinking: true }), entryOf(CATALOG, id)).thinking;
    const off = (id: ModelId) =>
      shapeRequest(foreignBody(id), settings(id, { thinking: false }), entryOf(CATALOG, id)).thinking;
    expect(on("claude-haiku-4-5")).toEqual({ type: "enabled", budget_tokens: 3000 });
    expect(on("claude-opus-4-6")).toEqual({ type: "adaptive" });
    expect(on("claude-opus-5-5")).toEqual({ type: "adaptive" });
    expect(off("claude-haiku-4-5")).toBeUndefined();
    expect(off("claude-opus-4-7")).toBeUndefined();
    expect(off("claude-opus-5")).toEqual({ type: "disabled" });
    expect(off("claude-sonnet-5-5")).toEqual({ type: "between_tools" });
    // An always-thinking model cannot be turned off: the API refuses `disabled`.
    expect(off("claude-fable-5-2")).toEqual({ type: "adaptive" });
  });

  it("leaves out a budget that cannot fit below max_tokens", () => {
    const entry = entryOf(CATALOG, "claude-opus-4-5");
    const shaped = shapeRequest(
      { ...foreignBody(entry.id), max_tokens: 1000 },
      settings(entry.id, { thinking: true }),
      entry,
    );
    expect(shaped.max_tokens).toBe(1000);
    expect(shaped).not.toHaveProperty("thinking");
  });

  it("sends the session's effort where the model takes it, and none where it does not", () => {
    const opus = entryOf(CATALOG, "claude-opus-4-6");
    expect(
      shapeRequest(foreignBody(opus.id), settings(opus.id, { effort: "low" }), opus).output_config,
    ).toEqual({ format: null, effort: "low" });
    expect(
      shapeRequest(foreignBody(opus.id), settings(opus.id, { effort: "xhigh" }), opus).output_config,
    ).toEqual({ format: null });
    const haiku = entryOf(CATALOG, "claude-haiku-4-5");
    const bare: Anthropic.MessageCreateParamsNonStreaming = {
      model: haiku.id,
      max_tokens: 100,
      messages: [],
      output_config: { effort: "high" },
    };
    expect(shapeRequest(bare, settings(haiku.id, { effort: "high" }), haiku)).not.toHaveProperty(
      "output_config",
    );
    // Thinking off caps the effort on a model that says so.
    const opus5 = entryOf(CATALOG, "claude-opus-5");
    expect(
      shapeRequest(foreignBody(opus5.id), settings(opus5.id, { effort: "max" }), opus5).output_config,
    ).toEqual({ format: null });
    expect(
      shapeRequest(foreignBody(opus5.id), settings(opus5.id, { effort: "max", thinking: true }), opus5)
        .output_config,
    ).toEqual({ format: null, effort: "max" });
  });

  it("shapes the beta API's params too, and count_tokens requests, without changing the caller's object", () => {
    const entry = entryOf(CATALOG, "claude-sonnet-5-5");
    const beta: BetaCreateParams = {
      model: "x",
      max_tokens: 50_000,
      messages: [],
      thinking: { type: "adaptive", display: "summarized" },
    };
    const shaped = shapeRequest(beta, settings(entry.id, { thinking: true, effort: "xhigh" }), entry);
    expect(shaped).toMatchObject({
      model: entry.id,
      max_tokens: 4000,
      thinking: { type: "adaptive", display: "summarized" },
      output_config: { effort: "xhigh" },
    });
    expect(beta).toEqual({
      model: "x",
      max_tokens: 50_000,
      messages: [],
      thinking: { type: "adaptive", display: "summarized" },
    });
    const count = shapeCountRequest(
      { model: "x", messages: [], thinking: { type: "disabled" } },
      settings(entry.id),
      entry,
    );
    expect(count).toEqual({ model: entry.id, messages: [], thinking: { type: "between_tools" } });
  });

  it("refuses an entry that is not the session's model", () => {
    expect(() =>
      shapeRequest(foreignBody("x"), settings("claude-opus-5"), entryOf(CATALOG, "claude-opus-4-8")),
    ).toThrow(/not the session's model/);
  });
});
