// Runs every benchmark in bench/ one after another: `npm run bench` (after `npm run build`).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const only = process.argv[2];
const benches = [
  "validate-cold-start.mjs",
  "validate-many-keys.mjs",
  "parse-expansions.mjs",
  "local-up.mjs",
  "local-down.mjs",
  "aws-plan.mjs",
  "psql-start.mjs",
  "autoscale-policies.mjs",
  "reader-endpoint.mjs",
  "doctor.mjs",
  "pooler.mjs",
  "local-status.mjs",
  "local-retention.mjs",
];
for (const b of benches) {
  if (only && !b.startsWith(only)) continue;
  if (!existsSync(here + b)) continue;
  console.log(`\n== ${b}`);
  const r = spawnSync(process.execPath, [here + b], { stdio: "inherit" });
  if (r.status !== 0) process.exitCode = 1;
}
