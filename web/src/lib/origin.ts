/** How a session came to be, in words: sessions started by a trigger show their origin. */
import type { Origin } from "./api";

/** "trigger <name> (delivery <id>)" or "schedule <name>", or null for a session a person created. */
export function triggerOrigin(origin: Origin | undefined): string | null {
  if (origin?.kind === "schedule") return `schedule ${origin.scheduleName}`;
  if (origin?.kind !== "trigger") return null;
  const name = origin.triggerName ? ` ${origin.triggerName}` : "";
  const delivery = origin.deliveryId ? ` (delivery ${origin.deliveryId})` : "";
  return `trigger${name}${delivery}`;
}
