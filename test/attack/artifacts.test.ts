/**
 * Artifacts: a name is decoded once (`100%25.txt` is the file `100%.txt`, not a 500), a file is streamed
 * from the agent into R2 (a body of unknown length in parts) and one over the cap is refused with an event.
 */
import { describe, expect, it } from "vitest";
import { MAX_ARTIFACT_BYTES } from "../../worker/session/artifacts";
import { patternByte } from "../fakes/agent-host";
import { signIn, uniqueName, workspaceWith, type Client } from "../worker/helpers";
import { createSession, eventually, waitForPhase } from "../worker/session-helpers";
import { observe, reportFigures } from "./probe";

reportFigures();

async function runningSession() {
  const owner = await signIn(uniqueName("owner"));
  const ws = await workspaceWith(owner);
  const { id } = await createSession(owner, ws, { timeoutSeconds: 120 });
  await waitForPhase(owner, ws, id, "Running");
  return { owner, ws, id };
}

async function writeArtifact(owner: Client, ws: string, id: string, name: string) {
  const res = await owner.api(`/api/workspaces/${ws}/sessions/${id}/messages`, {
    body: { text: `/artifact ${name}` },
  });
  expect(res.status).toBe(202);
}

const listed = async (owner: Client, ws: string, id: string) =>
  (
    (await (await owner.api(`/api/workspaces/${ws}/sessions/${id}/artifacts`)).json()) as {
      artifacts: { name: string; size: number }[];
    }
  ).artifacts;

const events = async (owner: Client, ws: string, id: string) =>
  (
    (await (await owner.api(`/api/workspaces/${ws}/sessions/${id}/events`)).json()) as {
      events: { type: string; reason?: string }[];
    }
  ).events;

describe("artifact names", () => {
  it("decodes a name once: 100%25.txt downloads the file 100%.txt", async () => {
    const { owner, ws, id } = await runningSession();
    await writeArtifact(owner, ws, id, "100%.txt");
    await eventually(
      () => listed(owner, ws, id),
      (a) => a.some((x) => x.name === "100%.txt"),
    );
    const download = await observe(
      await owner.api(`/api/workspaces/${ws}/sessions/${id}/artifacts/100%25.txt`),
    );
    expect(download.status).toBe(200);
    expect(download.text).toBe("# 100%.txt\n".padEnd(42, "."));
    expect(download.headers.get("content-disposition")).toBe("attachment; filename*=UTF-8''100%25.txt");
    for (const path of ["%E0%A4%A.txt", "..%2F..%2Fsecrets", "%2e%2e/x"]) {
      const res = await observe(await owner.api(`/api/workspaces/${ws}/sessions/${id}/artifacts/${path}`));
      expect([400, 404], path).toContain(res.status);
      expect(res.errorShaped, path).toBe(true);
    }
  });
});

describe("artifact copies", () => {
  it("streams a body of unknown length into R2 in parts, byte for byte", async () => {
    const { owner, ws, id } = await runningSession();
    const size = 8 * 1024 * 1024 * 2 + 12_345; // three parts, the last a short one
    await writeArtifact(owner, ws, id, `chunked-${size}.bin`);
    const artifacts = await eventually(
      () => listed(owner, ws, id),
      (a) => a.length > 0,
      30_000,
    );
    expect(artifacts).toEqual([expect.objectContaining({ name: `chunked-${size}.bin`, size })]);
    const download = await owner.api(`/api/workspaces/${ws}/sessions/${id}/artifacts/chunked-${size}.bin`);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-length")).toBe(String(size));
    const bytes = new Uint8Array(await download.arrayBuffer());
    expect(bytes.length).toBe(size);
    let mismatches = 0;
    for (let i = 0; i < bytes.length; i++) if (bytes[i] !== patternByte(i)) mismatches++;
    expect(mismatches).toBe(0);
  });

  it("keeps a small body of unknown length with one put", async () => {
    const { owner, ws, id } = await runningSession();
    await writeArtifact(owner, ws, id, "chunked-1000.bin");
    await eventually(
      () => listed(owner, ws, id),
      (a) => a.some((x) => x.name === "chunked-1000.bin" && x.size === 1000),
    );
  });

  it(`refuses an artifact declared over ${MAX_ARTIFACT_BYTES} bytes with an event, and lists nothing`, async () => {
    const { owner, ws, id } = await runningSession();
    await writeArtifact(owner, ws, id, "huge.bin");
    const log = await eventually(
      () => events(owner, ws, id),
      (e) => e.some((x) => x.type === "artifact_too_large"),
    );
    expect(log.find((x) => x.type === "artifact_too_large")?.reason).toContain("huge.bin");
    expect(await listed(owner, ws, id)).toEqual([]);
    expect((await owner.api(`/api/workspaces/${ws}/sessions/${id}/artifacts/huge.bin`)).status).toBe(404);
  });
});
