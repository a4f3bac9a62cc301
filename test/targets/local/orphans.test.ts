import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { statusLines } from "../../../src/cli/commands/status.js";
import { nodeDir, pgdataOf } from "../../../src/targets/local/layout.js";
import { listMetas, metaFile } from "../../../src/targets/local/meta.js";
import { procStat, scanServers } from "../../../src/targets/local/proc-scan.js";
import { inspect } from "../../../src/targets/local/process.js";
import { openSession, type Session } from "../../../src/targets/local/session.js";
import { eventually, makeProject, type Project, upProject } from "./harness.js";

// Issue 7, item 8: no orphan servers. A server running from under the project's nodes directory
// that no node owns (its node.json gone, its directory deleted or rebuilt under it) is listed by
// `status`, stopped by `down` and `destroy`, and stopped before a rebuild deletes its directory.

const linux = process.platform === "linux";

/** Gone, or exited and waiting for its parent to collect it: either way it serves nothing. */
async function stopped(pid: number): Promise<boolean> {
  const st = procStat(pid);
  return st === null || st.state === "Z";
}

async function withReplica(
  name: string,
): Promise<{ p: Project; s: Session; replica: string; pid: number; port: number }> {
  const p = makeProject(name, { replicas: { enabled: true, count: 1, min: 1, max: 1 } });
  projects.push(p);
  await upProject(p);
  const s = await openSession(p.ctx, p.desired);
  const r = (await listMetas(s.layout)).find((m) => m.role === "replica")!;
  const pid = (await inspect(pgdataOf(s.layout, r.name))).pid!;
  expect(pid).toBeGreaterThan(0);
  return { p, s, replica: r.name, pid, port: r.port };
}

const projects: Project[] = [];
afterEach(async () => {
  for (const p of projects.splice(0)) await p.cleanup();
});

describe.skipIf(!linux)("orphan servers (local target)", () => {
  test("a server whose node.json is gone: status lists it (JSON and text, with pid, port and the fix); destroy stops it", async () => {
    const { p, s, replica, pid, port } = await withReplica("orphmeta");
    await rename(metaFile(s.layout, replica), `${metaFile(s.layout, replica)}.moved`);
    const st = await p.target.status(p.desired);
    expect(st.nodes.map((n) => n.name)).not.toContain(replica);
    expect(st.orphans).toEqual([
      {
        pid,
        port,
        dataDirectory: pgdataOf(s.layout, replica),
        directoryDeleted: false,
        fix: expect.stringMatching(/ebdb down.*ebdb destroy.*kill -INT \d+/),
      },
    ]);
    const text = statusLines(st).join("\n");
    expect(text).toContain(
      `A server that no node owns runs from ${pgdataOf(s.layout, replica)}: pid ${pid}, port ${port}.`,
    );
    await p.target.destroy(p.desired, { skipFinalSnapshot: true }, p.io);
    expect(await stopped(pid)).toBe(true);
    expect(p.io.messages("info").join("\n")).toContain(`Stopped a server that no node owns (pid ${pid}`);
    expect((await scanServers(s.layout.dataRoot)).postmasters).toEqual([]);
  }, 120_000);

  test("a server whose directory was deleted under it: status shows it (deleted) with its port; down stops it", async () => {
    // An idle primary without WAL archiving: nothing makes it write to its (deleted) directory
    // during the test, so it lives on as such a server does (until its lock-file check, a minute).
    const p = makeProject("orphdel", { backup: { retentionDays: 0 } });
    projects.push(p);
    await upProject(p);
    const s = await openSession(p.ctx, p.desired);
    const primary = (await listMetas(s.layout))[0];
    const pid = (await inspect(pgdataOf(s.layout, primary.name))).pid!;
    await rm(nodeDir(s.layout, primary.name), { recursive: true, force: true, maxRetries: 5 });
    expect(procStat(pid)?.state, "the server outlived its directory").toMatch(/^[RSD]$/);
    const st = await p.target.status(p.desired);
    expect(st.nodes).toEqual([]);
    expect(st.orphans).toEqual([
      expect.objectContaining({
        pid,
        port: primary.port,
        dataDirectory: pgdataOf(s.layout, primary.name),
        directoryDeleted: true,
      }),
    ]);
    expect(st.notes.join("\n")).toContain(
      `${pgdataOf(s.layout, primary.name)} (deleted): pid ${pid}, port ${primary.port}.`,
    );
    await p.target.down!(p.desired, p.io);
    expect(await stopped(pid)).toBe(true);
    expect((await p.target.status(p.desired)).orphans).toEqual([]);
  }, 120_000);

  test("a rebuild after a kill stops the server still running from the half-made replica before deleting it", async () => {
    const { p, s, replica, pid } = await withReplica("orphbuild");
    // What a kill of `replica add` (or `up`) after the replica's server started, before its record
    // said ready, leaves: a live server in a node still marked creating. `up` rebuilds that node.
    const file = metaFile(s.layout, replica);
    const meta = JSON.parse(await readFile(file, "utf8"));
    await writeFile(file, `${JSON.stringify({ ...meta, state: "creating" }, null, 2)}\n`);
    const plan = await upProject(p);
    expect(plan.changes.map((c) => c.field)).toContain("rebuild");
    expect(await stopped(pid)).toBe(true);
    // No server runs from a deleted directory; the one that runs is the rebuilt node's own.
    const { postmasters } = await scanServers(s.layout.nodesDir);
    expect(postmasters.filter((x) => x.deleted)).toEqual([]);
    const st = await p.target.status(p.desired);
    expect(st.orphans).toEqual([]);
    expect(st.nodes.map((n) => n.state)).toEqual(["running", "running"]);
    expect(st.nodes[1].pid).not.toBe(pid);
  }, 120_000);

  test("a just-forked backend, still showing its postmaster's argv, is not taken for a postmaster", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ebdb-scan-"));
    const pgdata = join(dir, "nodes", "n", "pgdata");
    // A "postgres -D <pgdata>" with a child of the same argv: what the process table shows for a
    // backend between its fork() and setting its process title.
    const script = join(dir, "fake-postmaster.cjs");
    writeFileSync(
      script,
      "if (!process.env.SCAN_CHILD) require('child_process').spawn(process.execPath, process.argv.slice(1), { argv0: 'postgres', env: { SCAN_CHILD: '1' }, stdio: 'ignore' });\nsetTimeout(() => {}, 60000);\n",
    );
    const parent = spawn(process.execPath, [script, "-D", pgdata], {
      argv0: "postgres",
      detached: true,
      stdio: "ignore",
    });
    try {
      const child = await eventually(async () => {
        for (const x of readdirSync("/proc").filter((d) => /^\d+$/.test(d)))
          if (procStat(Number(x))?.ppid === parent.pid) return Number(x);
        return undefined;
      });
      expect(readFileSync(`/proc/${child}/cmdline`, "utf8").split("\0").slice(0, 1)).toEqual(["postgres"]);
      const { postmasters } = await scanServers(dir);
      expect(postmasters.map((x) => x.pid)).toEqual([parent.pid]);
    } finally {
      process.kill(-parent.pid!, "SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("removing a replica whose postmaster.pid was deleted still stops its server", async () => {
    const { p, s, replica, pid } = await withReplica("orphrm");
    await rm(`${pgdataOf(s.layout, replica)}/postmaster.pid`);
    await p.target.replicas.remove(p.desired, replica, p.io);
    expect(await stopped(pid)).toBe(true);
    expect((await scanServers(s.layout.nodesDir)).postmasters.map((x) => x.pid)).not.toContain(pid);
  }, 120_000);
});
