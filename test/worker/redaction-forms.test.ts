/** Redaction, shared by the agent and the room: the forms of a secret, streams split anywhere. */
import { describe, expect, it } from "vitest";
import { REDACTED, Redaction, StreamRedaction, secretForms } from "@tandem/protocol/redaction";
import { urlHasCredentials, withoutCredentials } from "@tandem/protocol/session-config";

const VALUE = "tok/4f9a2c+e=Z q8!";
const b64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

describe("forms of a secret", () => {
  const redaction = new Redaction([VALUE]);

  it("catches base64 at every alignment, in both alphabets, whatever surrounds it", () => {
    for (const before of ["", "a", "ab", "abc", "user:", "Authorization: "]) {
      for (const after of ["", "x", "xy", "xyz", "\n"]) {
        const encoded = b64(`${before}${VALUE}${after}`);
        for (const text of [encoded, encoded.replace(/\+/g, "-").replace(/\//g, "_")]) {
          expect(redaction.text(text), `${before}|${after}`).toContain(REDACTED);
        }
      }
    }
  });

  it("catches URL-encoded spellings", () => {
    const encoded = encodeURIComponent(VALUE);
    const lowerEscapes = encoded.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
    for (const text of [encoded, lowerEscapes, encoded.replace(/%20/g, "+"), encoded.replace(/%2F/g, "/")]) {
      expect(redaction.text(`?token=${text}&x=1`)).toBe(`?token=${REDACTED}&x=1`);
    }
  });

  it("leaves ordinary text alone; short legacy values are redacted as themselves only", () => {
    expect(redaction.text("nothing secret here: tok/ and q8!")).toBe("nothing secret here: tok/ and q8!");
    expect(secretForms("abc")).toEqual([]);
    expect(secretForms("abcd1")).toEqual(["abcd1"]);
    expect(new Redaction(["abcd1"]).text(`abcd1 ${b64("abcd1")}`)).toBe(`${REDACTED} ${b64("abcd1")}`);
    expect(secretForms(VALUE).every((form) => form.length >= 8)).toBe(true);
  });

  it("prefers the longest form and redacts keys of JSON values too", () => {
    const nested = new Redaction(["abcdefgh", "abcdefgh-longer"]);
    expect(nested.text("abcdefgh-longer abcdefgh")).toBe(`${REDACTED} ${REDACTED}`);
    expect(nested.deep({ abcdefgh: ["x abcdefgh-longer"] })).toEqual({ [REDACTED]: [`x ${REDACTED}`] });
  });
});

describe("streamed text", () => {
  const redaction = new Redaction([VALUE, "abcdefgh", "abcdefghXYZ123"]);
  const newStream = () => new StreamRedaction<string>(redaction, (key) => key);

  it("is redacted wherever a secret is split, in two parts or one character at a time", () => {
    const whole = `before ${VALUE} middle ${b64(`u:${VALUE}`)} after`;
    const expected = redaction.text(whole);
    expect(expected).toContain(`before ${REDACTED} middle`);
    for (let cut = 0; cut <= whole.length; cut++) {
      const streams = newStream();
      const shown = [
        streams.push("m", whole.slice(0, cut)),
        streams.push("m", whole.slice(cut)),
        ...streams.flush().map((f) => f.text),
      ];
      expect(shown.join(""), `cut at ${cut}`).toBe(expected);
      for (const part of shown) expect(part).not.toContain(VALUE.slice(0, 8));
    }
    const streams = newStream();
    const shown = [...whole].map((char) => streams.push("m", char));
    expect([...shown, ...streams.flush().map((f) => f.text)].join("")).toBe(expected);
  });

  it("holds back no more than a form's beginning, and waits for a longer secret that may still complete", () => {
    const streams = newStream();
    expect(streams.push("m", "plain words, then tok/4f")).toBe("plain words, then ");
    expect(streams.push("m", "9a2c+e=Z q8! done")).toBe(`${REDACTED} done`);
    expect(streams.push("m", "see abcdefgh")).toBe("see ");
    expect(streams.push("m", "XYZ123!")).toBe(`${REDACTED}!`);
    expect(streams.push("m", "abcdefgh")).toBe("");
    expect(streams.push("m", " and ")).toBe(`${REDACTED} and `);
  });

  it("keeps each stream's tail apart, and flushes all but the one still streaming", () => {
    const streams = newStream();
    expect(streams.push("thinking", "x tok/4")).toBe("x ");
    expect(streams.push("text", "y abcd")).toBe("y ");
    expect(streams.flush("text")).toEqual([{ stream: "thinking", text: "tok/4" }]);
    expect(streams.push("text", "efghXYZ123")).toBe(REDACTED);
    expect(streams.flush()).toEqual([]);
  });
});

describe("repository URLs with credentials", () => {
  it("are told apart from plain ones, and shown without the credentials", () => {
    expect(urlHasCredentials("https://x-access-token:ghp_secret@github.com/acme/app")).toBe(true);
    expect(urlHasCredentials("https://ghp_secret@github.com/acme/app")).toBe(true);
    expect(urlHasCredentials("ssh://git:hunter2@example.com/acme/app.git")).toBe(true);
    expect(urlHasCredentials("ssh://git@example.com/acme/app.git")).toBe(false);
    expect(urlHasCredentials("git@github.com:acme/app.git")).toBe(false);
    expect(urlHasCredentials("https://github.com/acme/app")).toBe(false);
    expect(withoutCredentials("https://x-access-token:ghp_secret@github.com/acme/app")).toBe(
      "https://github.com/acme/app",
    );
    expect(withoutCredentials("git@github.com:acme/app.git")).toBe("git@github.com:acme/app.git");
  });
});
