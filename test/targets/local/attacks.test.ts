import { spawn, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TLSSocket } from "node:tls";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { pgdataOf } from "../../../src/targets/local/layout.js";
import { listMetas } from "../../../src/targets/local/meta.js";
import { stopServer } from "../../../src/targets/local/process.js";
import { openSession } from "../../../src/targets/local/session.js";
import { localCa, serverCertificate } from "../../../src/targets/local/tls.js";
import { adminClient, client, eventually, makeProject, SYSTEM_PG15, upProject } from "./harness.js";

// What a red-team pass found after the first hardening, each as a test (issue 7, items 1-3).

const asRoot = process.getuid?.() === 0;

describe("the application's own database cannot turn ebdb's superuser sessions against it", () => {
  const p = makeProject("atk", { ...SYSTEM_PG15, replicas: { enabled: true, count: 1, min: 1, max: 1 } });
  let app: pg.Client;
  beforeAll(async () => {
    await upProject(p);
    app = await client(p);
  });
  afterAll(async () => {
    await app?.end().catch(() => {});
    await p.cleanup();
  });

  test("an operator of the master's own, first in the database's search_path, never runs as ebdb's superuser", async () => {
    const user = p.config.masterUsername;
    await app.query("CREATE SCHEMA evil");
    await app.query(`CREATE FUNCTION evil.nameeq(a name, b name) RETURNS bool LANGUAGE plpgsql AS $$
      BEGIN
        IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) current_user) THEN
          EXECUTE 'ALTER ROLE ${user} SUPERUSER';
        END IF;
        RETURN a OPERATOR(pg_catalog.=) b;
      END $$`);
    await app.query("CREATE OPERATOR evil.= (LEFTARG = name, RIGHTARG = name, FUNCTION = evil.nameeq)");
    await app.query(
      "CREATE FUNCTION evil.texteq(a text, b text) RETURNS bool LANGUAGE sql AS 'SELECT evil.nameeq(a::name, b::name)'",
    );
    await app.query("CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.texteq)");
    await app.query(`CREATE SCHEMA ${user}`);
    await app.query(`ALTER DATABASE ${p.config.dbName} SET search_path = evil, pg_catalog, public`);
    // Everything ebdb does in the application's database: observe, plan, up, status, a snapshot.
    await upProject(p);
    await p.target.status(p.desired);
    await p.target.snapshots.create(p.desired, undefined, p.io);
    const c = await client(p);
    const r = await c.query("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user");
    await c.end();
    expect(r.rows[0].rolsuper).toBe(false);
  });

  test("a library the master preloads for its database does not stop ebdb from reaching it", async () => {
    await app.query(`ALTER DATABASE ${p.config.dbName} SET local_preload_libraries = 'nonexistent_lib'`);
    try {
      const admin = await adminClient(p, undefined, p.config.dbName);
      expect((await admin.query("SELECT 1 AS ok")).rows[0].ok).toBe(1);
      await admin.end();
    } finally {
      await app.query(`ALTER DATABASE ${p.config.dbName} RESET local_preload_libraries`);
    }
  });

  test("the master cannot end the replicas' replication sessions", async () => {
    const r = await app.query("SELECT pid FROM pg_stat_activity WHERE usename = 'rdsrepladmin'");
    expect(r.rows.length).toBeGreaterThan(0);
    await expect(app.query("SELECT pg_terminate_backend($1)", [r.rows[0].pid])).rejects.toThrow(
      /permission denied|must be a superuser/,
    );
  });

  test("a program that takes a stopped primary's port never gets the replication password", async () => {
    const s = await openSession(p.ctx, p.desired);
    const primary = (await listMetas(s.layout)).find((m) => m.role === "primary")!;
    // An impostor with a certificate of its own (another CA): it asks for the password in clear.
    const ca = localCa("impostor");
    const cert = serverCertificate(ca, "impostor");
    const seen: string[] = [];
    const handshakes: string[] = [];
    const impostor = createServer((sock: Socket) => {
      sock.once("data", () => {
        sock.write("S"); // yes to the SSLRequest
        const tls = new TLSSocket(sock, { isServer: true, cert: cert.cert, key: cert.key });
        tls.on("error", (e) => handshakes.push(e.message));
        tls.once("data", () => {
          const ask = Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]); // AuthenticationCleartextPassword
          tls.write(ask);
          tls.on("data", (d) => seen.push(d.toString("latin1")));
        });
      });
      sock.on("error", () => {});
    });
    await stopServer(pgdataOf(s.layout, primary.name));
    await new Promise<void>((resolve, reject) => {
      impostor.once("error", reject);
      impostor.listen(primary.port, "127.0.0.1", () => resolve());
    });
    try {
      // The replica's walreceiver retries every few seconds; give it several tries.
      await eventually(async () => (handshakes.length >= 2 ? true : undefined), 20_000, 100).catch(() => {});
      expect(handshakes.length, "the replica never tried the impostor").toBeGreaterThan(0);
      const password = (await s.internal()).replication.reveal();
      expect(seen.join("")).not.toContain(password);
      expect(seen).toEqual([]);
    } finally {
      await new Promise((r) => impostor.close(r));
      await upProject(p);
    }
  });
});

