/** API tokens: `tdm_` and 32 random bytes in base64url; only their SHA-256 is stored. */
export const API_TOKEN_PREFIX = "tdm_";

export function generateApiToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return API_TOKEN_PREFIX + base64url(bytes);
}

export const hashApiToken = (token: string) => sha256Hex(token);

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    typeof data === "string" ? new TextEncoder().encode(data) : data,
  );
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
