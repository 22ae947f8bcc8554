import { describe, expect, it } from "vitest";
import { emptyWorkflowForm, validateWorkflow } from "#lib/workflow-form.ts";
import { withCurrent, BUILTIN_OPTIONS } from "#lib/workflows.ts";

describe("the workflow form", () => {
  it("accepts a slug name, a title and a template; names the fields it refuses as the API does", () => {
    const good = {
      ...emptyWorkflowForm(),
      name: "release-notes",
      title: "Release notes",
      systemPrompt: "Read the log.",
    };
    expect(validateWorkflow(good)).toEqual({});
    expect(Object.keys(validateWorkflow({ ...good, name: "Release Notes" }))).toEqual(["name"]);
    expect(validateWorkflow({ ...good, name: "triage" }).name).toContain("built-in");
    expect(Object.keys(validateWorkflow({ ...good, title: "  " }))).toEqual(["title"]);
    expect(Object.keys(validateWorkflow({ ...good, firstMessage: "" }))).toEqual(["firstMessage"]);
  });
});

describe("workflow options", () => {
  it("keep a session's workflow selectable after it left the list", () => {
    expect(withCurrent(BUILTIN_OPTIONS, "bug-fix")).toBe(BUILTIN_OPTIONS);
    expect(withCurrent(BUILTIN_OPTIONS, "gone-flow").at(-1)).toEqual({
      name: "gone-flow",
      title: "gone-flow",
      builtIn: false,
    });
  });
});
