/**
 * A fake GitHub for tests: git's smart HTTP protocol (the real `git http-backend`, run as a CGI) over
 * repositories under one folder, answering only requests that carry the token as Basic auth, and the REST
 * call that opens a pull request (`POST /api/v3/repos/:owner/:repo/pulls`), recorded, answered in GitHub's
 * shapes. Its API URL (GITHUB_API_URL) is `<url>/api/v3`; its git host is `<url>`, as on GitHub Enterprise.
 */
import { spawn } from "node:child_process";
import { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse, createServer } from "node:http";

/** The token the fake GitHub of the integration tests requires. */
export const FAKE_GITHUB_TOKEN = "ghp_faketoken0123456789abcdefABCDEFgh";

export interface PullRequestCall {
  owner: string;
  repo: string;
  body: { title?: string; body?: string; head?: string; base?: string };
  authorization: string | undefined;
}

export interface FakeGitHub {
  url: string;
  apiURL: string;
  /** Every git request's Authorization header (or null), in order. */
  gitAuth: (string | null)[];
  pulls: PullRequestCall[];
  /** The next pull request call fails with this status and GitHub's error message. */
  failNextPull(status: number, message: string): void;
  close(): Promise<void>;
}

const basicPassword = (headers: IncomingHttpHeaders): string | null => {
  const value = headers.authorization;
  if (!value?.startsWith("Basic ")) return null;
  const decoded = Buffer.from(value.slice(6), "base64").toString("utf8");
  return decoded.slice(decoded.indexOf(":") + 1);
};

/** Runs `git http-backend` for one request and copies its CGI answer onto the response. */
function gitBackend(root: string, req: IncomingMessage, res: ServerResponse, user: string): void {
  const url = new URL(req.url ?? "/", "http://fake");
  const cgi = spawn("git", ["http-backend"], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: "1",
      REMOTE_USER: user,
      REQUEST_METHOD: req.method ?? "GET",
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers["content-type"] ?? "",
      HTTP_CONTENT_ENCODING: req.headers["content-encoding"] ?? "",
      GIT_PROTOCOL: String(req.headers["git-protocol"] ?? ""),
    },
  });
  req.pipe(cgi.stdin);
  let head = Buffer.alloc(0);
  let headersDone = false;
  cgi.stdout.on("data", (chunk: Buffer) => {
    if (headersDone) return void res.write(chunk);
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf("\r\n\r\n");
    if (end < 0) return;
    headersDone = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString("latin1").split("\r\n")) {
      const colon = line.indexOf(":");
      const [name, value] = [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
      if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
      else res.setHeader(name, value);
    }
    res.writeHead(status);
    res.write(head.subarray(end + 4));
  });
  cgi.on("close", () => res.end());
}

/** `host`: where it listens (default 127.0.0.1; the container suite's is the Docker bridge's gateway, which containers reach). */
export async function startFakeGitHub(options: {
  root: string;
  token: string;
  owner?: string;
  host?: string;
}): Promise<FakeGitHub> {
  const gitAuth: (string | null)[] = [];
  const pulls: PullRequestCall[] = [];
  let failure: { status: number; message: string } | null = null;
  let pullNumber = 0;

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://fake").pathname;
    const pull = /^\/api\/v3\/repos\/([^/]+)\/([^/]+)\/pulls$/.exec(path);
    if (pull && req.method === "POST") {
      let text = "";
      req.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
      req.on("end", () => {
        const call = {
          owner: pull[1],
          repo: pull[2],
          body: JSON.parse(text || "{}") as PullRequestCall["body"],
          authorization: req.headers.authorization,
        };
        pulls.push(call);
        res.setHeader("content-type", "application/json");
        if (
          req.headers.authorization !== `Bearer ${options.token}` &&
          req.headers.authorization !== `token ${options.token}`
        ) {
          return void res.writeHead(401).end(
            JSON.stringify({
              message: "Bad credentials",
              documentation_url: "https://docs.github.com/rest",
            }),
          );
        }
        if (failure) {
          const { status, message } = failure;
          failure = null;
          return void res
            .writeHead(status)
            .end(JSON.stringify({ message, documentation_url: "https://docs.github.com/rest" }));
        }
        const number = ++pullNumber;
        res.writeHead(201).end(
          JSON.stringify({
            number,
            html_url: `${url}/${call.owner}/${call.repo}/pull/${number}`,
            state: "open",
            title: call.body.title,
          }),
        );
      });
      return;
    }
    gitAuth.push(req.headers.authorization ?? null);
    if (basicPassword(req.headers) !== options.token) {
      res
        .writeHead(401, { "www-authenticate": 'Basic realm="fake GitHub"', "content-type": "text/plain" })
        .end("Authentication required\n");
      return;
    }
    gitBackend(options.root, req, res, "x-access-token");
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  const url = `http://${host}:${typeof address === "object" && address ? address.port : 0}`;
  return {
    url,
    apiURL: `${url}/api/v3`,
    gitAuth,
    pulls,
    failNextPull: (status, message) => void (failure = { status, message }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
