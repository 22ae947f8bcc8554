const ADJECTIVES = [
  "brisk",
  "calm",
  "clever",
  "eager",
  "gentle",
  "keen",
  "lively",
  "mellow",
  "nimble",
  "quiet",
  "rapid",
  "sunny",
  "swift",
  "tidy",
  "bold",
  "bright",
  "merry",
  "plucky",
  "steady",
  "witty",
];
const ANIMALS = [
  "otter",
  "falcon",
  "badger",
  "heron",
  "lynx",
  "marten",
  "panda",
  "puffin",
  "raven",
  "seal",
  "tapir",
  "wren",
  "yak",
  "koala",
  "ibis",
  "gecko",
  "bison",
  "crane",
  "dingo",
  "ferret",
];

const pick = <T>(items: readonly T[]): T =>
  items[crypto.getRandomValues(new Uint32Array(1))[0] % items.length];

/** A readable default display name, e.g. `brisk-otter-42`. */
export function generateDisplayName(): string {
  const number = crypto.getRandomValues(new Uint32Array(1))[0] % 100;
  return `${pick(ADJECTIVES)}-${pick(ANIMALS)}-${number}`;
}

/** A name from a prompt is its first words, at most this long (the list shows names on one line). */
const PROMPT_NAME_MAX = 60;
const PROMPT_NAME_WORDS = 8;

/**
 * A session's name from its first prompt: the first line that says something, without Markdown's marks,
 * its first words up to 60 characters (cut at a word), e.g. "Fix the flaky login test in CI". Null when
 * the prompt has no words.
 */
export function nameFromPrompt(prompt: string | undefined): string | null {
  const line = (prompt ?? "")
    .split(/\r?\n/)
    .map((text) =>
      text
        .replace(/^\s*(?:#+|[-*+>]|\d+[.)])\s+/, "")
        .replace(/[`*_~[\]]/g, "")
        .replace(/\s+/g, " ")
        .trim(),
    )
    .find((text) => /[\p{L}\p{N}]/u.test(text));
  if (!line) return null;
  let name = "";
  for (const word of line.split(" ").slice(0, PROMPT_NAME_WORDS)) {
    const next = name ? `${name} ${word}` : word;
    if (next.length > PROMPT_NAME_MAX) break;
    name = next;
  }
  // One long word: cut it rather than name the session nothing.
  if (!name) name = line.slice(0, PROMPT_NAME_MAX);
  return name.replace(/[\s,;:.!?-]+$/u, "") || null;
}

/** The name, numbered ("name (2)", "name (3)", …) when the workspace has sessions of that name already. */
export function numbered(name: string, taken: readonly string[]): string {
  const names = new Set(taken);
  if (!names.has(name)) return name;
  for (let n = 2; ; n++) {
    const candidate = `${name} (${n})`;
    if (!names.has(candidate)) return candidate;
  }
}
