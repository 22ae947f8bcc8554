/** HMAC-SHA256 signatures in GitHub's `sha256=<hex>` form: incoming webhooks and outgoing callbacks. */

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

function hmacKey(secret: string, usage: "sign" | "verify"): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    [usage],
  );
}

export async function signBody(secret: string, body: Uint8Array | string): Promise<string> {
  const data = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret, "sign"), data));
  return `sha256=${[...mac].map((byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

/** Checks a `sha256=<hex>` header; crypto.subtle.verify compares the MACs in constant time. */
export async function verifySignature(
  secret: string,
  body: Uint8Array,
  header: string | null | undefined,
): Promise<boolean> {
  const hex = SIGNATURE.exec(header?.trim() ?? "")?.[1];
  if (!hex) return false;
  const mac = new Uint8Array(hex.length / 2);
  for (let i = 0; i < mac.length; i++) mac[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return crypto.subtle.verify("HMAC", await hmacKey(secret, "verify"), mac, body);
}
