/** A tool loop on the real SDK against the fake Messages API, with the frames it sends. */
import type { SessionConfig } from "@tandem/protocol/session-config";
import { Inbox } from "../../containers/agent/inbox";
import { AgentLoop, type LoopOptions } from "../../containers/agent/loop";
import { AnthropicModel } from "../../containers/agent/models/anthropic";
import type { OutFrame } from "../../containers/agent/outbox";
import { Redactor, childEnv } from "../../containers/agent/secrets";
import { ArtifactTracker } from "../../containers/agent/workspace";
import type { FakeAnthropic } from "../fakes/anthropic";
import { CONFIG, tempDir } from "./helpers";

export async function loopHarness(api: FakeAnthropic, config: SessionConfig = CONFIG, extra: Partial<LoopOptions> = {}) {
  const workspace = await tempDir();
  const inbox = new Inbox();
  const frames: OutFrame[] = [];
  let onFrame: (frame: OutFrame) => void = () => {};
  const loop = new AgentLoop({
    model: new AnthropicModel({ apiKey: "sk-test-key", baseURL: api.url, maxRetries: 2 }),
    config,
    system: "You are a test agent.",
    workspace,
    env: childEnv({}, workspace),
    redactor: new Redactor([]),
    inbox,
    artifacts: new ArtifactTracker(workspace),
    emit: (frame) => {
      frames.push(frame);
      onFrame(frame);
    },
    signal: new AbortController().signal,
    ...extra,
  });
  let seq = 0;
  const say = (text: string, author = "alice") => inbox.accept({ seq: ++seq, text, author });
  const types = () => frames.map((f) => f.type);
  const of = <T extends OutFrame["type"]>(type: T) => frames.filter((f): f is Extract<OutFrame, { type: T }> => f.type === type);
  return { workspace, inbox, loop, frames, say, types, of, setOnFrame: (fn: (f: OutFrame) => void) => (onFrame = fn) };
}

