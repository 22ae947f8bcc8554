import { describe, expect, it } from "vitest";
import { defaultForm, fieldKey, thinkingAllowed, toBody, validate } from "#lib/session-form.ts";
import { CATALOG, modelViews, type ModelView } from "@tandem/protocol/models";

// The catalog as GET /api/models answers it; models picked by what they can do.
const views = modelViews(CATALOG, Date.now()).filter((m) => !m.retired);
const pick = (test: (m: ModelView) => boolean) => views.find(test)!;

describe("session form", () => {
  it("accepts the defaults of SPEC §2", () => {
    const f = defaultForm();
    expect(f).toMatchObject({
      model: "",
      temperature: 0.7,
      effort: null,
      maxTokens: 4000,
      timeoutSeconds: 300,
      thinking: false,
      interactive: true,
    });
    expect(validate(f)).toEqual({});
    // No model chosen: the server picks the catalog's default at creation (the first live model).
    expect(toBody(f)).not.toHaveProperty("model");
    const model = pick(() => true).id;
    expect(toBody({ ...f, model }).model).toBe(model);
  });

  it("enforces the bounds at both ends", () => {
    const ok = { ...defaultForm(), temperature: 2, maxTokens: 100, timeoutSeconds: 1800 };
    expect(validate(ok)).toEqual({});
    const bad = {
      ...defaultForm(),
      temperature: 2.01,
      maxTokens: 8001,
      timeoutSeconds: 59,
      displayName: "x".repeat(101),
    };
    // Each field names its own rule, as the dialog shows it under the field.
    expect(validate(bad)).toEqual({
      displayName: "At most 100 characters.",
      maxTokens: "A whole number from 100 to 8000.",
      temperature: "Between 0 and 2.",
      timeoutSeconds: "Whole seconds from 60 to 1800.",
    });
    expect(validate({ ...defaultForm(), maxTokens: 99 }).maxTokens).toBe("A whole number from 100 to 8000.");
    expect(validate({ ...defaultForm(), maxTokens: 1000.5 }).maxTokens).toBe(
      "A whole number from 100 to 8000.",
    );
    expect(validate({ ...defaultForm(), temperature: -0.1 }).temperature).toBe("Between 0 and 2.");
    expect(validate({ ...defaultForm(), timeoutSeconds: 1801 }).timeoutSeconds).toBe(
      "Whole seconds from 60 to 1800.",
    );
    // An emptied number input binds null.
    expect(validate({ ...defaultForm(), maxTokens: null as unknown as number }).maxTokens).toBe(
      "A whole number from 100 to 8000.",
    );
  });

  it("allows thinking only above 1024 max tokens", () => {
    expect(thinkingAllowed(1024)).toBe(false);
    expect(thinkingAllowed(1025)).toBe(true);
    expect(validate({ ...defaultForm(), thinking: true, maxTokens: 1024 })).toEqual({
      thinking: "Extended thinking needs max tokens of at least 1025.",
    });
    expect(validate({ ...defaultForm(), thinking: true, maxTokens: 1025 })).toEqual({});
  });

  it("sends the stored temperature (the server keeps it; the model never gets it) and the effort", () => {
    expect(toBody({ ...defaultForm(), thinking: true }).temperature).toBe(0.7);
    expect(toBody({ ...defaultForm(), effort: "low" }).effort).toBe("low");
    expect(toBody(defaultForm()).effort).toBeNull();
  });

  it("with the chosen model's entry, refuses what the model cannot take, as the API would", () => {
    const noEffort = pick((m) => m.effort.levels.length === 0);
    expect(validate({ ...defaultForm(), model: noEffort.id, effort: "low" }, noEffort).effort).toBe(
      `${noEffort.label} takes no effort setting.`,
    );
    const always = pick((m) => m.thinking.mode === "always");
    expect(validate({ ...defaultForm(), model: always.id, thinking: false }, always).thinking).toBe(
      `${always.label} always thinks: thinking cannot be turned off.`,
    );
    expect(
      validate(
        { ...defaultForm(), model: always.id, thinking: true, effort: always.effort.levels[0] },
        always,
      ),
    ).toEqual({});
  });

  it("leaves empty optionals out and trims repositories", () => {
    const body = toBody({
      ...defaultForm(),
      displayName: "  fix  ",
      repos: [
        { url: " https://example.com/a.git ", branch: "" },
        { url: "/tmp/b", branch: "dev" },
      ],
    });
    expect(body.displayName).toBe("fix");
    expect(body.repos).toEqual([{ url: "https://example.com/a.git" }, { url: "/tmp/b", branch: "dev" }]);
    expect(body).not.toHaveProperty("workflow");
    expect(body).not.toHaveProperty("prompt");
  });

  it("checks repository URLs and branches", () => {
    const e = validate({ ...defaultForm(), repos: [{ url: "nope", branch: "bad branch" }] });
    expect(e).toEqual({
      "repos.0.url": "A git URL (https://, git@, ssh://, file:// or a path).",
      "repos.0.branch": "Letters, digits and . _ / - only.",
    });
  });

  it("maps API field paths to form keys", () => {
    expect(fieldKey("repos[1].url")).toBe("repos.1.url");
    expect(fieldKey("maxTokens")).toBe("maxTokens");
  });

  it("sends whether the session finishes on its own", () => {
    expect(toBody(defaultForm()).interactive).toBe(true);
    expect(toBody({ ...defaultForm(), interactive: false }).interactive).toBe(false);
  });
});
