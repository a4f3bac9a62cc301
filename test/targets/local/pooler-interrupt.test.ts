import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { afterAll, describe, expect, test } from "vitest";
import { cliProject, killAt } from "./interrupt-harness.js";

// A `kill -9` of `ebdb up` between PgBouncer's spawn and ebdb's record of it leaves a PgBouncer that
// no record names: the next `up` stops it and starts one it records; destroy leaves none.
const installed = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"].some((p) => existsSync(p));
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
  test("an unrecorded PgBouncer is stopped by the next up, which starts one it records", () => {
    killAt(p, ["up", "--yes"], "pooler:spawned");
    const strays = pgbouncers();
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

  test("destroy right after the kill stops the unrecorded PgBouncer too", () => {
    killAt(p, ["up", "--yes"], "pooler:spawned");
    expect(pgbouncers()).toHaveLength(1);
    const destroy = p.run(["destroy", "--yes"]);
    expect(destroy.code, destroy.err).toBe(0);
    expect(pgbouncers()).toEqual([]);
  }, 120_000);
});
