/**
 * PDF text goes through the standard 14 fonts, which encode WinAnsi (Latin-1 plus typographic marks) only.
 * Other characters are transliterated: common symbols to ASCII look-alikes, accented letters to their base
 * letter, anything else (CJK, emoji) to "?". The Markdown export keeps every character.
 */

const LOOK_ALIKES: Record<string, string> = {
  "→": "->",
  "←": "<-",
  "↔": "<->",
  "⇒": "=>",
  "⇐": "<=",
  "↑": "^",
  "↓": "v",
  "≤": "<=",
  "≥": ">=",
  "≠": "!=",
  "≈": "~",
  "∞": "inf",
  "−": "-",
  "×": "x",
  "÷": "/",
  "✓": "[x]",
  "✔": "[x]",
  "✅": "[x]",
  "✗": "[ ]",
  "✘": "[ ]",
  "❌": "X",
  "☐": "[ ]",
  "☑": "[x]",
  "├": "|",
  "└": "`",
  "│": "|",
  "─": "-",
  "┌": "+",
  "┐": "+",
  "┘": "+",
  "┬": "+",
  "┴": "+",
  "┼": "+",
  "┤": "|",
  "▶": ">",
  "►": ">",
  "◀": "<",
  "●": "*",
  "○": "o",
  "■": "#",
  "□": "[ ]",
  "★": "*",
  "☆": "*",
  "\u2002": " ",
  "\u2003": " ",
  "\u2009": " ",
  "\u00a0": " ",
  "\u200b": "",
  "\ufeff": "",
};

const COMBINING_MARKS = /\p{M}+/gu;

/** Makes `text` encodable by a font whose character set is `charset` (code points); line breaks stay for wrapping. */
export function toEncodable(text: string, charset: ReadonlySet<number>): string {
  let out = "";
  for (const char of text.normalize("NFC").replace(/\r\n?/g, "\n").replaceAll("\t", "    ")) {
    const code = char.codePointAt(0) ?? 0;
    if (charset.has(code) || char === "\n") out += char;
    else if (code < 0x20 || code === 0x7f) continue;
    else out += transliterate(char, charset);
  }
  return out;
}

function transliterate(char: string, charset: ReadonlySet<number>): string {
  const lookAlike = LOOK_ALIKES[char];
  if (lookAlike !== undefined) return lookAlike;
  const base = char.normalize("NFKD").replace(COMBINING_MARKS, "");
  if (base && base !== char && [...base].every((c) => charset.has(c.codePointAt(0) ?? 0))) return base;
  return "?";
}
