/**
 * The transcript as a PDF (pdf-lib, which runs in Workers): A4 pages, wrapped text, tool input and
 * output in shaded monospace blocks that may continue over a page break, page numbers in the footer.
 * Text is limited to the standard fonts' WinAnsi set: see winansi.ts.
 */
import { PDFDocument, StandardFonts, rgb, type PDFFont, type PDFPage, type RGB } from "pdf-lib";
import {
  authorOf,
  eventRows,
  formatTime,
  settingsRows,
  toolInputText,
  toolStatus,
  type ExportInput,
  type ToolBlock,
} from "./document";
import { toEncodable } from "./winansi";
import type { TranscriptBlock } from "../protocol/transcript";

const PAGE = { width: 595.28, height: 841.89 };
const MARGIN = { x: 56, top: 56, bottom: 64 };
const CONTENT_WIDTH = PAGE.width - 2 * MARGIN.x;
const BODY = 10;
const MONO = 8.5;
const LEADING = 1.35;
const INK = rgb(0.1, 0.1, 0.12);
const MUTED = rgb(0.4, 0.4, 0.45);
const DANGER = rgb(0.7, 0.1, 0.1);
const SHADE = rgb(0.94, 0.94, 0.95);

interface Fonts {
  regular: PDFFont;
  bold: PDFFont;
  italic: PDFFont;
  mono: PDFFont;
}

interface TextStyle {
  font: PDFFont;
  size: number;
  color?: RGB;
  indent?: number;
}

export async function sessionToPdf(input: ExportInput): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const fonts: Fonts = {
    regular: await doc.embedFont(StandardFonts.Helvetica),
    bold: await doc.embedFont(StandardFonts.HelveticaBold),
    italic: await doc.embedFont(StandardFonts.HelveticaOblique),
    mono: await doc.embedFont(StandardFonts.Courier),
  };
  const { session, events, messages } = input;
  // Fixed dates keep the file the same for the same session.
  doc.setTitle(toEncodable(session.displayName, charsetOf(fonts.regular)));
  doc.setCreator("Tandem");
  doc.setProducer("Tandem (pdf-lib)");
  doc.setCreationDate(new Date(session.createdAt));
  doc.setModificationDate(new Date(session.updatedAt));

  const layout = new Layout(doc, fonts);
  layout.text(session.displayName, { font: fonts.bold, size: 18 });
  layout.gap(6);
  for (const [label, value] of settingsRows(session)) layout.labelled(label, value);

  layout.section("Transcript");
  if (messages.length === 0) layout.text("No messages.", { font: fonts.italic, size: BODY, color: MUTED });
  for (const message of messages) {
    layout.gap(8);
    layout.text(`${authorOf(message)} · ${formatTime(message.createdAt)}`, { font: fonts.bold, size: 11 });
    for (const block of message.blocks) {
      layout.gap(3);
      renderBlock(layout, fonts, block);
    }
  }

  layout.section("Events");
  if (events.length === 0) layout.text("No events.", { font: fonts.italic, size: BODY, color: MUTED });
  for (const row of eventRows(events)) {
    const detail = [row.who && `by ${row.who}`, row.why].filter(Boolean).join(" · ");
    layout.text(`${row.seq}. ${row.at}  ${row.what}${detail ? `  ${detail}` : ""}`, {
      font: fonts.regular,
      size: 8.5,
    });
  }

  layout.footers(toEncodable(session.displayName, charsetOf(fonts.regular)));
  return doc.save();
}

function renderBlock(layout: Layout, fonts: Fonts, block: TranscriptBlock): void {
  switch (block.type) {
    case "text":
      layout.text(block.text, { font: fonts.regular, size: BODY });
      return;
    case "thinking":
      layout.text("Thinking", { font: fonts.bold, size: 8.5, color: MUTED });
      layout.text(block.text, { font: fonts.italic, size: 9, color: MUTED, indent: 10 });
      return;
    case "question":
      layout.text(`Question: ${block.text}`, { font: fonts.bold, size: BODY });
      return;
    case "error":
      layout.text(`Error: ${block.text}`, { font: fonts.regular, size: BODY, color: DANGER });
      return;
    case "tool_use":
      renderTool(layout, fonts, block);
  }
}

function renderTool(layout: Layout, fonts: Fonts, block: ToolBlock): void {
  layout.text(`Tool ${block.name} (${toolStatus(block)})`, { font: fonts.bold, size: 9.5 });
  const input = toolInputText(block.input);
  if (input) {
    layout.text("Input", { font: fonts.regular, size: 8, color: MUTED });
    layout.code(input);
  }
  if (block.result !== undefined) {
    layout.text(block.isError ? "Error output" : "Result", {
      font: fonts.regular,
      size: 8,
      color: block.isError ? DANGER : MUTED,
    });
    layout.code(block.result.replace(/\n$/, ""));
  }
}

