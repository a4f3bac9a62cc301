import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { psql } from "../../src/api/psql.js";
import { RecordingIoHost } from "../../src/io.js";
import {
  type CliProject,
  childrenOf,
  cmdline,
  environ,
  hasProc,
  hasPsql,
  spawnEbdb,
  started,
  upProject,
} from "./psql-helpers.js";

// `ebdb psql` spawned as a user runs it (bin/ebdb.js runs dist/: `npm run build` first), against a
// real local database: psql's own arguments pass through, and psql's exit status is ebdb's.
let p: CliProject;
beforeAll(async () => {
  p = await upProject("psqlargs");
});
afterAll(async () => {
  await p?.cleanup();
});

async function ebdbPsql(...args: string[]) {
  const s = spawnEbdb(p, ["psql", ...args]);
  s.child.stdin?.end();
  const { code, signal } = await s.exit();
  return { code, signal, out: s.out(), err: s.err() };
}

describe.skipIf(!hasPsql)("ebdb psql passes psql's arguments through", () => {
  test("-c runs a command, connected as the master user to the application's database", async () => {
    const r = await ebdbPsql("-c", "select current_user, current_database(), 40 + 2 as answer");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/dbadmin\s+\|\s+app\s+\|\s+42/);
    expect(r.out).toContain("(1 row)");
  });

  test("-f runs a file, relative to the current folder; -v sets a variable", async () => {
    writeFileSync(join(p.dir, "q.sql"), "select :'who' || ' ran ' || 6 * 7 as line;\n");
    const r = await ebdbPsql("-At", "-v", "who=script", "-f", "q.sql");
    expect(r.code).toBe(0);
    expect(r.out).toBe("script ran 42\n");
  });

  test("everything after -- goes to psql unchanged, also after an option of psql's", async () => {
    const r = await ebdbPsql("--", "-At", "-c", "select current_setting('application_name')");
    expect(r.code).toBe(0);
    expect(r.out).toBe("ebdb psql\n");
    const mixed = await ebdbPsql("-X", "--", "-At", "-c", "select 'after --'");
    expect(mixed.code).toBe(0);
    expect(mixed.out).toBe("after --\n");
    // psql's --help and -V are ebdb's own flags unless they follow --.
    const version = await ebdbPsql("--", "-V");
    expect(version.out).toMatch(/^psql \(PostgreSQL\) \d+/);
  });

  test("psql's -h reaches psql (ebdb's help is --help)", async () => {
    const r = await ebdbPsql("-h", p.vars.DB_HOST, "-At", "-c", "select inet_server_port()");
    expect(r.code).toBe(0);
    expect(r.out).toBe(`${p.vars.DB_PORT}\n`);
  });

  test("ebdb's own flags still work among psql's", async () => {
    const r = await ebdbPsql("-At", "--replica", "-c", "select 1");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/There are no read replicas/);
  });

  test("psql's exit status is ebdb's: 1 for a failed -c, 3 for a script stopped by ON_ERROR_STOP", async () => {
    writeFileSync(join(p.dir, "bad.sql"), "select 1;\nselect 1/0;\nselect 2;\n");
    const failed = await ebdbPsql("-c", "select 1/0");
    expect(failed.err).toMatch(/division by zero/);
    const stopped = await ebdbPsql("-v", "ON_ERROR_STOP=1", "-f", "bad.sql");
    expect(stopped.err).toMatch(/division by zero/);
    // The same commands with psql alone, given what `ebdb psql` gives it.
    const launch = await psql({ cwd: p.dir, env: p.env, io: new RecordingIoHost() });
    const alone = (...args: string[]) =>
      spawnSync(launch.command, args, { cwd: p.dir, env: launch.env, timeout: 20_000 }).status;
    expect([failed.code, stopped.code]).toEqual([
      alone("-c", "select 1/0"),
      alone("-v", "ON_ERROR_STOP=1", "-f", "bad.sql"),
    ]);
    expect([failed.code, stopped.code]).toEqual([1, 3]);
    const gone = await ebdbPsql("-c", "select 1", "-d", "no_such_database");
    expect(gone.code).toBe(2);
    expect(gone.err).toMatch(/no_such_database/);
  });

  test.skipIf(!hasProc)(
    "the password is in psql's environment only: not in any process's arguments",
    async () => {
      const marker = `argv-check-${process.pid}`;
      const s = spawnEbdb(p, ["psql", "-c", `select pg_sleep(30) /* ${marker} */`]);
      try {
        await started(p, marker, s);
        const [child] = childrenOf(s.child.pid as number);
        expect(child.comm).toBe("psql");
        const pw = p.vars.DB_PASSWORD;
        expect(cmdline(child.pid)).not.toContain(pw);
        expect(cmdline(s.child.pid as number)).not.toContain(pw);
        expect(cmdline(child.pid)).not.toMatch(/postgres(ql)?:\/\//);
        expect(environ(child.pid)).toContain(`PGPASSWORD=${pw}`);
      } finally {
        s.child.kill("SIGTERM");
        await s.exit();
      }
    },
  );
});
