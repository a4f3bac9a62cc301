import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, test } from "vitest";
import { findBinaries } from "../../../src/targets/local/binaries.js";
import { templateUser } from "../../../src/targets/local/server-user.js";
import { cliProject, connect, type CliProject, REPLICAS, serversOf } from "./interrupt-harness.js";

// A new user's very first `up` (no initdb template cached): the primary is made from the fresh
// initdb build itself and the cache is filled afterwards by a detached process (issue 13). The
// primary must work, its first backup must restore, and the cache it leaves must be a valid
// template, owned by the template user, that the next project's `up` starts from.

const cache = mkdtempSync(join(tmpdir(), "ebdb-first-cache-"));
const env = { EBDB_CACHE_DIR: cache };
const projects: CliProject[] = [];

afterAll(() => {
  for (const p of projects) {
    p.run(["destroy", "--yes"], env);
    rmSync(p.dir, { recursive: true, force: true });
  }
  rmSync(cache, { recursive: true, force: true });
});

const templates = (root = cache) => join(root, "templates");

/** Waits (at most 90 s) until the detached fill has installed a template in `root` and made its spares. */
async function cacheFilled(root = cache): Promise<string> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const names = existsSync(templates(root)) ? readdirSync(templates(root)) : [];
    const t = names.find((n) => !n.startsWith("."));
    const dir = t ? join(templates(root), t, "spares") : "";
    const spares = t && existsSync(dir) ? readdirSync(dir) : [];
    const building = names.some((n) => n.startsWith(".build"));
    if (t && !building && spares.length >= 3 && !spares.some((n) => n.endsWith(".tmp"))) return t;
    if (Date.now() > deadline) throw new Error(`the cache was not filled: ${names}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function query(p: CliProject, sql: string, instance?: string): Promise<unknown[]> {
  if (!instance) {
    const c = await connect(p);
    try {
      return (await c.query(sql)).rows;
    } finally {
      await c.end();
    }
  }
  const r = p.run(["env", "--format", "json", "--instance", instance], env);
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
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

describe("the first up with no template cached", () => {
  test("makes a working primary, a first backup that restores, and a cache the next project's up uses", async () => {
    const a = cliProject("firsta", []);
    projects.push(a);
    const up = a.run(["up", "--yes"], env);
    expect(up.code, up.err).toBe(0);
    expect(up.out + up.err).toMatch(/Ran initdb .*cached in the background/);
    // The primary works: the master user writes to the application database.
    await query(a, "CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2)");
    expect(await query(a, "SELECT count(*)::int AS n FROM t")).toEqual([{ n: 2 }]);

    // The cache: one installed template, whole, owned by the template user (no server runs as it),
    // and not by the project's server user, who owns the primary's data directory.
    const t = await cacheFilled();
    const pgdata = join(templates(), t, "pgdata");
    expect(existsSync(join(pgdata, "PG_VERSION"))).toBe(true);
    expect(existsSync(join(templates(), t, "password"))).toBe(true);
    const owner = templateUser(process.env);
    const primaryData = serversOf(a.id)[0].pgdata;
    if (owner.switchUser) {
      expect(statSync(pgdata).uid).toBe(owner.uid);
      expect(statSync(join(pgdata, "base")).uid).toBe(owner.uid);
      expect(statSync(primaryData).uid).not.toBe(owner.uid);
      expect(statSync(join(primaryData, "global", "pg_control")).uid).toBe(statSync(primaryData).uid);
    }

    // The first automated backup (a tar of the build, written before the primary started) restores.
    const st = a.status();
    expect(st.backups.list.filter((b) => b.kind === "automated" && b.status === "available")).toHaveLength(1);
    const r = a.run(["restore", "--latest", "--name", "firsta-restored", "--yes"], env);
    expect(r.code, r.err).toBe(0);
    expect(await query(a, "SELECT count(*)::int AS n FROM t", "firsta-restored")).toEqual([{ n: 2 }]);

    // The next project starts from the cached template (no initdb) and works.
    const b = cliProject("firstb", []);
    projects.push(b);
    const upB = b.run(["up", "--yes"], env);
    expect(upB.code, upB.err).toBe(0);
    expect(upB.out + upB.err).not.toMatch(/Ran initdb/);
    expect(await query(b, "SELECT 1 + 1 AS n")).toEqual([{ n: 2 }]);
  });

  test("with the cache off and replicas: the replicas unpack the first backup's tar and stream", async () => {
    const p = cliProject("firstr", [...REPLICAS]);
    projects.push(p);
    const up = p.run(["up", "--yes"], { ...env, EBDB_TEMPLATE_CACHE: "off" });
    expect(up.code, up.err).toBe(0);
    const st = p.status();
    expect(st.nodes.map((n) => [n.role, n.state])).toEqual([
      ["primary", "running"],
      ["replica", "running"],
    ]);
    await query(p, "CREATE TABLE r (id int); INSERT INTO r VALUES (7)");
    const replica = st.nodes[1].name;
    const deadline = Date.now() + 30_000;
    let rows: unknown[] = [];
    while (Date.now() < deadline) {
      rows = await query(p, "SELECT id FROM r", replica).catch(() => []);
      if (rows.length) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(rows).toEqual([{ id: 7 }]);
  });

  test("a fill killed before it installs leaves no template anyone uses; the next fill installs one", async () => {
    const own = mkdtempSync(join(tmpdir(), "ebdb-first-kill-"));
    try {
      const bins = await findBinaries("15", {
        env: process.env,
        cwd: process.cwd(),
        user: templateUser(process.env),
        cacheRoot: own,
      });
      const args = ["template-build", own, bins.bindir, bins.version, bins.source];
      const p = cliProject("firstk", []);
      projects.push(p);
      const killed = p.run(args, { EBDB_FAULT_POINT: "template:built" });
      expect(killed.signal).toBe("SIGKILL");
      // Built but not installed: only its build folder, which no lookup takes for a template.
      expect(readdirSync(join(own, "templates")).every((n) => n.startsWith(".build-"))).toBe(true);
      const again = p.run(args);
      expect(again.code, again.err).toBe(0);
      await cacheFilled(own);
      const names = readdirSync(join(own, "templates"));
      // The dead build was removed; one complete template installed.
      expect(names.filter((n) => n.startsWith(".build-"))).toEqual([]);
      expect(names).toHaveLength(1);
      expect(existsSync(join(own, "templates", names[0], "pgdata", "PG_VERSION"))).toBe(true);
      expect(existsSync(join(own, "templates", names[0], "password"))).toBe(true);
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });
});
