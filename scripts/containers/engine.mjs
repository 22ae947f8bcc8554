// Where the container tooling finds Docker, and the agent image it runs: shared by `npm start --
// --containers` (scripts/stack.mjs) and the container suite (test/containers/global-setup.ts).
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The engine scripts/containers/docker-up.sh starts (its own socket), unless DOCKER_HOST names another. */
export function dockerHost() {
  if (process.env.DOCKER_HOST) return process.env.DOCKER_HOST;
  const own = join(process.env.TANDEM_DOCKER_ROOT ?? "/var/lib/tandem-docker", "docker.sock");
  return existsSync(own) ? `unix://${own}` : undefined;
}

/** null when Docker answers; otherwise why it cannot be used here. */
export function dockerUnavailable(host = dockerHost()) {
  try {
    execFileSync("docker", ["version", "--format", "{{.Server.Version}}"], {
      env: { ...process.env, ...(host && { DOCKER_HOST: host }) },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 20_000,
    });
    return null;
  } catch (error) {
    if (error.code === "ENOENT") return "the docker CLI is not installed";
    const said = String(error.stderr ?? error.message)
      .trim()
      .split("\n")
      .at(-1);
    return `Docker does not answer${host ? ` at ${host}` : ""}: ${said}`;
  }
}

/** Builds the agent image unless an image of the same inputs exists (scripts/containers/agent-image.sh); its name. */
export function agentImage(host = dockerHost()) {
  return execFileSync("bash", [join(root, "scripts/containers/agent-image.sh")], {
    cwd: root,
    env: { ...process.env, ...(host && { DOCKER_HOST: host }) },
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
    timeout: 30 * 60_000,
  }).trim();
}
