import { spawnSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { logFileOf, nodeDir, pgdataOf } from "../../../src/targets/local/layout.js";
import { writeNodeFiles } from "../../../src/targets/local/node-files.js";
import { openSession } from "../../../src/targets/local/session.js";
import { settingsFor } from "../../../src/targets/local/settings.js";
import { listMetas } from "../../../src/targets/local/meta.js";
import {
  adminClient,
  client,
  EMBEDDED_PG16,
  eventually,
  makeProject,
  SYSTEM_PG15,
  upProject,
} from "./harness.js";

const asRoot = process.getuid?.() === 0;

/** The error a query raises, or null when it succeeds. */
async function refusal(c: pg.Client, sql: string): Promise<string | null> {
  try {
    await c.query(sql);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Runs a shell command as a project's server user (an attacker who took over its server). */
function asServerUser(uid: number, gid: number, script: string) {
  return spawnSync("sh", ["-c", script], { uid, gid, encoding: "utf8", cwd: "/" });
}

describe("the master user is not a superuser (as on RDS); ebdb keeps its own", () => {
  const p = makeProject("sec", { ...EMBEDDED_PG16, replicas: { enabled: true, count: 1, min: 1, max: 1 } });
  let app: pg.Client;
  beforeAll(async () => {
    await upProject(p);
    app = await client(p);
  });
  afterAll(async () => {
    await app?.end().catch(() => {});
    await p.cleanup();
  });

  test("the application's credentials cannot reach the operating system or the server's settings", async () => {
    const { rows } = await app.query(
      "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication FROM pg_roles WHERE rolname = current_user",
    );
    expect(rows[0]).toEqual({
      rolsuper: false,
      rolcreatedb: true,
      rolcreaterole: true,
      rolreplication: false,
    });
    expect(await refusal(app, "COPY (SELECT 1) TO PROGRAM 'id'")).toMatch(/permission denied/);
    expect(await refusal(app, "SELECT pg_read_file('/etc/passwd')")).toMatch(/permission denied/);
    expect(await refusal(app, "COPY (SELECT 1) TO '/tmp/ebdb-sec-owned'")).toMatch(/permission denied/);
    expect(await refusal(app, "ALTER SYSTEM SET work_mem = '1GB'")).toMatch(
      /permission denied|must be superuser/,
    );
    expect(await refusal(app, "SET log_min_duration_statement = -1")).toMatch(/permission denied/);
    // CREATEROLE cannot hand out the roles that reach the OS (PostgreSQL 16 and later).
    expect(await refusal(app, `GRANT pg_execute_server_program TO ${p.config.masterUsername}`)).toMatch(
      /permission denied/,
    );
    expect(await refusal(app, "ALTER ROLE rdsadmin PASSWORD 'x'")).toMatch(
      /permission denied|must be superuser/,
    );
    expect(existsSync("/tmp/ebdb-sec-owned")).toBe(false);
  });

  test("and it has what an application and its migrations need", async () => {
    await app.query("CREATE TABLE t (id serial PRIMARY KEY, v text)");
    await app.query("CREATE EXTENSION IF NOT EXISTS pgcrypto"); // trusted: allowed for a database owner
    await app.query("CREATE SCHEMA IF NOT EXISTS app_extra");
    await app.query("CREATE ROLE app_reader LOGIN PASSWORD 'reader-pass-1'");
    await app.query("GRANT SELECT ON t TO app_reader");
    await app.query("CREATE DATABASE sec_other");
    await app.query("DROP DATABASE sec_other");
    const owner = await app.query(
      "SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = current_database()",
    );
    expect(owner.rows[0].owner).toBe(p.config.masterUsername);
    const member = await app.query(
      "SELECT pg_has_role(current_user, 'rds_superuser', 'member') AS m, pg_has_role(current_user, 'pg_monitor', 'member') AS mon, pg_has_role(current_user, 'pg_signal_backend', 'member') AS sig",
    );
    expect(member.rows[0]).toEqual({ m: true, mon: true, sig: true });
    // Sees every session and may cancel another user's query.
    const other = await client(p);
    const pid = (await other.query("SELECT pg_backend_pid() AS pid")).rows[0].pid as number;
    const sleeping = other.query("SELECT pg_sleep(20)").catch((e: Error) => e.message);
    await eventually(async () => {
      const r = await app.query("SELECT state FROM pg_stat_activity WHERE pid = $1", [pid]);
      return r.rows[0]?.state === "active" ? true : undefined;
    }, 5000);
    expect((await app.query("SELECT pg_cancel_backend($1) AS ok", [pid])).rows[0].ok).toBe(true);
    expect(await sleeping).toMatch(/cancel/);
    await other.end();
  });

  test("when the application takes every connection it may, ebdb still connects and status sees it all", async () => {
    const held: pg.Client[] = [];
    let refused: string | null = null;
    try {
      for (let i = 0; i < 110 && !refused; i++) {
        try {
          held.push(await client(p));
        } catch (e) {
          refused = (e as Error).message;
        }
      }
      expect(refused).toMatch(/remaining connection slots are reserved/);
      // max_connections 100, less 3 reserved for superusers; `app` and the replica's walsender hold some.
      expect(held.length).toBeGreaterThan(90);
      expect(held.length).toBeLessThan(98);
      const st = await p.target.status(p.desired);
      expect(st.nodes[0].state).toBe("running");
      expect(st.nodes[1].lagBytes).not.toBeNull(); // ebdb read pg_stat_replication through a reserved slot
    } finally {
      await Promise.all(held.map((c) => c.end().catch(() => {})));
    }
  });

  test("ebdb's own statements carrying a password are neither tracked by pg_stat_statements nor logged", async () => {
    // A password change and a restore both set passwords (ALTER ROLE ... PASSWORD '<verifier>').
    p.reconfigure({
      masterPassword: new (await import("../../../src/model/secret.js")).Secret("Another-pass-42"),
    });
    await upProject(p);
    const snap = await p.target.snapshots.create(p.desired, undefined, p.io);
    await p.target.restore(p.desired, { kind: "snapshot", id: snap.id }, "sec-restored", p.io);
    const admin = await adminClient(p, undefined, p.config.dbName);
    // (The application's own CREATE ROLE ... PASSWORD above is its business, and is tracked.)
    const tracked = await admin.query(
      "SELECT query FROM public.pg_stat_statements WHERE query ILIKE '%SCRAM-SHA-256%' OR query ILIKE '%ALTER ROLE%PASSWORD%' OR query ILIKE '%rdsadmin%'",
    );
    await admin.end();
    expect(tracked.rows).toEqual([]);
    const s = await openSession(p.ctx, p.desired);
    for (const m of await listMetas(s.layout)) {
      const log = readFileSync(logFileOf(s.layout, m.name), "utf8");
      // Only ebdb sends verifiers (the application's own refused ALTER ROLE above is logged, as it should be).
      expect(log).not.toMatch(/SCRAM-SHA-256\$/);
    }
  });
});

describe("PostgreSQL 15: no CREATEROLE for the master user (CREATEROLE there can grant pg_execute_server_program)", () => {
  const p = makeProject("sec15", { ...SYSTEM_PG15 });
  beforeAll(() => upProject(p));
  afterAll(() => p.cleanup());

  test("it cannot make itself a member of pg_execute_server_program", async () => {
    const app = await client(p);
    try {
      expect(await refusal(app, `GRANT pg_execute_server_program TO ${p.config.masterUsername}`)).toMatch(
        /permission denied|must have admin option/,
      );
      expect(await refusal(app, "COPY (SELECT 1) TO PROGRAM 'id'")).toMatch(
        /permission denied|must be superuser/,
      );
      const r = await app.query("SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user");
      expect(r.rows[0]).toEqual({ rolsuper: false, rolcreaterole: false });
    } finally {
      await app.end();
    }
  });
});

describe.skipIf(!asRoot)(
  "as root: no path from a server's files to root, and projects apart (root only)",
  () => {
    const a = makeProject("seca", { ...SYSTEM_PG15, replicas: { enabled: true, count: 1, min: 1, max: 1 } });
    const b = makeProject("secb", { ...SYSTEM_PG15, replicas: { enabled: true, count: 1, min: 1, max: 1 } });
    const victimDir = mkdtempSync(join(tmpdir(), "ebdb-victim-"));
    const victim = join(victimDir, "root-only");
    beforeAll(async () => {
      writeFileSync(victim, "root's secret\n", { mode: 0o600 });
      await Promise.all([upProject(a), upProject(b)]);
    });
    afterAll(async () => {
      await Promise.all([a.cleanup(), b.cleanup()]);
      rmSync(victimDir, { recursive: true, force: true });
    });

    test("each project's servers run as an OS user of its own, who cannot read the other's files", async () => {
      const sa = await openSession(a.ctx, a.desired);
      const sb = await openSession(b.ctx, b.desired);
      expect(sa.user.uid).not.toBe(sb.user.uid);
      const replicaB = (await listMetas(sb.layout)).find((m) => m.role === "replica")!.name;
      for (const path of [
        join(nodeDir(sb.layout, replicaB), "pgpass"),
        join(pgdataOf(sb.layout, replicaB), "PG_VERSION"),
        join(sb.layout.stateDir, "password"),
        sb.layout.internalFile,
      ]) {
        expect(existsSync(path)).toBe(true);
        const r = asServerUser(sa.user.uid, sa.user.gid, `cat "${path}"`);
        expect(r.status, path).not.toBe(0);
        expect(r.stderr).toMatch(/Permission denied/);
      }
    });

    test("the server user cannot plant a pointer, a password link, a lock or a log link where root reads or writes", async () => {
      const s = await openSession(a.ctx, a.desired);
      const { uid, gid } = s.user;
      const primary = a.config.identifier;
      for (const target of [
        join(s.layout.stateDir, "data-root"),
        join(s.layout.stateDir, "password.tmp-1"),
        join(s.layout.stateDir, "lock"),
        join(nodeDir(s.layout, primary), "postgresql.log.1"),
        join(nodeDir(s.layout, primary), "node.json.tmp-1"),
        join(s.layout.backupsDir, "planted"),
        join(s.layout.nodesDir, "planted"),
      ]) {
        const r = asServerUser(uid, gid, `ln -s "${victim}" "${target}"`);
        expect(r.status, target).not.toBe(0);
        expect(existsSync(target)).toBe(false);
      }
      for (const dir of [
        s.layout.stateDir,
        s.layout.nodesDir,
        nodeDir(s.layout, primary),
        s.layout.backupsDir,
      ]) {
        expect(lstatSync(dir).uid, dir).toBe(0);
      }
    });

    test("a link the server user plants in its data directory is replaced, never written through, by root", async () => {
      const s = await openSession(a.ctx, a.desired);
      const { uid, gid } = s.user;
      const primary = (await listMetas(s.layout)).find((m) => m.role === "primary")!;
      const pgdata = pgdataOf(s.layout, primary.name);
      const r = asServerUser(
        uid,
        gid,
        `ln -sf "${victim}" "${pgdata}/server.crt" && ln -sf "${victim}" "${pgdata}/pg_hba.conf"`,
      );
      expect(r.status, r.stderr).toBe(0);
      const bins = await s.binaries();
      const { projectCertificate } = await import("../../../src/targets/local/node-files.js");
      await writeNodeFiles(pgdata, settingsFor(s, primary, bins.major), s.user, {
        cert: await projectCertificate(s.layout),
      });
      expect(readFileSync(victim, "utf8")).toBe("root's secret\n");
      expect(lstatSync(victim).uid).toBe(0);
      expect(lstatSync(join(pgdata, "server.crt")).isSymbolicLink()).toBe(false);
      expect(lstatSync(join(pgdata, "server.crt")).uid).toBe(uid);
    });

    test("an old data-root pointer is never followed: up refuses the old state folder, destroy removes it and not what it names", async () => {
      const c = makeProject("secptr", { ...SYSTEM_PG15 });
      try {
        await upProject(c);
        const s = await openSession(c.ctx, c.desired);
        const bait = mkdtempSync(join(tmpdir(), "ebdb-bait-"));
        writeFileSync(join(bait, "keep"), "x");
        writeFileSync(join(s.layout.stateDir, "data-root"), `${bait}\n`);
        await expect(upProject(c)).rejects.toMatchObject({ code: "LEGACY_LAYOUT" });
        await c.target.destroy(c.desired, { skipFinalSnapshot: true }, c.io);
        expect(existsSync(join(bait, "keep"))).toBe(true);
        expect(existsSync(s.layout.stateDir)).toBe(false);
        rmSync(bait, { recursive: true, force: true });
      } finally {
        await c.cleanup();
      }
    });

    test("a node record is only trusted for the folder it sits in", async () => {
      const s = await openSession(a.ctx, a.desired);
      const primary = a.config.identifier;
      const meta = JSON.parse(readFileSync(join(nodeDir(s.layout, primary), "node.json"), "utf8"));
      // Root-owned, so only root could do this; still, a record naming another folder is not believed.
      const forged = join(s.layout.nodesDir, "forged");
      const { mkdirSync } = await import("node:fs");
      mkdirSync(forged);
      writeFileSync(join(forged, "node.json"), JSON.stringify({ ...meta, name: "../../../tmp" }));
      try {
        const names = (await listMetas(s.layout)).map((m) => m.name);
        expect(names).not.toContain("../../../tmp");
        expect(names).not.toContain("forged");
      } finally {
        rmSync(forged, { recursive: true, force: true });
      }
    });

    test("a planted symlink as the server's own node folder is refused, not followed", async () => {
      const s = await openSession(a.ctx, a.desired);
      // Only root can write in nodes/, so this stands for any link found where ebdb expects a folder.
      const link = join(s.layout.nodesDir, `${a.config.identifier}-replica-7`);
      symlinkSync(victimDir, link);
      try {
        const { ensureDir } = await import("../../../src/targets/local/fs-safe.js");
        await expect(ensureDir(link, 0o711)).rejects.toMatchObject({ code: "UNSAFE_PATH" });
        expect(lstatSync(victimDir).uid).toBe(0);
      } finally {
        rmSync(link);
      }
    });
  },
);