describe.skipIf(!asRoot)(
  "as root: what the server's OS user plants cannot read, hang or block root (root only)",
  () => {
    const p = makeProject("atkroot", { ...SYSTEM_PG15 });
    const victimDir = mkdtempSync(join(tmpdir(), "ebdb-victim-"));
    const victim = join(victimDir, "secret");
    beforeAll(async () => {
      writeFileSync(victim, "ROOT-ONLY-SECRET-42\n", { mode: 0o600 });
      await upProject(p);
    });
    afterAll(async () => {
      await p.cleanup();
      rmSync(victimDir, { recursive: true, force: true });
    });

    test("a PG_VERSION link to a root-only file: up fails without ever showing what it points at", async () => {
      const s = await openSession(p.ctx, p.desired);
      const pgdata = pgdataOf(s.layout, p.config.identifier);
      await p.target.down!(p.desired, p.io);
      const version = join(pgdata, "PG_VERSION");
      const original = "15\n";
      unlinkSync(version);
      symlinkSync(victim, version);
      try {
        const err = (await upProject(p).catch((e) => e)) as { message?: string; hint?: string };
        expect(JSON.stringify({ m: err?.message, h: err?.hint, e: p.io.events })).not.toContain(
          "ROOT-ONLY-SECRET",
        );
      } finally {
        unlinkSync(version);
        writeFileSync(version, original);
        chownSync(version, s.user.uid, s.user.gid);
      }
      await upProject(p);
    });

    test("a FIFO in place of postgresql.auto.conf does not hang up: a clear error at once", async () => {
      const s = await openSession(p.ctx, p.desired);
      const auto = join(pgdataOf(s.layout, p.config.identifier), "postgresql.auto.conf");
      await p.target.down!(p.desired, p.io);
      const kept = spawnSync("cat", [auto], { encoding: "utf8" }).stdout;
      unlinkSync(auto);
      expect(spawnSync("mkfifo", [auto]).status).toBe(0);
      chownSync(auto, s.user.uid, s.user.gid);
      try {
        const t0 = Date.now();
        const err = await upProject(p).catch((e) => e as { code?: string; message?: string });
        expect(Date.now() - t0).toBeLessThan(10_000);
        expect(err).toMatchObject({ code: "UNSAFE_PATH" });
        expect(String((err as Error).message)).toMatch(
          /postgresql\.auto\.conf is not a plain file \(a FIFO\)/,
        );
      } finally {
        unlinkSync(auto);
        writeFileSync(auto, kept, { mode: 0o600 });
        chownSync(auto, s.user.uid, s.user.gid);
      }
      await upProject(p);
    });

    test("a process of another user that claims `postgres -D <our data>` is neither an orphan of ours nor stops down", async () => {
      const s = await openSession(p.ctx, p.desired);
      const pgdata = pgdataOf(s.layout, p.config.identifier);
      const fake = spawn(
        "python3",
        [
          "-c",
          "import signal,time\nfor x in (2,3,15): signal.signal(x, signal.SIG_IGN)\ntime.sleep(60)",
          "-D",
          pgdata,
        ],
        {
          argv0: "postgres",
          uid: 65534,
          gid: 65534,
          stdio: "ignore",
        },
      );
      try {
        await new Promise((r) => setTimeout(r, 300));
        const st = await p.target.status(p.desired);
        expect(st.orphans ?? []).toEqual([]);
        const t0 = Date.now();
        await p.target.down!(p.desired, p.io);
        expect(Date.now() - t0).toBeLessThan(15_000);
      } finally {
        fake.kill("SIGKILL");
      }
      await upProject(p);
    });

    test("destroy ends what still runs as the project's OS user, then deletes that user", async () => {
      const c = makeProject("atklurk", { ...SYSTEM_PG15 });
      await upProject(c);
      const s = await openSession(c.ctx, c.desired);
      const lurker = spawn("sleep", ["300"], {
        uid: s.user.uid,
        gid: s.user.gid,
        detached: true,
        stdio: "ignore",
      });
      lurker.unref();
      await c.target.destroy(c.desired, { skipFinalSnapshot: true }, c.io);
      await eventually(
        async () => (lurker.exitCode !== null || lurker.signalCode !== null ? true : undefined),
        5000,
      );
      expect(spawnSync("id", [s.user.name]).status).not.toBe(0);
      expect(existsSync(c.dir)).toBe(true);
      await c.cleanup();
    });
  },
);
