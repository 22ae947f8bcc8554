/**
 * The room's answer to a setup's warm-start key (PUT /sessions/<id>/environment: the saved environment's
 * archive, or an empty body with ENVIRONMENT_MISSING_HEADER to run the setup), and the environment's
 * archive after a successful setup (GET), which the room keeps for the next session with the same key.
 */
import { createReadStream } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { ENVIRONMENT_MISSING_HEADER } from "@tandem/protocol/environment";
import { byteLimit } from "./archive";
import type { Session } from "./session";

type Fail = (res: ServerResponse, status: number, code: string, message: string) => void;

export async function serveEnvironment(session: Session, res: ServerResponse, fail: Fail): Promise<void> {
  const archive = session.environmentArchive;
  const size = archive ? await archive.size() : null;
  if (!archive || size === null) return fail(res, 404, "not_found", "no environment archive");
  res.writeHead(200, { "content-type": "application/gzip", "content-length": size });
  createReadStream(archive.file).pipe(res);
}

export async function answerEnvironment(
  session: Session,
  req: IncomingMessage,
  res: ServerResponse,
  maxBytes: number,
  fail: Fail,
): Promise<void> {
  const setup = session.environment;
  if (!setup) return fail(res, 409, "not_waiting", "the session is not waiting for an environment");
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes)
    return fail(res, 413, "too_large", `an environment archive is at most ${maxBytes} bytes`);
  const missing = req.headers[ENVIRONMENT_MISSING_HEADER] !== undefined;
  if (missing) req.resume();
  try {
    await setup.answer(missing ? null : req.pipe(byteLimit(maxBytes)));
    res.writeHead(204).end();
  } catch (error) {
    fail(res, 400, "bad_archive", error instanceof Error ? error.message : String(error));
  }
}
