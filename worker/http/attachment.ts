/**
 * A download's Content-Disposition (RFC 6266): the name in UTF-8 (`filename*`, RFC 8187) for every current
 * browser, and an ASCII `filename` for the clients that read only that. Session names come from prompts,
 * so they are often not ASCII; a name squeezed to ASCII alone turned "héllo → 世界" into "h-llo".
 */
export function attachment(name: string): string {
  const ascii =
    name
      .normalize("NFKD")
      .replace(/[^\x20-\x7e]/g, "")
      .replace(/["\\]/g, "")
      .replace(/\s+/g, " ")
      .trim() || "download";
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeAttrChars(name)}`;
}

/** Percent-encodes all but RFC 8187's attr-chars (encodeURIComponent leaves ' ( ) * as they are). */
function encodeAttrChars(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
