/**
 * A workspace with everything the API can point at — members of each role, a running session with an
 * artifact, a trigger, a secret, a callback, API tokens (one revoked) — and the markers that must never
 * appear in an answer to anyone outside it.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { signIn, tokenClient, uniqueName, workspaceWith, type Client } from "../worker/helpers";
import { createSession, eventually, waitForPhase } from "../worker/session-helpers";

export interface World {
  ws: string;
  owner: Client;
  editor: Client;
  viewer: Client;
  /** Signed in, member of nothing here. */
  stranger: Client;
  /** Signed in, not a member: the person an owner adds. */
  candidate: Client;
  /** A viewer the member routes act on (change role, remove). */
  target: Client;
  sessionId: string;
  /** A live share link of the session (when there is one): its id, and its token (a guest's credential). */
  shareId: string;
  shareToken: string;
  artifactName: string;
  triggerId: string;
  triggerSecret: string;
  scheduleId: string;
  secretName: string;
  /** A workflow of the workspace's own. */
  workflowName: string;
  /** An email invited and not come yet (no account has it). */
  invitationEmail: string;
  /** An MCP server of the workspace, with a header naming the world's secret. */
  mcpServerName: string;
  /** One of the owner's API tokens, live; and one revoked. */
  tokenId: string;
  revokedToken: string;
  /** What only members may ever see: ids, names, the secret's value. */
  markers: string[];
  /** The secret's value: no one may ever see it. */
  secretValue: string;
}

export async function buildWorld(
  label: string,
  needs: { session?: boolean; artifact?: boolean } = {},
): Promise<World> {
  const marker = `CANARY${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const [owner, editor, viewer, stranger, candidate, target] = await Promise.all(
    ["owner", "editor", "viewer", "stranger", "candidate", "target"].map((role) =>
      signIn(uniqueName(`${label} ${role} ${marker}`)),
    ),
  );
  const ws = await workspaceWith(owner, [
    { client: editor, role: "editor" },
    { client: viewer, role: "viewer" },
    { client: target, role: "viewer" },
  ]);
  let sessionId = "";
  const artifactName = `report-${marker}.md`;
  if (needs.session || needs.artifact) {
    sessionId = (await createSession(owner, ws, { displayName: `session ${marker}`, timeoutSeconds: 1800 }))
      .id;
    await waitForPhase(owner, ws, sessionId, "Running");
    if (needs.artifact) {
      await owner.api(`/api/workspaces/${ws}/sessions/${sessionId}/messages`, {
        body: { text: `/artifact ${artifactName}` },
      });
      await eventually(
        async () =>
          (
            (await (await owner.api(`/api/workspaces/${ws}/sessions/${sessionId}/artifacts`)).json()) as {
              artifacts: unknown[];
            }
          ).artifacts,
        (list) => list.length > 0,
      );
    }
  }
  let shareId = "";
  let shareToken = "";
  if (sessionId) {
    const { share } = (await (
      await owner.api(`/api/workspaces/${ws}/sessions/${sessionId}/shares`, { body: {} })
    ).json()) as { share: { id: string; url: string } };
    shareId = share.id;
    shareToken = share.url.split("/share/")[1]!;
  }
  const created = (await (
    await owner.api(`/api/workspaces/${ws}/triggers`, {
      body: { name: `trigger ${marker}`, session: {}, promptTemplate: `do ${marker}` },
    })
  ).json()) as {
    trigger: { id: string };
    secret: string;
  };
  const { schedule } = (await (
    await owner.api(`/api/workspaces/${ws}/schedules`, {
      body: {
        name: `schedule ${marker}`,
        cron: "0 9 * * 1",
        timezone: "Europe/Berlin",
        session: {},
        prompt: `scheduled ${marker}`,
      },
    })
  ).json()) as { schedule: { id: string } };
  const secretName = `SECRET_${marker}`;
  const secretValue = `value-${marker}-${crypto.randomUUID()}`;
  await owner.api(`/api/workspaces/${ws}/secrets/${secretName}`, {
    method: "PUT",
    body: { value: secretValue },
  });
  // A receiver that answers (the fake host's sink), so the rooms' phase-change callbacks go nowhere outside.
  await owner.api(`/api/workspaces/${ws}/callback`, {
    method: "PUT",
    body: { url: `${env.AGENT_URL}/callback/sink?${marker}` },
  });
  const workflowName = `flow-${marker.toLowerCase()}`;
  await owner.api(`/api/workspaces/${ws}/workflows`, {
    body: {
      name: workflowName,
      title: `flow ${marker}`,
      systemPrompt: `plan ${marker}`,
      firstMessage: "{{prompt}}",
    },
  });
  const invitationEmail = `invitee-${marker.toLowerCase()}@example.com`;
  await owner.api(`/api/workspaces/${ws}/members`, { body: { user: invitationEmail, role: "viewer" } });
  const mcpServerName = `mcp-${marker.toLowerCase()}`;
  await owner.api(`/api/workspaces/${ws}/mcp-servers`, {
    body: {
      name: mcpServerName,
      url: `https://mcp.example.com/${marker}`,
      transport: "http",
      headers: { Authorization: `secret:${secretName}`, "X-Team": `literal-${marker}` },
    },
  });
  const live = await tokenClient(owner, `token ${marker}`);
  const revoked = await tokenClient(owner, `revoked ${marker}`);
  await owner.api(`/api/tokens/${revoked.tokenId}`, { method: "DELETE" });
  // Settled: the room's last index writes (agent status) are in D1 before anyone compares snapshots.
  if (sessionId) {
    await eventually(
      async () =>
        (
          (await (await owner.api(`/api/workspaces/${ws}/sessions`)).json()) as {
            sessions: { agentStatus: string }[];
          }
        ).sessions,
      (list) => list.every((session) => session.agentStatus === "idle"),
    );
  }
  const people = [owner, editor, viewer, candidate, target];
  return {
    ws,
    owner,
    editor,
    viewer,
    stranger,
    candidate,
    target,
    sessionId,
    shareId,
    shareToken,
    artifactName,
    triggerId: created.trigger.id,
    triggerSecret: created.secret,
    scheduleId: schedule.id,
    secretName,
    workflowName,
    invitationEmail,
    mcpServerName,
    tokenId: live.tokenId,
    revokedToken: revoked.token,
    markers: [
      marker,
      invitationEmail,
      ws,
      created.trigger.id,
      schedule.id,
      live.tokenId,
      ...(sessionId ? [sessionId, shareId, shareToken] : []),
      ...people.flatMap((p) => [p.user.id, p.user.email]),
    ],
    secretValue,
  };
}

