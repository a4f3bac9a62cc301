import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  BIN,
  type CliProject,
  childrenOf,
  filesContaining,
  hasProc,
  hasPsql,
  hasScript,
  hasSetpriv,
  isRunning,
  running,
  started,
  spawnEbdb,
  until,
  upProject,
} from "./psql-helpers.js";
import { psql } from "../../src/api/psql.js";
import { RecordingIoHost } from "../../src/io.js";

// `ebdb psql` interrupted while psql runs a long query: no password file at any moment, psql never
// outlives ebdb, Ctrl-C reaches psql as if it ran alone, and ebdb exits with psql's status.
// Spawned from dist/ (`npm run build` first), against a real local database; Linux (/proc).
let p: CliProject;
beforeAll(async () => {
  p = await upProject("psqlsig");
});
afterAll(async () => {
  await p?.cleanup();
});

/** Where a leftover password file would be: the temporary folders and the project (minus .ebdb/). */
const leaks = () => filesContaining(p.vars.DB_PASSWORD, [...new Set(["/tmp", tmpdir(), p.dir])]);

const CASES = [
  // kill -INT to ebdb alone (no terminal): ebdb forwards it once; psql cancels the query and, not
  // being interactive, ends with status 1 as it does alone (the pty test below shows it going on).
  { signal: "SIGINT", code: 1 },
  // TERM and HUP are forwarded; psql dies of them and ebdb reports it as a shell would (128 + n).
  { signal: "SIGTERM", code: 143 },
  { signal: "SIGHUP", code: 129 },
  // ebdb itself cannot outlive SIGKILL; psql must not either (setpriv --pdeathsig).
  { signal: "SIGKILL", code: null },
] as const;

/** psql alone, given what `ebdb psql` gives it, sent SIGINT during the same query. */
async function psqlAloneInterrupted(args: string[], marker: string) {
  const launch = await psql({ cwd: p.dir, env: p.env, io: new RecordingIoHost() });
  const c = spawn(launch.command, args, { env: launch.env, stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  c.stderr.on("data", (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => c.on("exit", (code) => resolve(code)));
  try {
    await started(p, marker);
    c.kill("SIGINT");
    return { code: await exited, err };
  } finally {
    c.kill("SIGKILL");
  }
}

describe.skipIf(!hasPsql || !hasProc)("ebdb psql interrupted", () => {
  test.for(CASES)(
    "$signal to ebdb during a query: no password file, no psql left",
    async ({ signal, code }, ctx) => {
      // util-linux's setpriv is what makes psql follow ebdb when ebdb cannot act.
      if (signal === "SIGKILL" && !hasSetpriv) ctx.skip();
      const marker = `sig-${signal}-${process.pid}`;
      const args = ["-X", "-c", `select pg_sleep(30) /* ${marker} */`];
      const s = spawnEbdb(p, ["psql", ...args]);
      let child: { pid: number; comm: string; start: string } | undefined;
      try {
        await started(p, marker, s);
        const ebdbPid = s.child.pid as number;
        [child] = childrenOf(ebdbPid);
        expect(child.comm).toBe("psql");
        expect(leaks()).toEqual([]);

        process.kill(ebdbPid, signal);
        const exit = await s.exit(15_000);
        const psqlProc = child;
        await until("psql to end", () => !running(psqlProc.pid, psqlProc.start), 5_000);
        expect(leaks()).toEqual([]);
        if (signal === "SIGKILL") {
          expect(exit.signal).toBe("SIGKILL");
          return;
        }
        expect(exit).toEqual({ code, signal: null });
        if (signal === "SIGINT") {
          // Cancelled, not killed: the server stopped the query at once, and psql said so.
          expect(await isRunning(p, marker)).toBe(false);
          expect(s.err()).toBe("Cancel request sent\nERROR:  canceling statement due to user request\n");
          const alone = await psqlAloneInterrupted(args, marker);
          expect({ code: exit.code, err: s.err() }).toEqual(alone);
        }
      } finally {
        if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill("SIGKILL");
        // A failed run must not leave its psql behind for the next test.
        if (child && running(child.pid, child.start)) process.kill(child.pid, "SIGKILL");
      }
    },
  );

  // A real terminal (util-linux `script` makes a pty): the keyboard's ^C goes to the foreground
  // process group, ebdb and psql both; psql cancels the query once, and ebdb lives on.
  test.skipIf(!hasScript)("Ctrl-C on a terminal cancels the query; psql and ebdb carry on", async () => {
    const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
    const command = `exec ${q(process.execPath)} ${q(BIN)} psql -X -n -P pager=off`;
    const s = spawnEbdb(p, ["-qfec", command, "/dev/null"], "script", []);
    const marker = `pty-${process.pid}`;
    const type = (line: string) => s.child.stdin?.write(line);
    try {
      await until("the prompt", () => s.out().includes("app=>"));
      type(`select pg_sleep(30) /* ${marker} */;\n`);
      await started(p, marker, s);
      const pressed = Date.now();
      type("\x03");
      await until("the query to be cancelled", async () => !(await isRunning(p, marker)), 5_000);
      expect(Date.now() - pressed).toBeLessThan(5_000);
      await until("the cancel message", () => s.out().includes("canceling statement due to user request"));
      type("select 'went' || ' on';\n");
      await until("psql to go on", () => s.out().includes("went on"));
      expect(leaks()).toEqual([]);
      type("\\q\n");
      expect(await s.exit(10_000)).toEqual({ code: 0, signal: null });
      // One ^C, one cancel: ebdb did not forward the keyboard's signal a second time.
      expect(s.out().match(/Cancel request sent/g) ?? []).toHaveLength(1);
    } finally {
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill("SIGKILL");
    }
  });
});
