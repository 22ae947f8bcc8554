/**
 * The harness's frame tap between the Worker and the agent host (test/harness/frame-tap.ts), noting when
 * each `text_delta` frame leaves the agent: the start of the token-to-paint measurement.
 */
import { FrameTap, now } from "../harness/frame-tap.ts";

export { now };

export interface Delta {
  /** ms since the epoch, with sub-millisecond precision (the browser's clock is read the same way). */
  at: number;
  text: string;
}

export async function startAgentTap(
  agentPort: number,
): Promise<{ port: number; deltas: Delta[]; close(): void }> {
  const deltas: Delta[] = [];
  const tap = await FrameTap.start(agentPort, {
    fromAgent(_link, text, at) {
      try {
        const frame = JSON.parse(text) as { type?: string; text?: string };
        if (frame.type === "text_delta" && typeof frame.text === "string")
          deltas.push({ at, text: frame.text });
      } catch {
        // not a JSON frame: it passes on untouched
      }
    },
  });
  return { port: tap.port, deltas, close: () => tap.close() };
}
