/**
 * Uploads a Markdown export to Google Drive as a Google Doc: one multipart upload whose metadata asks Drive
 * to convert it. The token is the workspace's GOOGLE_DRIVE_TOKEN secret (an OAuth access token with a
 * Drive scope).
 */
import { HttpError } from "../http/errors";

export const DRIVE_UPLOAD_URL =
  "https://www.googleapis.com/upload/drive/v3/files?uploadType=multipart&fields=id,webViewLink";
export const GOOGLE_DOC = "application/vnd.google-apps.document";

export interface DriveFile {
  id: string;
  webViewLink: string;
}

/** The multipart/related body of a Drive upload; the boundary is random, so no content can contain it. */
export function driveUploadBody(name: string, markdown: string, boundary: string): string {
  const metadata = JSON.stringify({ name, mimeType: GOOGLE_DOC });
  return [
    `--${boundary}`,
    "Content-Type: application/json; charset=UTF-8",
    "",
    metadata,
    `--${boundary}`,
    "Content-Type: text/markdown; charset=UTF-8",
    "",
    markdown,
    `--${boundary}--`,
    "",
  ].join("\r\n");
}

export async function uploadToDrive(
  token: string,
  name: string,
  markdown: string,
  fetcher: typeof fetch = fetch,
): Promise<DriveFile> {
  const boundary = `tandem-${crypto.randomUUID()}`;
  let res: Response;
  try {
    res = await fetcher(DRIVE_UPLOAD_URL, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": `multipart/related; boundary=${boundary}`,
      },
      body: driveUploadBody(name, markdown, boundary),
    });
  } catch {
    throw new HttpError("gdrive_unreachable", "Google Drive could not be reached");
  }
  const body = (await res.json().catch(() => null)) as {
    id?: unknown;
    webViewLink?: unknown;
    error?: { message?: unknown };
  } | null;
  const detail = typeof body?.error?.message === "string" ? `: ${body.error.message.slice(0, 200)}` : "";
  if (res.status === 401 || res.status === 403) {
    throw new HttpError(
      "gdrive_token_rejected",
      `Google Drive rejected the workspace's GOOGLE_DRIVE_TOKEN${detail}`,
    );
  }
  if (!res.ok || typeof body?.id !== "string" || typeof body.webViewLink !== "string") {
    throw new HttpError("gdrive_failed", `Google Drive upload failed (${res.status})${detail}`);
  }
  return { id: body.id, webViewLink: body.webViewLink };
}
