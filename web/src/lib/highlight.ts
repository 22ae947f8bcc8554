/**
 * Syntax highlighting with highlight.js, loaded on first use (its core and each language as their own
 * chunks), so a session view's first paint never waits for it. highlight.js escapes the code it is given:
 * its output holds no markup but its own `<span class="hljs-…">`.
 */
import type { HLJSApi, LanguageFn } from "highlight.js";

const LANGUAGES: Record<string, () => Promise<{ default: LanguageFn }>> = {
  typescript: () => import("highlight.js/lib/languages/typescript"),
  javascript: () => import("highlight.js/lib/languages/javascript"),
  python: () => import("highlight.js/lib/languages/python"),
  go: () => import("highlight.js/lib/languages/go"),
  rust: () => import("highlight.js/lib/languages/rust"),
  java: () => import("highlight.js/lib/languages/java"),
  json: () => import("highlight.js/lib/languages/json"),
  bash: () => import("highlight.js/lib/languages/bash"),
  css: () => import("highlight.js/lib/languages/css"),
  xml: () => import("highlight.js/lib/languages/xml"),
  yaml: () => import("highlight.js/lib/languages/yaml"),
  sql: () => import("highlight.js/lib/languages/sql"),
  markdown: () => import("highlight.js/lib/languages/markdown"),
};

const ALIASES: Record<string, string> = {
  ts: "typescript",
  tsx: "typescript",
  mts: "typescript",
  cts: "typescript",
  js: "javascript",
  jsx: "javascript",
  mjs: "javascript",
  cjs: "javascript",
  py: "python",
  rs: "rust",
  sh: "bash",
  shell: "bash",
  zsh: "bash",
  html: "xml",
  svelte: "xml",
  vue: "xml",
  svg: "xml",
  yml: "yaml",
  md: "markdown",
};

/** The language a code block's name (`ts`, `python`) or a file's extension stands for, if one is known. */
export function languageOf(nameOrPath: string): string | null {
  const name = nameOrPath.toLowerCase().split("/").pop()!.split(".").pop()!;
  const language = ALIASES[name] ?? name;
  return Object.hasOwn(LANGUAGES, language) ? language : null;
}

let core: Promise<HLJSApi> | null = null;
const registered = new Map<string, Promise<void>>();

async function withLanguage(language: string): Promise<HLJSApi> {
  core ??= import("highlight.js/lib/core").then((m) => m.default);
  const hljs = await core;
  if (!registered.has(language))
    registered.set(
      language,
      LANGUAGES[language]().then((m) => hljs.registerLanguage(language, m.default)),
    );
  await registered.get(language);
  return hljs;
}

/** Highlighted HTML for each line (lines highlighted one by one: a diff's lines are not a whole file). */
export async function highlightLines(lines: readonly string[], language: string): Promise<string[]> {
  const hljs = await withLanguage(language);
  return lines.map((line) => hljs.highlight(line, { language, ignoreIllegals: true }).value);
}

/** Highlights the `<pre><code class="language-…">` blocks inside `root` (rendered markdown) in place. */
export async function highlightCodeBlocks(root: HTMLElement): Promise<void> {
  for (const code of root.querySelectorAll<HTMLElement>("pre code[class*='language-']")) {
    if (code.dataset.highlighted) continue;
    const language = languageOf(/language-([\w+-]+)/.exec(code.className)?.[1] ?? "");
    if (!language) continue;
    const hljs = await withLanguage(language);
    // textContent in, escaped spans out: the block's markup is replaced by highlight.js's own.
    code.innerHTML = hljs.highlight(code.textContent ?? "", { language, ignoreIllegals: true }).value;
    code.dataset.highlighted = "yes";
    code.classList.add("hljs");
  }
}
