/** What the schedule tests share: a team, a schedule made and read through the API, and its clock told the time. */
import { env, runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import { ScheduleRunSchema, ScheduleSchema } from "@tandem/protocol/schedules";
import type { ScheduleClock } from "../../worker/schedule/clock";
import { signIn, uniqueName, workspaceWith, type Client } from "./helpers";
import { eventually, getSession } from "./session-helpers";

export interface ScheduleJSON {
  id: string;
  name: string;
  enabled: boolean;
  nextRunAt: number | null;
  interactive: boolean;
  session: Record<string, unknown>;
}
export interface RunJSON {
  id: string;
  scheduledFor: number | null;
  manual: boolean;
  sessionId: string | null;
  outcome: string;
  reason: string | null;
}

export const at = (iso: string) => Date.parse(iso);

export async function team() {
  const [owner, editor, viewer] = await Promise.all(
    ["owner", "editor", "viewer"].map((r) => signIn(uniqueName(`schedule ${r}`))),
  );
  const ws = await workspaceWith(owner, [
    { client: editor, role: "editor" },
    { client: viewer, role: "viewer" },
  ]);
  return { owner, editor, viewer, ws };
}

export async function create(
  client: Client,
  ws: string,
  body: Record<string, unknown>,
): Promise<ScheduleJSON> {
  const res = await client.api(`/api/workspaces/${ws}/schedules`, {
    body: { name: "nightly", session: {}, prompt: "run the report", ...body },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { schedule: ScheduleJSON }).schedule;
}

export async function read(client: Client, ws: string, id: string) {
  const res = await client.api(`/api/workspaces/${ws}/schedules/${id}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { schedule: ScheduleJSON; runs: RunJSON[] };
  // Exactly the protocol's shapes: nothing missing, mistyped or extra.
  ScheduleSchema.strict().parse(body.schedule);
  for (const run of body.runs) ScheduleRunSchema.strict().parse(run);
  return body;
}

export const clock = (id: string) => env.ScheduleClock.get(env.ScheduleClock.idFromName(id));
export const tick = (id: string, now: number) =>
  runInDurableObject(clock(id), (instance: ScheduleClock) => instance.tick(now));
export const armedFor = (id: string) => clock(id).armedFor();

/** Restarts the clock's object: its memory is gone, its storage (and alarm) stays. */
export async function restartClock(id: string) {
  await runInDurableObject(clock(id), (_instance, state) => {
    try {
      state.abort("restart");
    } catch {
      // abort() throws in the caller by design
    }
  }).catch(() => undefined);
}

export async function schedulesSessions(client: Client, ws: string, scheduleId: string) {
  const res = await client.api(`/api/workspaces/${ws}/sessions`);
  const { sessions } = (await res.json()) as {
    sessions: { id: string; origin: { kind: string; scheduleId?: string } }[];
  };
  return sessions.filter((s) => s.origin.kind === "schedule" && s.origin.scheduleId === scheduleId);
}

/** Waits until the schedule's last started session is no longer active, so the next slot is not skipped. */
export async function waitForPrevious(client: Client, ws: string, scheduleId: string) {
  const last = (await read(client, ws, scheduleId)).runs.find((r) => r.outcome === "started");
  if (!last?.sessionId) return;
  await eventually(
    () => getSession(client, ws, last.sessionId!),
    (s) => s.phase === "Completed" || s.phase === "Stopped" || s.phase === "Failed",
    10_000,
  );
}
