// Root `npm install`/`npm ci` also installs the packages with their own lockfiles: the web app, the
// browser tests and the benchmarks' peers (their dependencies never mix with the Worker's).
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
for (const part of ["web", "test/e2e", "bench"]) {
  const result = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], {
    cwd: join(root, part),
    stdio: "inherit",
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
