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
