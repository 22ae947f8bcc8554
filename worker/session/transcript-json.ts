/**
 * Reading a session's document as JSON in the room: the transcript as `GET …/transcript` and the exports
 * serve it, and the history the agent continues from on resume. Settled messages are read as stored, live
 * ones field by field (worker/protocol/transcript.ts); transcript-doc.ts is the writer.
 */
import * as Y from "yjs";
import type { HistoryMessage } from "../protocol/agent";
import {
  isSettled,
  messageList,
  settledMessage,
  type MessageRole,
  type TranscriptBlock,
  type TranscriptMessage,
} from "../protocol/transcript";

type YBlock = Y.Map<unknown>;
type YMessage = Y.Map<unknown>;

export function blocksOf(message: YMessage): Y.Array<YBlock> {
  return message.get("blocks") as Y.Array<YBlock>;
}

/** The transcript as plain JSON (GET …/transcript, exports): settled messages as stored, live ones read. */
export function transcriptToJSON(doc: Y.Doc): TranscriptMessage[] {
  return messageList(doc)
    .toArray()
    .map((entry) => (isSettled(entry) ? settledMessage(entry) : messageToJSON(entry)));
}

/** A live message's JSON: the keys in the order GET …/transcript has always given them. */
export function messageToJSON(message: YMessage): TranscriptMessage {
  const json: TranscriptMessage = {
    id: message.get("id") as string,
    role: message.get("role") as MessageRole,
    author: (message.get("author") as string | null) ?? null,
    createdAt: message.get("createdAt") as number,
    blocks: blocksOf(message).toArray().map(blockToJSON),
  };
  if (message.has("queued")) json.queued = message.get("queued") as boolean;
  if (message.has("seq")) json.seq = message.get("seq") as number;
  return json;
}

function blockToJSON(block: YBlock): TranscriptBlock {
  const json = block.toJSON() as Record<string, unknown>;
  const text = block.get("text");
  if (text instanceof Y.Text) json.text = text.toString();
  return json as TranscriptBlock;
}

/** The transcript as the agent needs it to continue on resume: no error blocks, people named. */
export function transcriptToHistory(doc: Y.Doc): HistoryMessage[] {
  const history: HistoryMessage[] = [];
  for (const message of transcriptToJSON(doc)) {
    // A message still queued is not history yet: the input queue sends it to the agent (once).
    if (message.role === "system" || message.queued) continue;
    const blocks: HistoryMessage["blocks"] = [];
    for (const block of message.blocks) {
      if (block.type === "text") blocks.push({ type: "text", text: block.text });
      else if (block.type === "thinking")
        blocks.push({ type: "thinking", text: block.text, signature: block.signature });
      else if (block.type === "question") blocks.push({ type: "question", text: block.text });
      else if (block.type === "tool_use")
        blocks.push({
          type: "tool_use",
          id: block.id,
          name: block.name,
          input: block.input,
          result: block.result,
          isError: block.isError,
        });
    }
    if (blocks.length > 0) history.push({ role: message.role, author: message.author ?? undefined, blocks });
  }
  return history;
}
