import { describe, expect, it } from "vitest";
import { defaultTriggerForm, toTriggerBody, triggerFieldKey, validateTrigger } from "#lib/trigger-form.ts";

const named = () => ({ ...defaultTriggerForm(), name: "New issues" });

describe("trigger form", () => {
  it("needs a name and a template; the rest has defaults", () => {
    expect(validateTrigger(named())).toEqual({});
    expect(validateTrigger({ ...defaultTriggerForm(), promptTemplate: "  " })).toEqual({
      name: "Give the trigger a name.",
      promptTemplate: "The template becomes the session's first message: it cannot be empty.",
    });
  });

  it("checks the session settings with the New Session dialog's rules", () => {
    const f = named();
    f.session.maxTokens = 99;
    f.session.temperature = 3;
    expect(validateTrigger(f)).toEqual({
      maxTokens: "A whole number from 100 to 8000.",
      temperature: "Between 0 and 2.",
    });
  });

  it("accepts only http(s) callback URLs and short filters", () => {
    expect(validateTrigger({ ...named(), callbackUrl: "ftp://x" })).toEqual({
      callbackUrl: "An http:// or https:// URL.",
    });
    expect(validateTrigger({ ...named(), callbackUrl: "https://hooks.example.com/t" })).toEqual({});
    expect(validateTrigger({ ...named(), event: "e".repeat(101) })).toEqual({
      "filter.event": "At most 100 characters.",
    });
  });

  it("builds the create body: no session prompt, empty optionals left out", () => {
    const body = toTriggerBody({
      ...named(),
      name: "  New issues ",
      session: { ...named().session, prompt: "ignored" },
    });
    expect(body.name).toBe("New issues");
    expect(body.session).not.toHaveProperty("prompt");
    expect(body).not.toHaveProperty("filter");
    expect(body).not.toHaveProperty("callbackUrl");
    expect(body).not.toHaveProperty("requireApproval");
    expect(toTriggerBody({ ...named(), requireApproval: true }).requireApproval).toBe(true);
    expect(toTriggerBody({ ...named(), event: " issues ", action: "" }).filter).toEqual({ event: "issues" });
    expect(
      toTriggerBody({ ...named(), event: "issues", action: "opened", callbackUrl: " https://x.test/cb " }),
    ).toMatchObject({
      filter: { event: "issues", action: "opened" },
      callbackUrl: "https://x.test/cb",
    });
  });

  it("maps the API's field paths onto the form", () => {
    expect(triggerFieldKey("session.maxTokens")).toBe("maxTokens");
    expect(triggerFieldKey("session.repos[0].url")).toBe("repos.0.url");
    expect(triggerFieldKey("filter.event")).toBe("filter.event");
  });

  it("starts sessions that finish on their own unless the person asks otherwise", () => {
    expect(toTriggerBody(named()).session.interactive).toBe(false);
    const f = named();
    f.session.interactive = true;
    expect(toTriggerBody(f).session.interactive).toBe(true);
  });
});
