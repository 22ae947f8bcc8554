/**
 * The offline model: deterministic rules instead of an API, used when no ANTHROPIC_API_KEY is set.
 * It drives the real loop and the real tools; its rules are documented in ../README.md.
 */
import type Anthropic from "@anthropic-ai/sdk";
import { readdir } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { blockStart, blockStop, inputJsonDelta, messageDelta, messageStart, messageStop, type PlannedBlock, textDelta } from "./events";
import { type Model, ModelError, type ModelRequest, type ModelStreamEvent } from "./types";

export const OFFLINE_LABEL = "_(offline model)_";
const MAX_QUOTED_OUTPUT = 2000;

interface ToolCall {
  name: string;
  input: Record<string, unknown>;
  intro: string;
}

/** Strips the `[author] ` prefix the loop puts in front of a person's message. */
function withoutAuthor(text: string): string {
  return text.replace(/^\[[^\]\n]*\]\s*/, "");
}

export function parseCommand(message: string): ToolCall | null {
  const match = /^\/(ls|read|run|write|ask)(?:\s+([\s\S]*))?$/.exec(withoutAuthor(message).trim());
  if (!match) return null;
  const arg = (match[2] ?? "").trim();
  switch (match[1]) {
    case "ls":
      return { name: "list", input: { path: arg || ".", pattern: "*" }, intro: `Listing \`${arg || "."}\`.` };
    case "read":
      return arg ? { name: "read_file", input: { path: arg }, intro: `Reading \`${arg}\`.` } : null;
    case "run":
      return arg ? { name: "bash", input: { command: arg }, intro: `Running \`${arg}\`.` } : null;
    case "write": {
      const [, path, text] = /^(\S+)\s*([\s\S]*)$/.exec(arg) ?? [];
      return path ? { name: "write_file", input: { path, content: text ?? "" }, intro: `Writing \`${path}\`.` } : null;
    }
    case "ask":
      return arg ? { name: "ask_user", input: { question: arg }, intro: "I need to ask you something." } : null;
  }
  return null;
}

function blocksOf(message: Anthropic.MessageParam | undefined): Anthropic.ContentBlockParam[] {
  if (!message) return [];
  return typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content;
}

function resultText(block: Anthropic.ToolResultBlockParam): string {
  if (typeof block.content === "string") return block.content;
  return (block.content ?? []).map((part) => (part.type === "text" ? part.text : `[${part.type}]`)).join("\n");
}

function fence(text: string): string {
  const shown = text.length > MAX_QUOTED_OUTPUT ? `${text.slice(0, MAX_QUOTED_OUTPUT)}\n…` : text;
  return `\n\n\`\`\`\n${shown.replaceAll("```", "ˋˋˋ")}\n\`\`\``;
}

function quote(text: string): string {
  return text.split("\n").map((line) => `> ${line}`).join("\n");
}

function summarise(use: Anthropic.ToolUseBlockParam | undefined, result: Anthropic.ToolResultBlockParam): string {
  const output = resultText(result);
  const failed = result.is_error ? " failed" : "";
  const input = (use?.input ?? {}) as Record<string, unknown>;
  switch (use?.name) {
    case "ask_user":
      return result.is_error ? `No answer: ${output}` : `Thanks. You answered:\n\n${quote(output)}`;
    case "bash":
      return `\`${String(input.command)}\`${failed || " finished"}:${fence(output)}`;
    case "list":
      return `Listing of \`${String(input.path ?? ".")}\`${failed}:${fence(output)}`;
    case "read_file":
      return `Contents of \`${String(input.path)}\`${failed}:${fence(output)}`;
    default:
      return `\`${use?.name ?? "tool"}\`${failed || " done"}: ${output}`;
  }
}

export interface OfflineModelOptions {
  workspace: string;
  /** Pause between streamed tokens, so the reply streams like a real one. */
  tokenDelayMs?: number;
}

export class OfflineModel implements Model {
  readonly kind = "offline";
  readonly #workspace: string;
  readonly #tokenDelayMs: number;
  readonly #idPrefix = Date.now().toString(36);
  #calls = 0;
  #responses = 0;

  constructor(options: OfflineModelOptions) {
    this.#workspace = options.workspace;
    this.#tokenDelayMs = options.tokenDelayMs ?? 5;
  }

  async #topLevelFiles(): Promise<string> {
    const entries = await readdir(this.#workspace, { withFileTypes: true }).catch(() => []);
    const names = entries.map((e) => `\`${e.name}${e.isDirectory() ? "/" : ""}\``).sort();
    return names.length ? `The workspace has: ${names.join(", ")}.` : "The workspace is empty.";
  }

  /** Decides the reply from the last user message: a tool call for a command, else a quoting reply. */
  async #plan(messages: Anthropic.MessageParam[]): Promise<PlannedBlock[]> {
    const last = blocksOf(messages.at(-1));
    const texts = last.flatMap((b) => (b.type === "text" && b.text.trim() ? [b.text] : []));
    const results = last.flatMap((b) => (b.type === "tool_result" ? [b] : []));
    const parts: string[] = [];
    if (results.length) {
      const uses = blocksOf(messages.at(-2)).flatMap((b) => (b.type === "tool_use" ? [b] : []));
      for (const result of results) parts.push(summarise(uses.find((u) => u.id === result.tool_use_id), result));
    }
    const latest = texts.at(-1);
    const call = latest === undefined ? null : parseCommand(latest);
    if (call) {
      parts.push(call.intro);
      const id = `toolu_offline_${this.#idPrefix}_${++this.#calls}`;
      return [{ type: "text", text: `${OFFLINE_LABEL} ${parts.join("\n\n")}` }, { type: "tool_use", id, name: call.name, input: call.input }];
    }
    if (texts.length) {
      const said = texts.map((t) => quote(withoutAuthor(t))).join("\n\n");
      parts.push(`You said:\n\n${said}\n\n${await this.#topLevelFiles()}`);
      if (!results.length) parts.push("No API key is set, so I follow simple rules: try `/ls [dir]`, `/read <path>`, `/run <command>`, `/write <path> <text>` or `/ask <question>`.");
    }
    return [{ type: "text", text: `${OFFLINE_LABEL} ${parts.join("\n\n") || "Done."}` }];
  }

  async *stream(request: ModelRequest): AsyncIterable<ModelStreamEvent> {
    const blocks = await this.#plan(request.messages);
    const inputTokens = Math.ceil(JSON.stringify(request.messages).length / 4);
    let outputTokens = 0;
    yield messageStart(`msg_offline_${this.#idPrefix}_${++this.#responses}`, request.config.model, inputTokens);
    for (const [index, block] of blocks.entries()) {
      yield blockStart(index, block);
      if (block.type === "text") {
        for (const token of block.text.match(/\s*\S+\s*/g) ?? []) {
          if (this.#tokenDelayMs > 0) await sleep(this.#tokenDelayMs);
          if (request.signal.aborted) throw new ModelError("request aborted", false);
          outputTokens++;
          yield textDelta(index, token);
        }
      } else {
        outputTokens += 10;
        yield inputJsonDelta(index, JSON.stringify(block.input));
      }
      yield blockStop(index);
    }
    yield messageDelta(blocks.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn", outputTokens);
    yield messageStop();
  }
}
