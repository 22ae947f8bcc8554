/**
 * At least 1,000 malformed requests over every route of the OpenAPI document (test/attack/malformed.ts
 * says which): not one answered 5xx, every error in the `{error:{code,message}}` JSON shape, every one
 * refused (4xx) unless it is a public read, and D1 and the session room's storage unchanged after them all.
 */
import { env, runInDurableObject, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { signBody } from "../../worker/secrets/hmac";
import {
  bodyProbes,
  credentialProbes,
  methodProbes,
  paramProbes,
  queryProbes,
  webhookProbes,
  type Probe,
} from "./malformed";
import { loadDocument, type Operation } from "./operations";
import { observe, reportFigures } from "./probe";
import { buildWorld, d1Snapshot, roomSnapshot, sampleBody, type World } from "./world";
import { eventually } from "../worker/session-helpers";

reportFigures();

const { doc, operations } = await loadDocument();
const BATCH = 8;

function filler(op: Operation, world: World) {
  const values: Record<string, string> = {
    ws: world.ws,
    userId: world.target.user.id,
    triggerId: world.triggerId,
    shareId: world.shareId,
    token: world.shareToken,
    approvalId: "toolu_malformed",
  };
  const byCollection: Record<string, string> = {
    sessions: world.sessionId,
    triggers: world.triggerId,
    schedules: world.scheduleId,
    tokens: world.tokenId,
    secrets: world.secretName,
    artifacts: world.artifactName,
    workflows: world.workflowName,
    "mcp-servers": world.mcpServerName,
  };
  return (overrides: Record<string, string> = {}) =>
    op.path.replace(/\/([a-z-]+)\/\{(\w+)\}/g, (_, collection: string, param: string) => {
      const value = overrides[param] ?? values[param] ?? encodeURIComponent(byCollection[collection]);
      return `/${collection}/${value}`;
    });
}

function probesFor(op: Operation, world: World): Probe[] {
  const fill = filler(op, world);
  const path = fill();
  const auth = { cookie: world.owner.cookie };
  if (op.access === "signature") {
    return [
      ...webhookProbes(op, path, JSON.stringify({ action: "opened" })),
      ...paramProbes(op, fill, {}, "{}"),
      ...credentialProbes(op, path),
    ];
  }
  const sample = op.body ? (sampleBody(op.body, world) as Record<string, unknown>) : undefined;
  // A path parameter that names nothing is refused before the body matters; a valid body makes sure of it.
  const validBody = sample ? JSON.stringify(sample) : undefined;
  const params =
    op.method === "PUT" && op.path.endsWith("/secrets/{name}")
      ? paramProbes(op, fill, auth, "{}")
      : paramProbes(op, fill, auth, validBody);
  return [
    ...(sample ? bodyProbes(doc, op, path, sample, auth) : []),
    ...params,
    ...queryProbes(op, path, auth),
    ...credentialProbes(op, path),
  ];
}

describe("malformed requests", () => {
  let world: World;

  beforeAll(async () => {
    world = await buildWorld("fuzz", { session: true, artifact: true });
    // The room's phase-change callbacks are out, so its storage holds still.
    const stub = env.SessionRoom.get(env.SessionRoom.idFromName(world.sessionId));
    await eventually(
      () =>
        runInDurableObject(stub, (_i, state) =>
          Number(state.storage.sql.exec(`SELECT count(*) AS n FROM callbacks`).one().n),
        ),
      (n) => n === 0,
    );
  }, 60_000);

  it("over every route: no 5xx, every error JSON-shaped, all refused, D1 and the room unchanged", async () => {
    const byPath = new Map<string, Operation[]>();
    for (const op of operations) byPath.set(op.path, [...(byPath.get(op.path) ?? []), op]);
    const probes = [
      ...operations.flatMap((op) => probesFor(op, world)),
      ...[...byPath].flatMap(([template, ops]) =>
        methodProbes(
          filler(ops[0], world)(),
          ops.map((op) => op.method),
          { cookie: world.owner.cookie },
          template,
        ),
      ),
    ];
    expect(probes.length).toBeGreaterThanOrEqual(1000);
    const probed = new Set(probes.map((probe) => probe.label.split(":")[0]));
    for (const op of operations)
      expect(probed, `${op.method} ${op.path} was not probed`).toContain(`${op.method} ${op.path}`);

    const d1Before = await d1Snapshot();
    const roomBefore = await roomSnapshot(world.sessionId);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (let start = 0; start < probes.length; start += BATCH) {
      await Promise.all(
        probes.slice(start, start + BATCH).map(async (probe) => {
          const headers = { ...probe.headers };
          if ("signed" in probe && probe.body !== undefined)
            headers["x-hub-signature-256"] = await signBody(world.triggerSecret, probe.body);
          let res;
          try {
            res = await observe(
              await SELF.fetch(`http://localhost:8787${probe.path}`, {
                method: probe.method,
                headers,
                body: probe.body,
              }),
            );
          } catch (err) {
            failures.push(
              `${probe.label}: the request could not be sent (${err instanceof Error ? err.message : String(err)})`,
            );
            return;
          }
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status >= 500) failures.push(`${probe.label}: ${res.status} ${res.text.slice(0, 200)}`);
          else if (res.status >= 400 && !res.errorShaped)
            failures.push(`${probe.label}: ${res.status} not JSON-shaped: ${res.text.slice(0, 200)}`);
          else if (res.status < 400 && !probe.mayPass)
            failures.push(`${probe.label}: accepted with ${res.status}: ${res.text.slice(0, 200)}`);
        }),
      );
    }
    console.log(
      `malformed requests: ${probes.length} sent; statuses ${[...statuses]
        .sort(([a], [b]) => a - b)
        .map(([s, n]) => `${s}×${n}`)
        .join(" ")}`,
    );
    expect(failures).toEqual([]);
    expect(await d1Snapshot(), "D1 changed").toBe(d1Before);
    expect(await roomSnapshot(world.sessionId), "the room's storage changed").toBe(roomBefore);
  });
});
