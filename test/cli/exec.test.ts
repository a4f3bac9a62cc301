import { spawnSync } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  type CliProject,
  childrenOf,
  cmdline,
  hasProc,
  hasPsql,
  spawnEbdb,
  until,
  upProject,
} from "./psql-helpers.js";

// `ebdb exec -- <command>` spawned as a user runs it (dist/: `npm run build` first), against a real
// local database: the command gets the connection in its environment, ebdb's exit code is the
// command's, signals reach it, and the password is in no process's arguments.
let p: CliProject;
beforeAll(async () => {
  // Ports far from where other tests' servers look first (the lowest free one from 5432): once this
  // project's primary is down, its port must stay free for the "does not accept connections" case.
  const port = 30000 + Math.floor(Math.random() * 20000);
  p = await upProject("exec", `DB_LOCAL_PORT="${port}"\n`);
});
afterAll(async () => {
  await p?.cleanup();
});

const PRINT_ENV = `process.stdout.write(JSON.stringify(process.env))`;

async function execEnv(...flags: string[]): Promise<Record<string, string>> {
  const run = spawnEbdb(p, ["exec", ...flags, "--", process.execPath, "-e", PRINT_ENV]);
  const { code } = await run.exit();
  expect(run.err()).toBe("");
  expect(code).toBe(0);
  return JSON.parse(run.out());
}

