// Root `npm install`/`npm ci` also installs the two packages with their own lockfiles: the web app and
// the browser tests (their dependencies never mix with the Worker's).
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
for (const part of ["web", "test/e2e"]) {
  const result = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: join(root, part), stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
