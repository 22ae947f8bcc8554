import { describe, expect, it } from "vitest";
import { REDACTED, Redaction } from "@tandem/protocol/redaction";
import { ArtifactRefused, screenArtifact } from "../../worker/session/artifact-screen";

const VALUE = "tok/4f9a2c+e=Z q8!é";
const utf8 = (text: string) => new TextEncoder().encode(text);
const b64 = (text: string) => btoa(String.fromCharCode(...utf8(text)));

/** Runs `bytes` through a screen in chunks of `size` bytes; the screened bytes, or the refusal. */
async function screened(bytes: Uint8Array, size: number, secrets = new Redaction([VALUE])) {
  const screen = screenArtifact(secrets);
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.length; at += size) controller.enqueue(bytes.slice(at, at + size));
      controller.close();
    },
  });
  const chunks: Uint8Array[] = [];
  try {
    for await (const chunk of source.pipeThrough(screen.stream)) chunks.push(chunk);
  } catch (err) {
    return { refused: err };
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { bytes: out, redacted: screen.redacted() };
}

describe("screening an artifact on its way into R2", () => {
  it("redacts a text file wherever its chunks are cut, even inside a character, its BOM kept", async () => {
    const text = `# notes\nkey: ${VALUE}\nbasic: ${b64(`u:${VALUE}`)}\nurl: ?t=${encodeURIComponent(VALUE)}\nbye ${"é".repeat(5)}\n`;
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8(text)]);
    const expected = new TextDecoder()
      .decode(bytes.subarray(3))
      .replace(VALUE, REDACTED)
      .replace(encodeURIComponent(VALUE), REDACTED);
    for (const size of [1, 2, 3, 7, 13, 64, bytes.length]) {
      const result = await screened(bytes, size);
      expect(result.refused, `chunks of ${size}`).toBeUndefined();
      const out = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true }).decode(result.bytes);
      expect(out.startsWith("\ufeff"), `chunks of ${size}`).toBe(true);
      expect(out, `chunks of ${size}`).not.toContain(VALUE);
      expect(out, `chunks of ${size}`).not.toContain(b64(`u:${VALUE}`).slice(4, 20));
      expect(out.slice(1).split(REDACTED).length, `chunks of ${size}`).toBe(4);
      expect(out.slice(1).startsWith(expected.slice(0, 14)), `chunks of ${size}`).toBe(true);
      expect(result.redacted).toBe(true);
    }
  });

  it("keeps a text file without secrets byte for byte, and says nothing was replaced", async () => {
    const bytes = utf8(`${"plain line\n".repeat(2000)}${VALUE.slice(0, 6)}`);
    for (const size of [5, 4096]) {
      const result = await screened(bytes, size);
      expect(result.bytes).toEqual(bytes);
      expect(result.redacted).toBe(false);
    }
  });

  it("refuses a binary file (a NUL, or not UTF-8) holding a secret in any form, also across chunks and past the head", async () => {
    const head = new Uint8Array(9000); // NULs: binary
    for (const secret of [utf8(VALUE), utf8(b64(`u:${VALUE}`)), utf8(encodeURIComponent(VALUE))]) {
      for (const bytes of [
        new Uint8Array([0, ...secret]),
        new Uint8Array([0xff, 0xfe, ...secret]),
        new Uint8Array([...head, ...secret, 1, 2]),
      ]) {
        for (const size of [1, 5, 8192]) {
          const result = await screened(bytes, size);
          expect(result.refused, `chunks of ${size}`).toBeInstanceOf(ArtifactRefused);
        }
      }
    }
  });

  it("keeps a binary file without secrets as it is, and passes everything through when there are no secrets", async () => {
    const image = new Uint8Array(20_000).map((_, i) => (i * 7) % 256);
    expect((await screened(image, 1000)).bytes).toEqual(image);
    const withSecret = new Uint8Array([0, ...utf8(VALUE)]);
    expect((await screened(withSecret, 3, new Redaction([]))).bytes).toEqual(withSecret);
  });
});
