import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, test } from "vitest";
import { FAULT_POINTS } from "../../../src/targets/local/fault.js";
import {
  type CliProject,
  cliProject,
  filesHolding,
  killAt,
  leftovers,
  serversOf,
} from "./interrupt-harness.js";

// kill -9 of ebdb at every step of up, replica add, snapshot create, restore and destroy, then
// `up` (or, for destroy, the documented recovery: destroy again): every configured node running,
// none left creating, no server that no node owns, nothing temporary left, no password outside
// .ebdb/, and every acknowledged row still there.

const projects: CliProject[] = [];
afterAll(() => {
  for (const p of projects) {
    p.run(["destroy", "--yes"]);
    rmSync(p.dir, { recursive: true, force: true });
  }
});

function make(name: string, lines: string[]): CliProject {
  const p = cliProject(name, lines);
  projects.push(p);
  return p;
}

async function connect(p: CliProject): Promise<pg.Client> {
  const r = p.run(["env", "--format", "json"]);
  expect(r.code, r.err).toBe(0);
  const v = JSON.parse(r.out) as Record<string, string>;
  const c = new pg.Client({
    host: v.DB_HOST,
    port: Number(v.DB_PORT),
    user: v.DB_USERNAME,
    password: v.DB_PASSWORD,
    database: v.DB_NAME,
    ssl: { rejectUnauthorized: false },
  });
  c.on("error", () => {});
  await c.connect();
  return c;
}

/** Commits `count` rows one by one, returning the ids the server acknowledged. */
async function writeRows(p: CliProject, from: number, count: number): Promise<number[]> {
  const c = await connect(p);
  await c.query("CREATE TABLE IF NOT EXISTS acks (id int PRIMARY KEY)");
  const acked: number[] = [];
  for (let id = from; id < from + count; id++) {
    await c.query("INSERT INTO acks VALUES ($1)", [id]);
    acked.push(id);
  }
  await c.end();
  return acked;
}

function dataRoots(p: CliProject): string[] {
  const sys = readdirSync("/var/lib/ebdb").filter((d) => d.startsWith(`${p.id}-`));
  return [p.dir, ...sys.map((d) => join("/var/lib/ebdb", d))];
}

async function assertConverged(p: CliProject, nodes: number, acked: number[] = []): Promise<void> {
  const st = p.status();
  expect(st.nodes.map((x) => x.state)).toEqual(Array(nodes).fill("running"));
  const running = serversOf(p.id)
    .map((x) => x.pgdata)
    .sort();
  expect(running).toHaveLength(nodes);
  for (const root of dataRoots(p)) expect(leftovers(root), "temporary files left").toEqual([]);
  const password = JSON.parse(p.run(["env", "--format", "json"]).out).DB_PASSWORD as string;
  for (const root of dataRoots(p)) expect(filesHolding(root, password), "password outside .ebdb/").toEqual([]);
  expect(filesHolding("/tmp", password).filter((f) => !f.startsWith(p.dir)), "password in /tmp").toEqual([]);
  if (acked.length) {
    const c = await connect(p);
    const rows = (await c.query("SELECT id FROM acks ORDER BY id")).rows.map((r) => r.id as number);
    await c.end();
    for (const id of acked) expect(rows).toContain(id);
  }
}

const REPLICAS = [
  'DB_READ_REPLICA_ENABLED="true"',
  'DB_READ_REPLICA_COUNT="1"',
  'DB_READ_REPLICA_MIN_CAPACITY="1"',
];

describe("kill -9 during the first up, then up", () => {
  for (const point of FAULT_POINTS.up) {
    test(point, async () => {
      const p = make("kup", [...REPLICAS, 'DB_BACKUP_RETENTION_DAYS="1"']);
      killAt(p, ["up", "--yes"], point);
      const again = p.run(["up", "--yes"]);
      expect(again.code, again.err).toBe(0);
      await assertConverged(p, 2);
      expect(p.status().backups.list.length).toBeGreaterThan(0);
      // And converged for good: a further up has nothing to do.
      expect(JSON.parse(p.run(["up", "--yes", "--json"]).out).changed).toBe(false);
    });
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
      });
    }
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