/** Every row of every table of D1, in a stable order: what must not change. */
export async function d1Snapshot(): Promise<string> {
  const { results: tables } = await env.DB.prepare(
    `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name <> 'd1_migrations' ORDER BY name`,
  ).all<{ name: string }>();
  const dump: Record<string, unknown[]> = {};
  for (const { name } of tables)
    dump[name] = (await env.DB.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()).results;
  return JSON.stringify(dump);
}

/** Every row of every table of a session's room, in a stable order. */
export async function roomSnapshot(sessionId: string): Promise<string> {
  const stub = env.SessionRoom.get(env.SessionRoom.idFromName(sessionId));
  return runInDurableObject(stub, (_instance, state) => {
    const sql = state.storage.sql;
    const tables = sql
      .exec(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name`,
      )
      .toArray();
    const dump: Record<string, unknown[]> = {};
    for (const { name } of tables) {
      dump[String(name)] = sql
        .exec(`SELECT * FROM "${String(name)}" ORDER BY rowid`)
        .toArray()
        .map((row) =>
          Object.fromEntries(
            Object.entries(row).map(([k, v]) => [
              k,
              v instanceof ArrayBuffer ? [...new Uint8Array(v)].join(",") : v,
            ]),
          ),
        );
    }
    return JSON.stringify(dump);
  });
}

/** A valid body for the schema `name` of the OpenAPI document, in this world. */
export function sampleBody(name: string, world: World): unknown {
  const samples: Record<string, unknown> = {
    DevSignIn: { name: `matrix ${crypto.randomUUID().slice(0, 8)}` },
    CreateToken: { name: "matrix" },
    CreateWorkspace: { name: "matrix" },
    UpdateWorkspace: { idleStopMinutes: 30 },
    AddMember: { user: world.candidate.user.email, role: "viewer" },
    ChangeRole: { role: "editor" },
    CreateSession: { timeoutSeconds: 1800 },
    UpdateSession: { displayName: "renamed by the matrix" },
    Message: { text: "hello from the matrix" },
    Decision: { decision: "deny", message: "not from the matrix" },
    ExportToDrive: { format: "gdrive" },
    PutSecret: { value: "matrix-secret-value" },
    CreateTrigger: { name: "matrix", session: {}, promptTemplate: "p" },
    PutCallback: { url: `${env.AGENT_URL}/callback/sink` },
    CreateShare: { expiresInHours: 24 },
    CreateSchedule: {
      name: "matrix",
      cron: "30 8 * * *",
      timezone: "UTC",
      session: { timeoutSeconds: 600 },
      prompt: "scheduled by the matrix",
    },
    UpdateSchedule: { enabled: false },
    CreateWorkflow: {
      name: "matrix-flow",
      title: "Matrix",
      systemPrompt: "Be brief.",
      firstMessage: "Do: {{prompt}}",
    },
    Push: { branch: "tandem/matrix", message: "from the matrix" },
    UpdateWorkflow: { title: "Matrix changed", systemPrompt: "Be briefer.", firstMessage: "{{prompt}}" },
    PutEnvironment: { setupScript: "echo matrix", env: { MATRIX: "1" } },
    CreateMcpServer: {
      name: "matrix-mcp",
      url: "https://mcp.example.com/matrix",
      transport: "sse",
      headers: { "X-Matrix": "matrix-literal" },
    },
    UpdateMcpServer: { url: "https://mcp.example.com/matrix-changed", transport: "http" },
  };
  if (!(name in samples)) throw new Error(`the attack suite has no sample body for ${name}: add one`);
  return samples[name];
}
