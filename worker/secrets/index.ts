/**
 * Workspace secrets: stored sealed in D1, opened only to be handed to the agent (its `start` frame, the
 * `agent` scope alone) or to an integration (Google Drive). No route returns a value; redaction keeps them
 * out of anything shown, the values retired by a change in the last 30 days included.
 */
import { listRetiredSecretRows, listSecretRows, upsertSecret } from "../db/secrets";
import { Redaction } from "../protocol/redaction";
import { defaultSecretScope, type SecretScope } from "../protocol/workspace";
import { secretsKey, seal, unseal, type SecretsEnv } from "./crypto";

export type { SecretsEnv } from "./crypto";

export { MIN_SECRET_LENGTH, REDACTED } from "../protocol/redaction";

/** The additional data of a workspace secret's ciphertext: its workspace and name. */
const secretContext = (workspaceId: string, name: string) => `secret:${workspaceId}:${name}`;

export async function putWorkspaceSecret(
  env: SecretsEnv,
  workspaceId: string,
  name: string,
  value: string,
  scope: SecretScope | null,
): Promise<void> {
  const sealed = await seal(await secretsKey(env), value, secretContext(workspaceId, name));
  await upsertSecret(
    env.DB,
    workspaceId,
    name,
    sealed,
    { given: scope, newScope: defaultSecretScope(name) },
    Date.now(),
  );
}

/** A workspace's secrets, opened: by name, those the agent may have, and every value to redact. */
export interface WorkspaceSecrets {
  /** Every current secret (the Worker's own uses: an export's token). */
  byName: Record<string, string>;
  /** The `agent` scope alone: the environment the agent gets at Creating. */
  forAgent: Record<string, string>;
  /** Every current value and every value retired in the last 30 days. */
  redact: string[];
}

export async function loadWorkspaceSecrets(env: SecretsEnv, workspaceId: string): Promise<WorkspaceSecrets> {
  const [rows, retired] = await Promise.all([
    listSecretRows(env.DB, workspaceId),
    listRetiredSecretRows(env.DB, workspaceId, Date.now()),
  ]);
  if (rows.length === 0 && retired.length === 0) return { byName: {}, forAgent: {}, redact: [] };
  const key = await secretsKey(env);
  const open = (row: { name: string; ciphertext: string; iv: string }) =>
    unseal(key, row, secretContext(workspaceId, row.name));
  const current = await Promise.all(rows.map(async (row) => ({ ...row, value: await open(row) })));
  const old = await Promise.all(retired.map(open));
  return {
    byName: Object.fromEntries(current.map((row) => [row.name, row.value])),
    forAgent: Object.fromEntries(
      current.filter((row) => row.scope === "agent").map((row) => [row.name, row.value]),
    ),
    redact: [...current.map((row) => row.value), ...old],
  };
}

/** Replaces every occurrence of each value, as itself and in its base64 and URL-encoded forms (protocol/redaction.ts). */
export function redactSecrets(text: string, values: string[]): string {
  return new Redaction(values).text(text);
}

/** redactSecrets over every string inside a JSON-like value. */
export function redactDeep<T>(value: T, values: string[]): T {
  return new Redaction(values).deep(value);
}

/** Seals a value that is not a workspace secret (a trigger's or a callback's signing secret) under `context`. */
export async function sealValue(env: SecretsEnv, context: string, value: string) {
  return seal(await secretsKey(env), value, context);
}

export async function openValue(
  env: SecretsEnv,
  context: string,
  sealed: { ciphertext: string; iv: string },
): Promise<string> {
  return unseal(await secretsKey(env), sealed, context);
}

/** A new random signing secret (256 bits, hex). */
export function newSigningSecret(): string {
  return [...crypto.getRandomValues(new Uint8Array(32))]
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("");
}
