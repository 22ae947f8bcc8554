/**
 * A shell snippet that sends a trigger a correctly signed sample delivery, as GitHub would: the body's
 * HMAC-SHA256 under the trigger's secret in `X-Hub-Signature-256: sha256=<hex>`.
 */
import type { Trigger } from "./api";

export const SECRET_PLACEHOLDER = "the secret shown when the trigger was created";

/** One shell word, single-quoted: nothing inside is expanded. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A minimal `issues` payload that passes the trigger's action filter. */
export function samplePayload(action: string | null): string {
  return JSON.stringify({
    action: action ?? "opened",
    issue: { title: "Example", body: "Sent from the curl example", number: 1 },
  });
}

export function curlExample(trigger: Pick<Trigger, "webhookUrl" | "filter">, secret?: string): string {
  const event = trigger.filter.event ?? "issues";
  return [
    `SECRET=${shellQuote(secret ?? SECRET_PLACEHOLDER)}`,
    `body=${shellQuote(samplePayload(trigger.filter.action))}`,
    `sig=$(printf %s "$body" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.* //')`,
    `curl -X POST ${shellQuote(trigger.webhookUrl)} \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -H ${shellQuote(`X-GitHub-Event: ${event}`)} \\`,
    `  -H "X-GitHub-Delivery: $(uuidgen)" \\`,
    `  -H "X-Hub-Signature-256: sha256=$sig" \\`,
    `  --data "$body"`,
  ].join("\n");
}
