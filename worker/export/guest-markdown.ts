/**
 * The export a guest with a share link gets: the transcript and the phase changes, with none of the
 * workspace's settings (repositories, workflow, origin, who created it) that the members' export shows.
 */
import type { GuestPhaseChange, GuestSession } from "../protocol/shares";
import type { TranscriptMessage } from "../protocol/transcript";
import { formatTime } from "./document";
import { inline, messageLines } from "./markdown";

export function guestSessionToMarkdown(
  session: GuestSession,
  phases: GuestPhaseChange[],
  messages: TranscriptMessage[],
): string {
  const out: string[] = [`# ${inline(session.displayName)}`, ""];
  out.push(
    `Shared read-only. Phase: ${session.phase}. Model: ${session.model}. Created ${formatTime(session.createdAt)}.`,
    "",
  );
  out.push("## Transcript", "");
  if (messages.length === 0) out.push("_No messages._", "");
  for (const message of messages) out.push(...messageLines(message));
  out.push("## Phases", "");
  if (phases.length === 0) out.push("_No phase changes._");
  else {
    out.push("| Time | Phase |", "|---|---|");
    for (const change of phases) out.push(`| ${formatTime(change.at)} | ${change.phase} |`);
  }
  return `${out.join("\n").trimEnd()}\n`;
}
