/** What the transcript gives every block below it: the outline, the open question, who may answer. */
import { createContext } from "svelte";
import type { TranscriptNode } from "./transcript";
import type { Outline } from "./transcript-outline";

/** Where an answer to the agent's question goes: the session's message route. */
export interface AnswerRoute {
  wsId: string;
  sessionId: string;
}

export interface TranscriptContext {
  readonly outline: Outline;
  /** The question block the agent waits on now; null while it does not wait. */
  readonly openQuestion: TranscriptNode | null;
  /** Null for viewers and guests: they see a question's options but cannot answer. */
  readonly answerRoute: AnswerRoute | null;
  /** The agent works now: the last block of a live message is the one it is writing (thinking shows live). */
  readonly working: boolean;
}

export const [transcriptContext, setTranscriptContext] = createContext<TranscriptContext>();