describe("ebdb exec", () => {
  test("the command's environment holds exactly what `ebdb env` prints (DB_*, DATABASE_URL, PG*, JDBC_*)", async () => {
    const got = await execEnv();
    for (const [k, v] of Object.entries(p.vars)) expect(got[k], k).toBe(v);
    expect(got.PGSSLMODE).toBe("verify-full");
    expect(got.PGSSLROOTCERT).toMatch(/\/\.ebdb\/[^/]+\/ca\.crt$/);
    expect(Object.keys(got).some((k) => k.startsWith("RDS_"))).toBe(false);
    // The caller's own environment is kept.
    expect(got.PATH).toBe(process.env.PATH);
  });

  test.skipIf(!hasPsql)("psql run by exec connects with verified TLS from PG* alone", async () => {
    const run = spawnEbdb(p, [
      "exec",
      "--",
      "psql",
      "-XAtc",
      "SELECT current_user || ' ' || ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    ]);
    expect(await run.exit()).toEqual({ code: 0, signal: null });
    expect(run.out()).toBe(`${p.vars.DB_USERNAME} true\n`);
  });

  test("RDS_* names too with EB_RDS_PROPERTIES=true", async () => {
    const file = join(p.dir, "config.env");
    const before = readFileSync(file, "utf8");
    writeFileSync(file, `${before}EB_RDS_PROPERTIES="true"\n`);
    try {
      const got = await execEnv();
      expect([got.RDS_HOSTNAME, got.RDS_PORT, got.RDS_DB_NAME, got.RDS_USERNAME, got.RDS_PASSWORD]).toEqual([
        p.vars.DB_HOST,
        p.vars.DB_PORT,
        p.vars.DB_NAME,
        p.vars.DB_USERNAME,
        p.vars.DB_PASSWORD,
      ]);
    } finally {
      writeFileSync(file, before);
    }
  });

  test("ebdb's exit code is the command's: its own status, 127 not found, 126 not runnable", async () => {
    const seven = spawnEbdb(p, ["exec", "--", "sh", "-c", "exit 7"]);
    expect((await seven.exit()).code).toBe(7);
    const missing = spawnEbdb(p, ["exec", "--", "no-such-command-ebdb"]);
    expect((await missing.exit()).code).toBe(127);
    expect(missing.err()).toBe("ebdb exec: no-such-command-ebdb: command not found\n");
    writeFileSync(join(p.dir, "not-executable"), "#!/bin/sh\n");
    const denied = spawnEbdb(p, ["exec", "--", "./not-executable"]);
    expect((await denied.exit()).code).toBe(126);
    // A later -- belongs to the command.
    const dashes = spawnEbdb(p, ["exec", "--", "sh", "-c", 'printf "%s|" "$@"', "sh", "--", "x"]);
    await dashes.exit();
    expect(dashes.out()).toBe("--|x|");
  });

  test("bad input exits 2: no command, an unknown option, an unknown instance (listing them)", async () => {
    const none = spawnEbdb(p, ["exec"]);
    expect((await none.exit()).code).toBe(2);
    const unknown = spawnEbdb(p, ["exec", "--frobnicate", "--", "true"]);
    expect((await unknown.exit()).code).toBe(2);
    expect(unknown.err()).toContain("--frobnicate is not an option of ebdb exec");
    const nope = spawnEbdb(p, ["exec", "--instance", "nope", "--", "true"]);
    expect((await nope.exit()).code).toBe(2);
    expect(nope.err()).toMatch(/There is no instance nope\.\n\s+Instances: \S+-dev-db \(primary\)\./);
  });

  test.skipIf(!hasProc)(
    "the password is in no process's arguments; SIGTERM and SIGINT reach the command, whose status is ebdb's",
    async () => {
      const script =
        "process.on('SIGTERM', () => process.exit(42)); process.on('SIGINT', () => process.exit(43)); console.log('ready'); setInterval(() => {}, 1000);";
      for (const [signal, code] of [
        ["SIGTERM", 42],
        ["SIGINT", 43],
      ] as const) {
        const run = spawnEbdb(p, ["exec", "--", process.execPath, "-e", script]);
        await until("the command to start", () => run.out().includes("ready"));
        const tree = [run.child.pid!];
        for (let i = 0; i < tree.length; i++) tree.push(...childrenOf(tree[i]).map((c) => c.pid));
        expect(tree.length).toBeGreaterThan(1);
        for (const pid of tree) expect(cmdline(pid)).not.toContain(p.vars.DB_PASSWORD);
        run.child.kill(signal);
        expect(await run.exit()).toEqual({ code, signal: null });
      }
    },
  );

  test.skipIf(!hasPsql)("--instance reaches a replica: exec, psql, url and env", async () => {
    const add = await p.ebdb("replica", "add", "--yes");
    expect(add.code, add.err).toBe(0);
    const name = JSON.parse((await p.ebdb("replica", "list", "--json")).out)[0].name as string;
    try {
      const inRecovery = "SELECT pg_is_in_recovery()";
      const viaExec = spawnEbdb(p, ["exec", "--instance", name, "--", "psql", "-XAtc", inRecovery]);
      expect(await viaExec.exit()).toEqual({ code: 0, signal: null });
      expect(viaExec.out()).toBe("t\n");
      const viaPsql = spawnEbdb(p, ["psql", "--instance", name, "-XAtc", inRecovery]);
      expect(await viaPsql.exit()).toEqual({ code: 0, signal: null });
      expect(viaPsql.out()).toBe("t\n");
      const vars = JSON.parse((await p.ebdb("env", "--format", "json", "--instance", name)).out);
      expect(vars.DB_PORT).not.toBe(p.vars.DB_PORT);
      expect(vars.PGPORT).toBe(vars.DB_PORT);
      expect((await p.ebdb("url", "--instance", name)).out.trim()).toBe(vars.DATABASE_URL);
    } finally {
      expect((await p.ebdb("replica", "remove", name, "--yes")).code).toBe(0);
    }
  });

  test.skipIf(!hasPsql || process.getuid?.() !== 0)(
    "as root: an application running as another user reads the CA certificate and verifies the server; nothing else there is readable",
    async () => {
      chmodSync(p.dir, 0o755); // a project folder its developer's other users may enter
      const nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"];
      const q = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
      // With its own HOME, as such an application has (libpq looks there for a client certificate).
      const app = spawnEbdb(p, ["exec", "--", ...nobody, "env", "HOME=/nonexistent", "psql", "-XAtc", q]);
      expect(await app.exit(), app.err()).toEqual({ code: 0, signal: null });
      expect(app.out()).toBe("t\n");
      const state = dirname(p.vars.PGSSLROOTCERT);
      const as = (...cmd: string[]) =>
        spawnSync(nobody[0], [...nobody.slice(1), ...cmd], { encoding: "utf8" });
      expect(as("cat", p.vars.PGSSLROOTCERT).stdout).toContain("BEGIN CERTIFICATE");
      expect(as("ls", state).status).not.toBe(0);
      expect(as("cat", join(state, "password")).status).not.toBe(0);
    },
  );

  test("a server that is down is said plainly (exit 1), before the command (or psql) runs", async () => {
    expect((await p.ebdb("down")).code).toBe(0);
    try {
      const run = spawnEbdb(p, ["exec", "--", "sh", "-c", "echo ran"]);
      expect((await run.exit()).code).toBe(1);
      expect(run.out()).toBe("");
      expect(run.err()).toMatch(/does not accept connections on 127\.0\.0\.1:\d+/);
      expect(run.err()).toContain("ebdb up");
      // psql too: ebdb's own words rather than psql's "Connection refused" (exit 2, the bad-input code).
      const psql = spawnEbdb(p, ["psql", "-c", "select 1"]);
      expect((await psql.exit()).code, psql.err()).toBe(1);
      expect(psql.err()).toMatch(/does not accept connections .*\n?.*ebdb up/s);
    } finally {
      expect((await p.ebdb("up", "--yes")).code).toBe(0);
    }
  });
});
