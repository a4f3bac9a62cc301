import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { expect } from "vitest";
import type { StatusReport } from "../../../src/targets/target.js";

const BIN = join(import.meta.dirname, "..", "..", "..", "bin", "ebdb.js");

/** A project folder with a config.env, driven through the real CLI (bin/ebdb.js, as a user runs it). */
export interface CliProject {
  dir: string;
  id: string;
  run(
    args: string[],
    env?: Record<string, string>,
  ): { code: number | null; signal: string | null; out: string; err: string };
  status(): StatusReport;
}

let n = 0;

export function cliProject(name: string, lines: string[]): CliProject {
  const dir = mkdtempSync(join(tmpdir(), `ebdb-${name}-`));
  const app = `${name}${process.pid % 1000}${n++}`;
  writeFileSync(
    join(dir, "config.env"),
    [`APP_NAME="${app}"`, 'ENV_NAME="dev"', 'DB_ENGINE_VERSION="15.8"', ...lines, ""].join("\n"),
  );
  const p: CliProject = {
    dir,
    id: `${app}-dev-db`,
    run(args, env = {}) {
      const r = spawnSync(process.execPath, [BIN, ...args], {
        cwd: dir,
        env: { ...process.env, EBDB_TARGET: "", EBDB_FAULT_POINT: "", ...env },
        encoding: "utf8",
        timeout: 120_000,
      });
      return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
    },
    status() {
      const r = p.run(["status", "--json"]);
      if (r.code !== 0) throw new Error(`status failed (${r.code}): ${r.err}`);
      return JSON.parse(r.out) as StatusReport;
    },
  };
  return p;
}

/** Runs `args` with the fault point set and checks that the process really died there (SIGKILL). */
export function killAt(p: CliProject, args: string[], point: string): void {
  const r = p.run(args, { EBDB_FAULT_POINT: point });
  expect(r.signal, `${args.join(" ")} did not reach ${point}: exit ${r.code}\n${r.err}`).toBe("SIGKILL");
}

/** Every PostgreSQL postmaster running from under a folder whose path names `id` (none may outlive its node). */
export function serversOf(id: string): { pid: number; pgdata: string }[] {
  const found: { pid: number; pgdata: string }[] = [];
  for (const pid of readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      const i = argv.indexOf("-D");
      if (i >= 0 && argv[i + 1]?.includes(`/${id}`) && /postgres$/.test(argv[0])) {
        if (readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z")) continue;
        found.push({ pid: Number(pid), pgdata: argv[i + 1] });
      }
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/** Files and folders under `root` whose names say they are temporary (left by an interrupted write or copy). */
export function leftovers(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(d, name);
      if (/\.tmp-|\.tmp$|^\.build-|\.stale-|\.lock\.\d+-/.test(name)) out.push(path);
      // Data directories are PostgreSQL's own; only ebdb's folders are walked.
      if (name === "pgdata" || name === "data" || name === "archive") continue;
      try {
        if (depth < 6 && statSync(path).isDirectory()) walk(path, depth + 1);
      } catch {
        // vanished
      }
    }
  };
  walk(root, 0);
  return out;
}

/** Files under `root` (outside `.ebdb/`) that hold `secret` in their contents. */
export function filesHolding(root: string, secret: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(d, name);
      if (name === ".ebdb" || name === "pgdata") continue;
      try {
        const st = statSync(path);
        if (st.isDirectory()) walk(path);
        else if (st.isFile() && st.size < 1_000_000 && readFileSync(path, "utf8").includes(secret))
          out.push(path);
      } catch {
        // vanished or unreadable
      }
    }
  };
  walk(root);
  return out;
}

// ---- shared by the interruption tests (interrupt-*.test.ts) ----

export const projects: CliProject[] = [];

export function make(name: string, lines: string[]): CliProject {
  const p = cliProject(name, lines);
  projects.push(p);
  return p;
}

export async function connect(p: CliProject): Promise<pg.Client> {
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
export async function writeRows(p: CliProject, from: number, count: number): Promise<number[]> {
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

export function dataRoots(p: CliProject): string[] {
  const sys = readdirSync("/var/lib/ebdb").filter((d) => d.startsWith(`${p.id}-`));
  return [p.dir, ...sys.map((d) => join("/var/lib/ebdb", d))];
}

export async function assertConverged(p: CliProject, nodes: number, acked: number[] = []): Promise<void> {
  const st = p.status();
  expect(st.nodes.map((x) => x.state)).toEqual(Array(nodes).fill("running"));
  const running = serversOf(p.id)
    .map((x) => x.pgdata)
    .sort();
  expect(running).toHaveLength(nodes);
  for (const root of dataRoots(p)) expect(leftovers(root), "temporary files left").toEqual([]);
  const password = JSON.parse(p.run(["env", "--format", "json"]).out).DB_PASSWORD as string;
  for (const root of dataRoots(p))
    expect(filesHolding(root, password), "password outside .ebdb/").toEqual([]);
  expect(
    filesHolding("/tmp", password).filter((f) => !f.startsWith(p.dir)),
    "password in /tmp",
  ).toEqual([]);
  if (acked.length) {
    const c = await connect(p);
    const rows = (await c.query("SELECT id FROM acks ORDER BY id")).rows.map((r) => r.id as number);
    await c.end();
    for (const id of acked) expect(rows).toContain(id);
  }
}

export const REPLICAS = [
  'DB_READ_REPLICA_ENABLED="true"',
  'DB_READ_REPLICA_COUNT="1"',
  'DB_READ_REPLICA_MIN_CAPACITY="1"',
];
