/**
 * The room is the last line: whatever its agent sends (the fake agent here redacts nothing), no secret
 * reaches the transcript, a viewer's socket, the API, the events log or an artifact.
 */
import { describe, expect, it } from "vitest";
import { REDACTED } from "../../worker/secrets";
import { type Client, signIn, uniqueName, workspaceWith } from "./helpers";
import {
  createSession,
  eventually,
  fakeAgent,
  textOf,
  transcriptOf,
  waitForAgentStatus,
  waitForPhase,
} from "./session-helpers";
import { connectRoom, docText, type RoomClient } from "./yjs-client";

/** Has `/`, `+`, `=` and a space, so its URL-encoded form differs from itself. */
const secretValue = () => `tok/${crypto.randomUUID()}+k=v x`;

/** Each way the fake agent spells the secret, and the part of its base64 that is the secret's alone. */
function forms(value: string): string[] {
  const base64 = btoa(`user:${value}`);
  return [value, encodeURIComponent(value), base64, base64.slice(8, -4)];
}

async function sessionWithSecret() {
  const [owner, viewer] = await Promise.all([signIn(uniqueName("owner")), signIn(uniqueName("viewer"))]);
  const ws = await workspaceWith(owner, [{ client: viewer, role: "viewer" }]);
  const value = secretValue();
  expect(
    (await owner.api(`/api/workspaces/${ws}/secrets/DEPLOY_TOKEN`, { method: "PUT", body: { value } }))
      .status,
  ).toBe(204);
  const { id } = await createSession(owner, ws, {});
  await waitForPhase(owner, ws, id, "Running");
  return { owner, viewer, ws, id, value };
}

async function say(client: Client, ws: string, id: string, text: string) {
  expect((await client.api(`/api/workspaces/${ws}/sessions/${id}/messages`, { body: { text } })).status).toBe(
    202,
  );
  await waitForAgentStatus(client, ws, id, "idle");
}

const eventsOf = async (client: Client, ws: string, id: string) =>
  (
    (await (await client.api(`/api/workspaces/${ws}/sessions/${id}/events`)).json()) as {
      events: { type: string; reason?: string }[];
    }
  ).events;

