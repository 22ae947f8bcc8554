/**
 * AES-GCM sealing of stored secrets (workspace secrets, trigger secrets) with the key in the SECRETS_KEY
 * secret: base64 of 32 random bytes. The additional data binds a ciphertext to its row, so a value
 * copied into another workspace's row does not decrypt.
 */
import type { Sealed } from "../db/types";
import { HttpError } from "../http/errors";

export interface SecretsEnv {
  DB: D1Database;
  /** base64 of 32 bytes; `npm start` writes a local one to .dev.vars. */
  SECRETS_KEY?: string;
}

export type { Sealed };

const keys = new Map<string, Promise<CryptoKey>>();

/** The AES-GCM key of this deployment; a missing or malformed SECRETS_KEY is a configuration error. */
export function secretsKey(env: SecretsEnv): Promise<CryptoKey> {
  const encoded = env.SECRETS_KEY?.trim();
  if (!encoded) throw new HttpError("secrets_unavailable", "SECRETS_KEY is not configured on this server");
  let cached = keys.get(encoded);
  if (!cached) {
    const raw = decodeBase64(encoded);
    if (raw?.byteLength !== 32)
      throw new HttpError("secrets_unavailable", "SECRETS_KEY must be base64 of 32 bytes");
    cached = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    keys.set(encoded, cached);
  }
  return cached;
}

export async function seal(key: CryptoKey, plaintext: string, context: string): Promise<Sealed> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: utf8(context) },
    key,
    utf8(plaintext),
  );
  return { ciphertext: encodeBase64(new Uint8Array(data)), iv: encodeBase64(iv) };
}

export async function unseal(key: CryptoKey, sealed: Sealed, context: string): Promise<string> {
  const data = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: decodeBase64(sealed.iv) ?? new Uint8Array(), additionalData: utf8(context) },
    key,
    decodeBase64(sealed.ciphertext) ?? new Uint8Array(),
  );
  return new TextDecoder().decode(data);
}

const utf8 = (text: string) => new TextEncoder().encode(text);

export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function decodeBase64(text: string): Uint8Array | null {
  try {
    return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}
