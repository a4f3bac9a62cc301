import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { FAULT_POINTS } from "../../../src/targets/local/fault.js";
import {
  assertConverged,
  dataRoots,
  killAt,
  make,
  projects,
  REPLICAS,
  serversOf,
} from "./interrupt-harness.js";

// kill -9 of ebdb at every step of the first up and of destroy, then `up` (or, for destroy, the documented recovery:
// destroy again): every configured node running, none left creating, no server that no node owns,
// nothing temporary left, no password outside .ebdb/, and every acknowledged row still there.
// (Split in two files so that the two halves run side by side.)

afterAll(() => {
  for (const p of projects) {
    p.run(["destroy", "--yes"]);
    rmSync(p.dir, { recursive: true, force: true });
  }
});

describe("kill -9 during the first up, then up", () => {
  for (const point of FAULT_POINTS.up) {
    test(point, async () => {
      const p = make("kup", [...REPLICAS, 'DB_BACKUP_RETENTION_DAYS="1"']);
      if (point === "up:backup-archived") {
        // Reached only by a run that builds its own template (none cached): the primary is made
        // from that build, its first backup a tar of it.
        const r = p.run(["up", "--yes"], { EBDB_FAULT_POINT: point, EBDB_TEMPLATE_CACHE: "off" });
        expect(r.signal, `up did not reach ${point}: exit ${r.code}\n${r.err}`).toBe("SIGKILL");
      } else killAt(p, ["up", "--yes"], point);
      const again = p.run(["up", "--yes"]);
      expect(again.code, again.err).toBe(0);
      await assertConverged(p, 2);
      expect(p.status().backups.list.length).toBeGreaterThan(0);
      // And converged for good: a further up has nothing to do.
      expect(JSON.parse(p.run(["up", "--yes", "--json"]).out).changed).toBe(false);
    });
  }
});

describe("kill -9 during destroy, then destroy again (the documented recovery), then up", () => {
  for (const point of FAULT_POINTS.destroy) {
    test(point, async () => {
      const p = make("kdes", [...REPLICAS, 'DB_BACKUP_RETENTION_DAYS="1"']);
      expect(p.run(["up", "--yes"]).code).toBe(0);
      killAt(p, ["destroy", "--yes"], point);
      // Never brought back half-destroyed, without its backups.
      const up = p.run(["up", "--yes"]);
      expect(up.code).toBe(2);
      expect(up.err).toMatch(/destroy .*was interrupted.*ebdb destroy/s);
      const again = p.run(["destroy", "--yes"]);
      expect(again.code, again.err).toBe(0);
      expect(serversOf(p.id)).toEqual([]);
      expect(readdirSync(join(p.dir, ".ebdb")).filter((f) => f.startsWith(p.id))).toEqual([]);
      expect(dataRoots(p).slice(1)).toEqual([]);
      expect(p.run(["up", "--yes"]).code).toBe(0);
      await assertConverged(p, 2);
    });
  }
});
