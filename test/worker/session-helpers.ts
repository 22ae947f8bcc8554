import { env, runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import type { Client } from "./helpers";

/** As test/agent/helpers.ts's: a stop cancels the work (seconds, not its length); the 2 s promise is the reliability suite's. */
export const STOPPED_WITHIN_MS = 6_000;

/**
 * How long after its agent dies for good a session may take to fail in these tests: the 3 s reconnect
 * window and then some. The 5 s promise is timed by test/reliability/workspace.test.ts at normal priority.
 */
export const FAILED_WITHIN_MS = 10_000;

/** How long a wait polls by default (see `eventually`). */
const WAIT_MS = 20_000;

export interface SessionJSON {
  id: string;
  phase: string;
  agentStatus: string;
  displayName: string;
  [key: string]: unknown;
}

export async function createSession(
  client: Client,
  ws: string,
  body: Record<string, unknown> = {},
): Promise<SessionJSON> {
  const res = await client.api(`/api/workspaces/${ws}/sessions`, { body });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { session: SessionJSON }).session;
}

export async function getSession(client: Client, ws: string, id: string): Promise<SessionJSON> {
  const res = await client.api(`/api/workspaces/${ws}/sessions/${id}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { session: SessionJSON }).session;
}

/**
 * Polls until `check` passes or `timeoutMs` runs out (the agent and the DO work asynchronously). The default
 * is generous: a wait returns as soon as its condition holds, so it costs a passing test nothing, while a
 * run beside the whole suite on two cores can take several times as long as a quiet one. What the product
 * promises about time (stop in 2 s, fail in 5 s) is asserted as such, not through a wait's timeout.
 */
export async function eventually<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = WAIT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!check(value)) {
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    value = await read();
  }
  return value;
}

export async function waitForPhase(
  client: Client,
  ws: string,
  id: string,
  phase: string,
  timeoutMs = WAIT_MS,
) {
  try {
    return await eventually(
      () => getSession(client, ws, id),
      (s) => s.phase === phase,
      timeoutMs,
    );
  } catch (err) {
    // What the session's events say (an agent lost, a failure's reason) tells why it never got there.
    const reasons = (await eventsOf(client, ws, id)).flatMap((e) =>
      e.reason ? [`${e.type}: ${e.reason}`] : [],
    );
    throw new Error(`${(err as Error).message}; the session's reasons: ${reasons.join("; ") || "none"}`);
  }
}

export function waitForAgentStatus(client: Client, ws: string, id: string, status: string) {
  return eventually(
    () => getSession(client, ws, id),
    (s) => s.agentStatus === status,
  );
}

export async function transcriptOf(client: Client, ws: string, id: string) {
  const res = await client.api(`/api/workspaces/${ws}/sessions/${id}/transcript`);
  return (
    (await res.json()) as {
      messages: {
        role: string;
        author: string | null;
        queued?: boolean;
        blocks: { type: string; text?: string; [k: string]: unknown }[];
      }[];
    }
  ).messages;
}

export const textOf = (messages: Awaited<ReturnType<typeof transcriptOf>>) =>
  messages.map((m) => m.blocks.map((b) => b.text ?? "").join("")).join("\n");

/** What the fake agent host received from and sent to this session's room. */
export async function fakeAgent(id: string, action?: "release" | "drop" | "kill" | "restart" | "deaf") {
  const res = await fetch(`${env.AGENT_URL}/control/${id}${action ? `/${action}` : ""}`, {
    method: action ? "POST" : "GET",
  });
  return (await res.json()) as {
    received: { type: string; [k: string]: unknown }[];
    sent: { type: string; seq: number; [k: string]: unknown }[];
    acked: number;
    connected: boolean;
    incarnation: string;
    files: Record<string, string>;
    pushes: unknown[];
    /** How many more upgrades it cuts off unanswered (cutOffUpgrades). */
    unanswered: number;
  };
}

/** Has the fake agent host cut off the next `count` upgrades of this session unanswered. */
export async function cutOffUpgrades(id: string, count: number): Promise<void> {
  const res = await fetch(`${env.AGENT_URL}/control/${id}/unanswered`, {
    method: "POST",
    body: String(count),
  });
  if (res.status !== 204) throw new Error(`the fake agent host answered ${res.status}`);
}

export async function eventsOf(client: Client, ws: string, id: string) {
  const res = await client.api(`/api/workspaces/${ws}/sessions/${id}/events`);
  return (
    (await res.json()) as {
      events: { seq: number; type: string; phase?: string; actor?: string; reason?: string }[];
    }
  ).events;
}

export const roomStub = (id: string) => env.SessionRoom.get(env.SessionRoom.idFromName(id));

/**
 * Restarts the room as a crash or redeploy would: its memory is gone, its storage and alarm stay.
 * (evictDurableObject waits for the room to be idle, which it never is while its agent socket is open.)
 */
export async function restartRoom(id: string): Promise<void> {
  const marker = await runInDurableObject(roomStub(id), (instance) => instance);
  await runInDurableObject(roomStub(id), (_instance, state) => state.abort("restart")).catch(() => undefined);
  expect(await runInDurableObject(roomStub(id), (instance) => instance)).not.toBe(marker);
}