const charsets = new WeakMap<PDFFont, Set<number>>();
function charsetOf(font: PDFFont): Set<number> {
  let set = charsets.get(font);
  if (!set) charsets.set(font, (set = new Set(font.getCharacterSet())));
  return set;
}

/** A cursor over pages: everything is drawn top to bottom, a new page begins when the next line does not fit. */
class Layout {
  readonly #doc: PDFDocument;
  readonly #fonts: Fonts;
  #page: PDFPage;
  #y = 0;

  constructor(doc: PDFDocument, fonts: Fonts) {
    this.#doc = doc;
    this.#fonts = fonts;
    this.#page = this.#newPage();
  }

  gap(points: number): void {
    this.#y -= points;
  }

  section(title: string): void {
    this.gap(14);
    this.text(title, { font: this.#fonts.bold, size: 14 });
    this.gap(2);
  }

  text(text: string, style: TextStyle): void {
    const indent = style.indent ?? 0;
    const lines = wrap(
      toEncodable(text, charsetOf(style.font)),
      style.font,
      style.size,
      CONTENT_WIDTH - indent,
    );
    for (const line of lines) this.#line(line, MARGIN.x + indent, style);
  }

  /** A settings row: the label in bold, the value wrapped in a column beside it. */
  labelled(label: string, value: string): void {
    const column = 110;
    const size = 9.5;
    const lines = wrap(
      toEncodable(value, charsetOf(this.#fonts.regular)),
      this.#fonts.regular,
      size,
      CONTENT_WIDTH - column,
    );
    lines.forEach((line, index) => {
      const y = this.#advance(size * LEADING);
      if (index === 0)
        this.#page.drawText(label, { x: MARGIN.x, y, size, font: this.#fonts.bold, color: INK });
      this.#page.drawText(line, { x: MARGIN.x + column, y, size, font: this.#fonts.regular, color: INK });
    });
  }

  /** Monospace lines on a shaded band; each line is shaded on its own, so a block can span pages. */
  code(text: string): void {
    const font = this.#fonts.mono;
    const pad = 4;
    const lines = wrap(toEncodable(text, charsetOf(font)), font, MONO, CONTENT_WIDTH - 2 * pad);
    const height = MONO * LEADING;
    for (const line of lines) {
      const y = this.#advance(height);
      this.#page.drawRectangle({
        x: MARGIN.x,
        y: y - MONO * 0.3,
        width: CONTENT_WIDTH,
        height,
        color: SHADE,
      });
      this.#page.drawText(line, { x: MARGIN.x + pad, y, size: MONO, font, color: INK });
    }
    this.gap(2);
  }

  footers(title: string): void {
    const pages = this.#doc.getPages();
    const font = this.#fonts.regular;
    pages.forEach((page, index) => {
      const label = `${index + 1} / ${pages.length}`;
      page.drawText(truncate(title, font, 7.5, CONTENT_WIDTH - 60), {
        x: MARGIN.x,
        y: 32,
        size: 7.5,
        font,
        color: MUTED,
      });
      page.drawText(label, {
        x: PAGE.width - MARGIN.x - font.widthOfTextAtSize(label, 7.5),
        y: 32,
        size: 7.5,
        font,
        color: MUTED,
      });
    });
  }

  #line(line: string, x: number, style: TextStyle): void {
    const y = this.#advance(style.size * LEADING);
    if (line)
      this.#page.drawText(line, { x, y, size: style.size, font: style.font, color: style.color ?? INK });
  }

  /** Moves down by one line of `height` (a new page when it does not fit) and returns its baseline. */
  #advance(height: number): number {
    if (this.#y - height < MARGIN.bottom) this.#page = this.#newPage();
    this.#y -= height;
    return this.#y + height * 0.25;
  }

  #newPage(): PDFPage {
    const page = this.#doc.addPage([PAGE.width, PAGE.height]);
    this.#y = PAGE.height - MARGIN.top;
    return page;
  }
}

/** Greedy word wrap; a word wider than the line is cut by characters. Blank lines are kept. */
export function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.replace(/\r\n?/g, "\n").split("\n")) {
    let line = "";
    for (const word of paragraph.split(/(?<= )/)) {
      const candidate = line + word;
      if (font.widthOfTextAtSize(candidate.trimEnd(), size) <= width) {
        line = candidate;
        continue;
      }
      if (line) lines.push(line.trimEnd());
      line = "";
      for (const char of word) {
        if (line && font.widthOfTextAtSize(line + char, size) > width) {
          lines.push(line);
          line = "";
        }
        line += char;
      }
    }
    lines.push(line.trimEnd());
  }
  return lines;
}

function truncate(text: string, font: PDFFont, size: number, width: number): string {
  if (font.widthOfTextAtSize(text, size) <= width) return text;
  let cut = text;
  while (cut.length > 1 && font.widthOfTextAtSize(`${cut}...`, size) > width) cut = cut.slice(0, -1);
  return `${cut}...`;
}
