import type { AskUserQuestionInput } from "@anthropic-ai/claude-agent-sdk/sdk-tools";
import { describe, expect, it } from "vitest";
import { answersComplete, answerText } from "#lib/question-answer.ts";

const asked = {
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

describe("the answer to AskUserQuestion", () => {
  it("is the choice alone for one question", () => {
    expect(answerText([asked.questions[0]], [["hi"]])).toBe("hi");
    expect(answerText([asked.questions[1]], [["tests", "docs"]])).toBe("tests, docs");
  });

  it("names each question when there are several", () => {
    expect(answerText(asked.questions, [["hi"], ["tests", "docs"]])).toBe(
      "Which greeting? → hi\nWhich extras? → tests, docs",
    );
  });

  it("is complete once every question has a choice", () => {
    expect(answersComplete(asked.questions, [["hi"]])).toBe(false);
    expect(answersComplete(asked.questions, [["hi"], []])).toBe(false);
    expect(answersComplete(asked.questions, [["hi"], ["docs"]])).toBe(true);
  });
});
