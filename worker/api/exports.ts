import type { Context } from "hono";
import { z } from "zod";
import { exportFileName, type ExportInput } from "../export/document";
import { uploadToDrive } from "../export/gdrive";
import { sessionToMarkdown } from "../export/markdown";
import { sessionToPdf } from "../export/pdf";
import { attachment } from "../http/attachment";
import { newApp, type AppEnv } from "../http/app";
import { HttpError, parseInput } from "../http/errors";
import { readJson } from "../http/body";
import { loadWorkspaceSecrets, redactDeep } from "../secrets";
import { sessionIdOfPath } from "./room";
import { roomOf, unwrap } from "../sessions/rooms";

export const ExportQuerySchema = z.object({ format: z.enum(["markdown", "pdf"]).default("markdown") });
export const ExportToDriveSchema = z.strictObject({ format: z.literal("gdrive") });

export const DRIVE_TOKEN_SECRET = "GOOGLE_DRIVE_TOKEN";

/** Exports of a session, for every member (viewers too): mounted at /api/workspaces/:ws/sessions/:id/export. */
export const sessionExportRoutes = newApp();

sessionExportRoutes.get("/", async (c) => {
  const { format } = parseInput(ExportQuerySchema, c.req.query());
  const input = await exportInput(c);
  if (format === "pdf")
    return file(await sessionToPdf(input), "application/pdf", exportFileName(input.session, "pdf"));
  return file(sessionToMarkdown(input), "text/markdown; charset=utf-8", exportFileName(input.session, "md"));
});

sessionExportRoutes.post("/", async (c) => {
  await readJson(c, ExportToDriveSchema);
  // The session first: another workspace's session id is a 404 whatever this workspace has configured.
  await sessionIdOfPath(c);
  const secrets = await loadWorkspaceSecrets(c.env, c.req.param("ws")!);
  const token = secrets.byName[DRIVE_TOKEN_SECRET];
  if (!token) {
    throw new HttpError(
      "gdrive_not_configured",
      `the workspace has no ${DRIVE_TOKEN_SECRET} secret; an owner can add it under Secrets`,
    );
  }
  const input = await exportInput(c, secrets.redact);
  const uploaded = await uploadToDrive(
    token,
    `${input.session.displayName} (Tandem transcript)`,
    sessionToMarkdown(input),
  );
  return c.json({ url: uploaded.webViewLink, fileId: uploaded.id });
});

/**
 * The session, its events and its transcript, read from its room. The room keeps secrets out of them;
 * they are redacted again here, so an export cannot carry one even if a value slipped through.
 */
async function exportInput(c: Context<AppEnv>, secretValues?: string[]): Promise<ExportInput> {
  const ws = c.req.param("ws")!;
  const room = await roomOf(c.env, await sessionIdOfPath(c));
  const [session, events, messages] = await Promise.all([room.get(), room.events(), room.transcript()]);
  const input: ExportInput = { session: unwrap(session), events: unwrap(events), messages: unwrap(messages) };
  return redactDeep(input, secretValues ?? (await loadWorkspaceSecrets(c.env, ws)).redact);
}

function file(body: string | Uint8Array, type: string, name: string): Response {
  return new Response(body, {
    headers: {
      "content-type": type,
      "content-disposition": attachment(name),
      "cache-control": "no-store",
    },
  });
}
