/**
 * Workspace secrets: stored sealed in D1, opened only to be handed to the agent (its `start` frame) or to
 * an integration (Google Drive). No route returns a value; redactSecrets keeps them out of anything shown.
 */
import { listSecretRows, upsertSecret } from "../db/secrets";
import { Redaction } from "../protocol/redaction";
import { secretsKey, seal, unseal, type SecretsEnv } from "./crypto";

export type { SecretsEnv } from "./crypto";

export { MIN_SECRET_LENGTH, REDACTED } from "../protocol/redaction";

/** The additional data of a workspace secret's ciphertext: its workspace and name. */
const secretContext = (workspaceId: string, name: string) => `secret:${workspaceId}:${name}`;

export async function putWorkspaceSecret(env: SecretsEnv, workspaceId: string, name: string, value: string): Promise<void> {
  const sealed = await seal(await secretsKey(env), value, secretContext(workspaceId, name));
  await upsertSecret(env.DB, workspaceId, name, sealed, Date.now());
}

/** Every secret of the workspace by name: the environment the agent gets at Creating. */
export async function loadWorkspaceSecrets(env: SecretsEnv, workspaceId: string): Promise<Record<string, string>> {
  const rows = await listSecretRows(env.DB, workspaceId);
  if (rows.length === 0) return {};
  const key = await secretsKey(env);
  const entries = await Promise.all(
    rows.map(async (row) => [row.name, await unseal(key, row, secretContext(workspaceId, row.name))] as const),
  );
  return Object.fromEntries(entries);
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

export async function openValue(env: SecretsEnv, context: string, sealed: { ciphertext: string; iv: string }): Promise<string> {
  return unseal(await secretsKey(env), sealed, context);
}

/** A new random signing secret (256 bits, hex). */
export function newSigningSecret(): string {
  return [...crypto.getRandomValues(new Uint8Array(32))].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