describe("the room redacts what its agent sends", () => {
  it("a secret split across two deltas, or base64 or URL-encoded, reaches neither the transcript, a viewer's socket nor the API", async () => {
    const { owner, viewer, ws, id, value } = await sessionWithSecret();
    const room = (await connectRoom(id, { cookie: viewer.cookie })) as RoomClient;
    const received: Uint8Array[] = [];
    room.socket.addEventListener("message", (event) => {
      if (typeof event.data !== "string") received.push(new Uint8Array(event.data as ArrayBuffer));
    });
    await room.synced;
    await say(owner, ws, id, "/leak-split");
    const messages = await eventually(
      () => transcriptOf(owner, ws, id),
      (m) => textOf(m).split(REDACTED).length > 3,
    );

    // The agent really did send each form in two halves.
    const streamed = (await fakeAgent(id)).sent.flatMap((frame) =>
      "text" in frame && typeof frame.text === "string" ? [frame.text] : [],
    );
    expect(streamed.some((text) => text.includes(value))).toBe(false);
    expect(streamed.join("")).toContain(value);

    const text = textOf(messages);
    // Raw, then base64 (its first and last characters mix in the bytes around the secret), then URL-encoded.
    expect(text).toMatch(
      /\[\[redacted\]\] \[dXNlcj[A-Za-z0-9+/]{0,3}\[redacted\][A-Za-z0-9+/]{0,3}=*\] \[\[redacted\]\] $/,
    );
    await eventually(
      async () => docText(room.doc),
      (shown) => shown.includes(text.slice(-20)),
    );
    const everything = [
      JSON.stringify(messages),
      docText(room.doc),
      await (await viewer.api(`/api/workspaces/${ws}/sessions/${id}/transcript`)).text(),
      await (await viewer.api(`/api/workspaces/${ws}/sessions/${id}/export?format=markdown`)).text(),
    ];
    for (const form of forms(value)) for (const shown of everything) expect(shown).not.toContain(form);
    // Not in any one frame a viewer received either (the document keeps what each frame inserted).
    const wire = received.map((bytes) => new TextDecoder().decode(bytes)).join("\n");
    for (const form of forms(value)) expect(wire).not.toContain(form);
    room.close();
  });

  it("a usage report between the halves of a secret releases neither half (the room held the head, and kept it held)", async () => {
    const { owner, ws, id, value } = await sessionWithSecret();
    await say(owner, ws, id, "/leak-around-usage");
    const messages = await eventually(
      () => transcriptOf(owner, ws, id),
      (m) => textOf(m).includes("<[redacted]>"),
    );
    const streamed = (await fakeAgent(id)).sent.flatMap((frame) =>
      "text" in frame && typeof frame.text === "string" ? [frame.text] : [],
    );
    expect(streamed.some((text) => text.includes(value))).toBe(false);
    const text = textOf(messages);
    for (let i = 0; i + 8 <= value.length; i++) expect(text).not.toContain(value.slice(i, i + 8));
  });

  it("stores a description of an invalid frame, never its text", async () => {
    const { owner, ws, id, value } = await sessionWithSecret();
    await say(owner, ws, id, "/invalid-frame");
    const events = await eventually(
      () => eventsOf(owner, ws, id),
      (list) => list.some((e) => e.type === "invalid_frame"),
    );
    const invalid = events.find((e) => e.type === "invalid_frame");
    expect(invalid?.reason).toMatch(/^invalid frame "text_delta" \(\d+ characters\): id: invalid_type$/);
    expect(JSON.stringify(events)).not.toContain(value);
  });

  it("keeps text artifacts redacted, refuses binary ones holding a secret with an event, keeps other binaries byte for byte", async () => {
    const { owner, ws, id, value } = await sessionWithSecret();
    for (const name of ["secret-notes.md", "binary-secret-dump.bin", "binary-image.bin"])
      await say(owner, ws, id, `/artifact ${name}`);
    const listed = async () =>
      (
        (await (await owner.api(`/api/workspaces/${ws}/sessions/${id}/artifacts`)).json()) as {
          artifacts: { name: string }[];
        }
      ).artifacts;
    const events = await eventually(
      () => eventsOf(owner, ws, id),
      (list) => list.some((e) => e.type === "artifact_refused"),
    );
    await eventually(listed, (artifacts) => artifacts.length === 2);
    expect((await listed()).map((a) => a.name).sort()).toEqual(["binary-image.bin", "secret-notes.md"]);

    const notes = await (
      await owner.api(`/api/workspaces/${ws}/sessions/${id}/artifacts/secret-notes.md`)
    ).text();
    expect(notes).toMatch(
      new RegExp(`^token: \\[redacted\\]\\nbasic: .*\\[redacted\\].*\\nurl: \\?t=\\[redacted\\]\\n$`),
    );
    for (const form of forms(value)) expect(notes).not.toContain(form);
    expect(
      (await owner.api(`/api/workspaces/${ws}/sessions/${id}/artifacts/binary-secret-dump.bin`)).status,
    ).toBe(404);
    const image = new Uint8Array(
      await (
        await owner.api(`/api/workspaces/${ws}/sessions/${id}/artifacts/binary-image.bin`)
      ).arrayBuffer(),
    );
    expect([...image.slice(0, 5)]).toEqual([0, 1, 2, 255, 0]);
    expect(new TextDecoder().decode(image.slice(5))).toBe("no secrets in here");

    const refused = (await eventsOf(owner, ws, id)).filter(
      (e) => e.type === "artifact_refused" || e.type === "artifact_redacted",
    );
    expect(refused.map((e) => e.type).sort()).toEqual(["artifact_redacted", "artifact_refused"]);
    expect(refused.find((e) => e.type === "artifact_refused")?.reason).toContain("binary-secret-dump.bin");
    expect(JSON.stringify(events)).not.toContain(value);
  });
});

describe("secrets too short to redact", () => {
  it("are refused when they are set (400, field value); eight characters are accepted", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const short = await owner.api(`/api/workspaces/${ws}/secrets/PIN`, {
      method: "PUT",
      body: { value: "1234567" },
    });
    expect(short.status).toBe(400);
    expect(((await short.json()) as { error: { code: string; field?: string } }).error).toMatchObject({
      code: "invalid_input",
      field: "value",
    });
    expect(
      (await owner.api(`/api/workspaces/${ws}/secrets/PIN`, { method: "PUT", body: { value: "12345678" } }))
        .status,
    ).toBe(204);
  });
});
