/**
 * The transcript's outline: which blocks a subagent call holds, which blocks the flow leaves out, and the
 * plan pinned above it. It is read again when the document's structure changes (a block added, a tool's
 * status), never for a token: a streamed text changes no structure.
 */
import { createSubscriber } from "svelte/reactivity";
import * as Y from "yjs";
import type { MessageEntry } from "@tandem/protocol/transcript";
import { PLAN_TOOL, planOf, QUESTION_TOOL, SUBAGENT_TOOLS, type Todo } from "./claude-tools";
import {
  blocksOf,
  blockType,
  field,
  messageEntries,
  messageList,
  parentOf,
  str,
  type TranscriptNode,
} from "./transcript";

/** A block, live or settled. */
type Block = TranscriptNode;

export interface Outline {
  /** The blocks each subagent call holds (its inner calls and text), by the call's id, in document order. */
  nested: Map<string, Block[]>;
  /** Blocks the flow leaves out: nested ones, plan updates (pinned above), a question's own tool call. */
  hidden: Set<Block>;
  /** Tool calls by id. */
  tools: Map<string, Block>;
  /** The latest plan (the last TodoWrite of the agent itself that did not fail), or null. */
  plan: Todo[] | null;
  /** The last question block: the one the agent waits on when it waits. */
  lastQuestion: Block | null;
}

export function readOutline(messages: readonly TranscriptNode[]): Outline {
  const blocks = messages.flatMap((message) => blocksOf(message));
  const questionIds = new Set(blocks.filter((b) => blockType(b) === "question").map((b) => str(b, "id")));
  const outline: Outline = {
    nested: new Map(),
    hidden: new Set(),
    tools: new Map(),
    plan: null,
    lastQuestion: null,
  };
  for (const block of blocks) {
    // A block nests only under a subagent call seen before it: inner calls always follow their call, and
    // a document naming parents out of order cannot make a cycle that would render forever.
    const parent = parentOf(block);
    if (parent && outline.nested.has(parent)) {
      outline.nested.get(parent)!.push(block);
      outline.hidden.add(block);
    }
    const type = blockType(block);
    if (type === "question") outline.lastQuestion = block;
    if (type !== "tool_use") continue;
    const id = str(block, "id");
    const name = str(block, "name");
    outline.tools.set(id, block);
    if (SUBAGENT_TOOLS.has(name) && id && !outline.nested.has(id)) outline.nested.set(id, []);
    if (name === PLAN_TOOL) {
      outline.hidden.add(block);
      const todos = parent ? null : planOf(field(block, "input"));
      // A subagent's list is its own; a refused call changed nothing.
      if (todos && str(block, "status") !== "error") outline.plan = todos;
    }
    // The question block shows the questions, the options and the answer: its tool call would repeat them.
    if (name === QUESTION_TOOL && questionIds.has(id)) outline.hidden.add(block);
  }
  return outline;
}

/** The outline of a document, kept until its structure changes; Svelte effects reading it re-run then. */
export class OutlineView {
  readonly #list: Y.Array<MessageEntry>;
  readonly #subscribe: () => void;
  #cached: Outline | null = null;
  #observing = false;

  constructor(doc: Y.Doc) {
    this.#list = messageList(doc);
    this.#subscribe = createSubscriber((update) => {
      const onChange = (events: Y.YEvent<Y.AbstractType<unknown>>[]) => {
        if (events.every((event) => event.target instanceof Y.Text)) return;
        this.#cached = null;
        update();
      };
      this.#list.observeDeep(onChange);
      this.#observing = true;
      return () => {
        this.#list.unobserveDeep(onChange);
        this.#observing = false;
        this.#cached = null;
      };
    });
  }

  get current(): Outline {
    this.#subscribe();
    // Outside an effect nothing observes the document, so nothing would say a kept outline is stale.
    if (!this.#observing) return readOutline(messageEntries(this.#list));
    return (this.#cached ??= readOutline(messageEntries(this.#list)));
  }
}
