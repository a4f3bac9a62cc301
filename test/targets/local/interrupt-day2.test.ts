import { rmSync } from "node:fs";
import { afterAll, describe, expect, test } from "vitest";
import { FAULT_POINTS } from "../../../src/targets/local/fault.js";
import { assertConverged, killAt, make, projects, REPLICAS, writeRows } from "./interrupt-harness.js";

// kill -9 of ebdb at every step of replica add, snapshot create and restore, then `up` (or, for destroy, the documented recovery:
// destroy again): every configured node running, none left creating, no server that no node owns,
// nothing temporary left, no password outside .ebdb/, and every acknowledged row still there.
// (Split in two files so that the two halves run side by side.)

afterAll(() => {
  for (const p of projects) {
    p.run(["destroy", "--yes"]);
    rmSync(p.dir, { recursive: true, force: true });
  }
});

describe("kill -9 during replica add, snapshot create and restore, then up", () => {
  const p = make("kday2", [...REPLICAS, 'DB_READ_REPLICA_MAX_CAPACITY="3"', 'DB_BACKUP_RETENTION_DAYS="1"']);
  let acked: number[] = [];
  test("setup", async () => {
    expect(p.run(["up", "--yes"]).code).toBe(0);
    acked = await writeRows(p, 1, 50);
  });

  const cases: [string, string[], readonly string[]][] = [
    ["replica add", ["replica", "add", "--yes"], FAULT_POINTS["replica add"]],
    ["snapshot create", ["snapshot", "create"], FAULT_POINTS["snapshot create"]],
    ["restore", ["restore", "--latest", "--yes"], FAULT_POINTS.restore],
  ];
  for (const [what, args, points] of cases) {
    for (const point of points) {
      test(`${what}: ${point}`, async () => {
        acked = [...acked, ...(await writeRows(p, acked.length + 1, 10))];
        killAt(p, args, point);
        const again = p.run(["up", "--yes"]);
        expect(again.code, again.err).toBe(0);
        // A replica add cut short is finished (replicas up to the maximum stay); a snapshot or a
        // restore cut short is removed, and says so.
        const added = what === "replica add";
        await assertConverged(p, added ? 3 : 2, acked);
        const st = p.status();
        expect(st.nodes.map((n) => n.role)).toEqual(["primary", "replica", ...(added ? ["replica"] : [])]);
        expect(st.backups.list.every((b) => b.status === "available")).toBe(true);
        if (added) expect(p.run(["replica", "remove", "--yes"]).code).toBe(0);
        else {
          // The command itself works again afterwards.
          const ok = p.run(args);
          expect(ok.code, ok.err).toBe(0);
          if (what === "restore") {
            const name = (
              JSON.parse(p.run(["status", "--json"]).out) as { nodes: { name: string; role: string }[] }
            ).nodes.find((n) => n.role === "restored")!.name;
            expect(p.run(["destroy", "--instance", name, "--yes"]).code).toBe(0);
          }
        }
        // A kill, an up and the command again: minutes on a machine many times oversubscribed.
      }, 150_000);
    }
  }

  test("destroy --instance cut short leaves the instance listed, and destroy --instance again finishes it", async () => {
    expect(p.run(["restore", "--latest", "--name", "kday2-gone", "--yes"]).code).toBe(0);
    killAt(p, ["destroy", "--instance", "kday2-gone", "--yes"], FAULT_POINTS["node removal"][0]);
    const listed = p.status().nodes.find((n) => n.name === "kday2-gone");
    expect(listed?.role).toBe("restored");
    const again = p.run(["destroy", "--instance", "kday2-gone", "--yes"]);
    expect(again.code, again.err).toBe(0);
    expect(p.run(["up", "--yes"]).code).toBe(0);
    await assertConverged(p, 2, acked);
  });
});
