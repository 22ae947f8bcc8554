/**
 * The real Claude Code CLI (through the Claude Agent SDK's `query()`, in streaming-input mode) pointed at a
 * gateway route, for tests: one CLI serves many turns, so a test file pays its start-up once.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  type CanUseTool,
  type PermissionMode,
  type SDKMessage,
  type SDKUserMessage,
  type ThinkingConfig,
  query,
} from "@anthropic-ai/claude-agent-sdk";
import { z } from "zod";

export interface CliOptions {
  /** The route's URL: the CLI's ANTHROPIC_BASE_URL. */
  baseURL: string;
  /** The workspace: the CLI's working directory. */
  cwd: string;
  /** The model the CLI is told to use (the gateway forces the session's anyway). */
  model: string;
  /** More environment for the CLI (CLAUDE_CODE_MAX_RETRIES, say). */
  env?: Record<string, string>;
  /** The CLI's own thinking setting (with it disabled, Claude Code sends `temperature: 1`). */
  thinking?: ThinkingConfig;
}

export interface Cli {
  /** Claude Code's permission mode from the next request on (the driver's PATCH does the same). */
  setPermissionMode(mode: PermissionMode): Promise<void>;
  /** Tools refused from now on, as people refusing an approval would, with what they said. */
  readonly refused: Map<string, string>;
  /** Sends a person's message and resolves with the CLI's messages up to the turn's result. */
  turn(text: string): Promise<SDKMessage[]>;
  /** Sends a message without waiting: while a turn runs, Claude Code hands it over with the next tool result. */
  push(text: string): void;
  /** The CLI's messages up to the next result. */
  nextResult(): Promise<SDKMessage[]>;
  /** The key the CLI holds (a dummy: the gateway never checks or forwards it). */
  readonly dummyKey: string;
  close(): Promise<void>;
}

const AskInputSchema = z.looseObject({
  questions: z.array(
    z.looseObject({ question: z.string(), options: z.array(z.looseObject({ label: z.string() })) }),
  ),
});

/** Every tool is allowed unless refused; a question is answered with its first option, as a person picking it would. */
const decide =
  (refused: Map<string, string>): CanUseTool =>
  async (name, input) => {
    const refusal = refused.get(name);
    if (refusal !== undefined) return { behavior: "deny", message: refusal };
    const asked = name === "AskUserQuestion" ? AskInputSchema.safeParse(input) : null;
    if (asked?.success) {
      const answers = Object.fromEntries(
        asked.data.questions.map((q) => [q.question, q.options[0]?.label ?? ""]),
      );
      return { behavior: "allow", updatedInput: { ...input, answers } };
    }
    return { behavior: "allow", updatedInput: input };
  };

export async function startCli(options: CliOptions): Promise<Cli> {
  const home = await mkdtemp(path.join(os.tmpdir(), "tandem-gateway-cli-"));
  const dummyKey = "dummy-key-the-gateway-ignores";
  const refused = new Map<string, string>();
  const waiting: ((message: SDKUserMessage | null) => void)[] = [];
  const queued: (SDKUserMessage | null)[] = [];
  const give = (message: SDKUserMessage | null) => {
    const taker = waiting.shift();
    if (taker) taker(message);
    else queued.push(message);
  };
  async function* input(): AsyncGenerator<SDKUserMessage> {
    for (;;) {
      const message = queued.length
        ? queued.shift()
        : await new Promise<SDKUserMessage | null>((resolve) => waiting.push(resolve));
      if (!message) return;
      yield message;
    }
  }
  const cli = query({
    prompt: input(),
    options: {
      cwd: options.cwd,
      model: options.model,
      permissionMode: "default",
      canUseTool: decide(refused),
      ...(options.thinking ? { thinking: options.thinking } : {}),
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: home,
        CLAUDE_CONFIG_DIR: path.join(home, "config"),
        ANTHROPIC_BASE_URL: options.baseURL,
        ANTHROPIC_API_KEY: dummyKey,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        // TodoWrite instead of the task tools (TaskCreate…), as the driver runs Claude Code.
        CLAUDE_CODE_ENABLE_TASKS: "false",
        // As root (this machine's tests) Claude Code wants to know it is sandboxed.
        IS_SANDBOX: "1",
        ...options.env,
      },
    },
  });
  const seen: SDKMessage[] = [];
  const results: ((messages: SDKMessage[]) => void)[] = [];
  const turns: SDKMessage[][] = [];
  const reading = (async () => {
    for await (const message of cli) {
      seen.push(message);
      if (message.type !== "result") continue;
      const turn = seen.splice(0);
      const waiter = results.shift();
      if (waiter) waiter(turn);
      else turns.push(turn);
    }
  })();
  reading.catch(() => {});
  const send = (text: string) =>
    give({
      type: "user",
      message: { role: "user", content: text },
      parent_tool_use_id: null,
      session_id: "",
    });
  const nextResult = () => {
    const ready = turns.shift();
    return ready ? Promise.resolve(ready) : new Promise<SDKMessage[]>((resolve) => results.push(resolve));
  };
  return {
    dummyKey,
    refused,
    setPermissionMode: async (mode) => void (await cli.setPermissionMode(mode)),
    push: send,
    nextResult,
    turn(text) {
      send(text);
      return nextResult();
    },
    async close() {
      give(null);
      cli.close();
      await reading.catch(() => {});
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** The text of every assistant message of a turn (the CLI's own, not a subagent's), in order. */
export function assistantTexts(messages: SDKMessage[]): string[] {
  return messages.flatMap((message) =>
    message.type === "assistant" && message.parent_tool_use_id === null
      ? message.message.content.flatMap((block) => (block.type === "text" ? [block.text] : []))
      : [],
  );
}

/** Every tool call of a turn, with the subagent call it ran in (null: the main agent's). */
export function toolCalls(messages: SDKMessage[]): { name: string; input: unknown; parent: string | null }[] {
  return messages.flatMap((message) =>
    message.type === "assistant"
      ? message.message.content.flatMap((block) =>
          block.type === "tool_use"
            ? [{ name: block.name, input: block.input, parent: message.parent_tool_use_id }]
            : [],
        )
      : [],
  );
}

/** The tool results of a turn, as the CLI handed them to the model. */
export function toolResults(messages: SDKMessage[]): string[] {
  return messages.flatMap((message) => {
    if (message.type !== "user" || typeof message.message.content === "string") return [];
    return message.message.content.flatMap((block) => {
      if (block.type !== "tool_result") return [];
      return [typeof block.content === "string" ? block.content : JSON.stringify(block.content)];
    });
  });
}
