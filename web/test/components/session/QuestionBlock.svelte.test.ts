import type { AskUserQuestionInput } from "@anthropic-ai/claude-agent-sdk/sdk-tools";
import { flushSync } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { setFetch } from "#lib/api.ts";
import { QUESTION_ANSWERED } from "../../fixtures/claude-code-results";
import { renderTranscript } from "../../fixtures/render-transcript.svelte";
import { addMessage, finishTool, question, toolCall } from "../../fixtures/transcript-doc";

const route = { wsId: "w 1", sessionId: "s1" };
const one = {
  questions: [
    {
      question: "Which greeting?",
      header: "Greeting",
      multiSelect: false,
      options: [
        { label: "hi", description: "short" },
        { label: "hello", description: "long" },
      ],
    },
  ],
} satisfies AskUserQuestionInput;
const two = {
  questions: [
    one.questions[0],
    {
      question: "Which extras?",
      header: "Extras",
      multiSelect: true,
      options: [
        { label: "tests", description: "add tests" },
        { label: "docs", description: "add docs" },
      ],
    },
  ],
} satisfies AskUserQuestionInput;

let posted: { url: string; method?: string; body: unknown }[] = [];
let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  posted = [];
  setFetch((...args) => fetch(...args));
  document.body.innerHTML = "";
});

function acceptMessages(status = 202, body: unknown = { seq: 4, queued: false }) {
  setFetch(async (url, init) => {
    posted.push({ url: String(url), method: init?.method, body: JSON.parse(String(init?.body)) });
    return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  });
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
  flushSync();
};

/** The room's document when the agent asks: AskUserQuestion's call, then the question block with its questions. */
function asked(doc: Y.Doc, input: AskUserQuestionInput) {
  addMessage(doc, "assistant", [
    toolCall("toolu_q", "AskUserQuestion", input),
    question("toolu_q", input.questions.map((q) => q.question).join("\n"), input.questions),
  ]);
}

const options = (root: Element) =>
  [...root.querySelectorAll(".question button.option")] as HTMLButtonElement[];

describe("a question of the agent", () => {
  it("posts the clicked option as the answer through the message route", async () => {
    acceptMessages();
    const doc = new Y.Doc();
    asked(doc, one);
    const view = renderTranscript(doc, { agentStatus: "waiting_input", answerRoute: route });
    cleanup = view.destroy;
    const block = view.target.querySelector(".question")!;
    expect(block.classList.contains("waiting")).toBe(true);
    expect(block.querySelector(".chip")?.textContent).toBe("Greeting");
    // The question's own tool call is not shown a second time.
    expect(view.target.querySelector('[data-tool="AskUserQuestion"]')).toBeNull();
    expect(options(view.target).map((b) => b.querySelector(".label")?.textContent)).toEqual(["hi", "hello"]);
    expect(options(view.target)[1].textContent).toContain("long");

    options(view.target)[1].click();
    await settle();
    expect(posted).toEqual([
      { url: "/api/workspaces/w%201/sessions/s1/messages", method: "POST", body: { text: "hello" } },
    ]);
    expect(options(view.target).every((b) => b.disabled)).toBe(true);
    expect(block.textContent).toContain("Answer sent.");
  });

  it("collects one choice per question (several for a multi-select) before sending them together", async () => {
    acceptMessages();
    const doc = new Y.Doc();
    asked(doc, two);
    const view = renderTranscript(doc, { agentStatus: "waiting_input", answerRoute: route });
    cleanup = view.destroy;
    const send = view.target.querySelector(".question button.primary") as HTMLButtonElement;
    expect(send.disabled).toBe(true);
    const [hi, , tests, docs] = options(view.target);
    hi.click();
    tests.click();
    docs.click();
    flushSync();
    expect([hi, tests, docs].map((b) => b.getAttribute("aria-pressed"))).toEqual(["true", "true", "true"]);
    expect(posted).toHaveLength(0);
    send.click();
    await settle();
    expect(posted.map((p) => p.body)).toEqual([
      { text: "Which greeting? → hi\nWhich extras? → tests, docs" },
    ]);
  });

  it("shows a refused answer's reason and lets the person try again", async () => {
    acceptMessages(409, { error: { code: "invalid_phase", message: "The session is not running." } });
    const doc = new Y.Doc();
    asked(doc, one);
    const view = renderTranscript(doc, { agentStatus: "waiting_input", answerRoute: route });
    cleanup = view.destroy;
    options(view.target)[0].click();
    await settle();
    expect(view.target.querySelector(".question [role='alert']")?.textContent).toBe(
      "The session is not running.",
    );
    expect(options(view.target)[0].disabled).toBe(false);
  });

  it("offers viewers the options to read, not to click", () => {
    const doc = new Y.Doc();
    asked(doc, one);
    const view = renderTranscript(doc, { agentStatus: "waiting_input", answerRoute: null });
    cleanup = view.destroy;
    const block = view.target.querySelector(".question")!;
    expect(block.querySelectorAll("button")).toHaveLength(0);
    expect([...block.querySelectorAll("li.option .label")].map((l) => l.textContent)).toEqual([
      "hi",
      "hello",
    ]);
  });

  it("shows the answer once given, and no buttons once the agent no longer waits", () => {
    const doc = new Y.Doc();
    asked(doc, two);
    const view = renderTranscript(doc, { agentStatus: "waiting_input", answerRoute: route });
    cleanup = view.destroy;
    expect(options(view.target)).toHaveLength(4);
    finishTool(doc, "toolu_q", QUESTION_ANSWERED);
    view.props.agentStatus = "working";
    flushSync();
    const block = view.target.querySelector(".question")!;
    expect(block.classList.contains("waiting")).toBe(false);
    expect(block.querySelectorAll("button")).toHaveLength(0);
    expect(block.querySelector(".answer")?.textContent).toContain('"Which greeting?"="hi"');
  });

  it("prefers the answer the room wrote, with who gave it", () => {
    const doc = new Y.Doc();
    addMessage(doc, "assistant", [
      { ...question("q9", "Which greeting?", one.questions), answer: "hi", answeredBy: "Ada" },
    ]);
    const view = renderTranscript(doc, { agentStatus: "waiting_input", answerRoute: route });
    cleanup = view.destroy;
    expect(view.target.querySelector(".question .answer")?.textContent).toBe("Answer from Ada: hi");
    expect(options(view.target)).toHaveLength(0);
  });
});

describe("a plain question", () => {
  it("takes no answer from another tool's result that shares its id", () => {
    const doc = new Y.Doc();
    addMessage(doc, "assistant", [
      { ...toolCall("same", "Bash", { command: "ls" }), status: "done", result: "a.txt" },
      question("same", "Which branch should I use?"),
    ]);
    const view = renderTranscript(doc, { agentStatus: "waiting_input", answerRoute: route });
    cleanup = view.destroy;
    const block = view.target.querySelector(".question.waiting")!;
    expect(block.querySelector(".text")?.textContent).toBe("Which branch should I use?");
    expect(block.querySelector(".answer")).toBeNull();
    expect(view.target.querySelector('[data-tool="Bash"]')).not.toBeNull();
  });
});
