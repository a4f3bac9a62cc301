import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { eventually } from "./harness.js";
import { cliProject, killAt } from "./interrupt-harness.js";

// A `kill -9` of `ebdb up` between PgBouncer's spawn and ebdb's record of it leaves a PgBouncer that
// no record names: the next `up` stops it and starts one it records; destroy leaves none.
const BIN = join(import.meta.dirname, "..", "..", "..", "bin", "ebdb.js");
const installed = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"].some((p) => existsSync(p));
if (!installed)
  console.warn("skipped: PgBouncer is not installed (apt-get install pgbouncer; CI's .ci/run installs it)");
const p = cliProject("kpool", ['DB_READ_REPLICA_ENABLED="false"', 'DB_RDS_PROXY_ENABLED="true"']);

/** pgbouncer processes on this project's files (their ini's path names the identifier). */
function pgbouncers(): number[] {
  return readdirSync("/proc")
    .filter((x) => /^\d+$/.test(x))
    .filter((x) => {
      try {
        const argv = readFileSync(`/proc/${x}/cmdline`, "utf8").split("\0");
        return argv[0]?.endsWith("pgbouncer") && argv.some((a) => a.includes(p.id));
      } catch {
        return false;
      }
    })
    .map(Number);
}

afterAll(() => {
  p.run(["destroy", "--yes"]);
  rmSync(p.dir, { recursive: true, force: true });
}, 60_000);

describe.skipIf(!installed)("the local pooler after a kill -9 of up", () => {
  test("an unrecorded PgBouncer is stopped by the next up, which starts one it records", async () => {
    killAt(p, ["up", "--yes"], "pooler:spawned");
    // Spawned through sh (pgbouncer-process.ts): it becomes PgBouncer a moment after ebdb died.
    const strays = await eventually(async () => (pgbouncers().length ? pgbouncers() : undefined), 5000);
    expect(strays).toHaveLength(1);
    expect(p.status().pooler?.state).toBe("stopped");
    const plan = p.run(["plan"]);
    expect(plan.out).toContain(`pid ${strays[0]}, left by an interrupted start`);
    const up = p.run(["up", "--yes"]);
    expect(up.code, up.err).toBe(0);
    const now = pgbouncers();
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(strays[0]);
    expect(p.status().pooler).toMatchObject({ state: "running", pid: now[0] });
    expect(p.run(["up", "--yes", "--json"]).out).toContain('"changed": false');
    const destroy = p.run(["destroy", "--yes"]);
    expect(destroy.code, destroy.err).toBe(0);
    expect(pgbouncers()).toEqual([]);
  }, 120_000);

  test("started from a shell limited to 1024 descriptors, PgBouncer gets room for its 1000 clients", () => {
    const r = spawnSync("sh", ["-c", 'ulimit -Sn 1024 && exec "$0" "$1" up --yes', process.execPath, BIN], {
      cwd: p.dir,
      env: { ...process.env, EBDB_TARGET: "", EBDB_FAULT_POINT: "" },
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const [pid] = pgbouncers();
    const soft = /^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, "utf8"))?.[1];
    expect(Number(soft)).toBeGreaterThanOrEqual(4096);
  }, 120_000);

  test("destroy right after the kill stops the unrecorded PgBouncer too", async () => {
    expect(p.run(["destroy", "--yes"]).code).toBe(0);
    killAt(p, ["up", "--yes"], "pooler:spawned");
    await eventually(async () => (pgbouncers().length === 1 ? true : undefined), 5000);
    const destroy = p.run(["destroy", "--yes"]);
    expect(destroy.code, destroy.err).toBe(0);
    expect(pgbouncers()).toEqual([]);
  }, 120_000);
});
