/**
 * The app's keyboard: ⌘K / Ctrl+K opens the palette, `c` starts a new session, `/` goes to the page's
 * search, `?` lists the keys. Single keys are ignored while the person types in a field.
 */
export const keyboard = $state({ paletteOpen: false, helpOpen: false });

/** The palette's key as this computer spells it: ⌘K on a Mac, Ctrl K elsewhere. */
export function paletteKeys(platform: string = globalThis.navigator?.platform ?? ""): string[] {
  return /mac|iphone|ipad/i.test(platform) ? ["⌘", "K"] : ["Ctrl", "K"];
}

export type Shortcut = "palette" | "new-session" | "search" | "help";

export const SHORTCUTS: { keys: string[]; does: string }[] = [
  { keys: paletteKeys(), does: "Open the command palette" },
  { keys: ["c"], does: "New session in this workspace" },
  { keys: ["/"], does: "Search the session list, or find in a transcript" },
  { keys: ["?"], does: "Show these keys" },
  { keys: ["Esc"], does: "Close a dialog or menu" },
];

/** Whether keys typed now go into a field (an input, a text area, a select, an editable element). */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag !== "INPUT") return false;
  // A checkbox or a button-like input takes no text: a key there is still a shortcut.
  const type = (target as HTMLInputElement).type;
  return !["checkbox", "radio", "button", "submit", "reset", "range", "color", "file"].includes(type);
}

/** The shortcut a key press means, or null: the one place that decides, so the rules are tested. */
export function shortcutFor(e: KeyboardEvent): Shortcut | null {
  if (e.defaultPrevented || e.isComposing) return null;
  if ((e.metaKey || e.ctrlKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === "k") return "palette";
  if (e.metaKey || e.ctrlKey || e.altKey) return null;
  if (isTyping(e.target)) return null;
  if (e.key === "c") return "new-session";
  if (e.key === "/") return "search";
  if (e.key === "?") return "help";
  return null;
}
