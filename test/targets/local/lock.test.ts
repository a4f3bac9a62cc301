import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { RecordingIoHost } from "../../../src/io.js";
import { AGENT_WHAT, withLock } from "../../../src/targets/local/lock.js";
import { processStart } from "../../../src/targets/local/pid.js";
import { eventually } from "./harness.js";
import { cliProject, serversOf } from "./interrupt-harness.js";

const dir = mkdtempSync(join(tmpdir(), "ebdb-lock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const lockFile = () => join(dir, `p${n++}.lock`);

describe("the project's lock", () => {
  test("a second holder waits, then fails naming the first (pid and command)", async () => {
    const file = lockFile();
    let release!: () => void;
    const first = withLock(file, "app-dev-db", "up", () => new Promise<void>((r) => (release = r)), {
      create: true,
    });
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    const err = await withLock(file, "app-dev-db", "replica add", async () => "ran", { waitMs: 300 }).catch(
      (e) => e,
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(err).toMatchObject({ code: "BUSY", fault: "system" });
    expect(err.message).toBe(`Another ebdb (pid ${process.pid}, up) is working on app-dev-db.`);
    release();
    await first;
    // Released: the next one gets it at once, and nothing is left behind.
    expect(await withLock(file, "app-dev-db", "replica add", async () => "ran")).toBe("ran");
    expect(readdirSync(dir).filter((f) => f.startsWith(file.split("/").pop()!))).toEqual([]);
  });

  test("a command waits for the backup agent past its own bound (a base backup may take minutes), saying so once", async () => {
    const file = lockFile();
    let release!: () => void;
    const agent = withLock(file, "app-dev-db", AGENT_WHAT, () => new Promise<void>((r) => (release = r)), {
      create: true,
    });
    await new Promise((r) => setTimeout(r, 50));
    setTimeout(() => release(), 600);
    const io = new RecordingIoHost(true);
    const t0 = Date.now();
    expect(await withLock(file, "app-dev-db", "down", async () => "ran", { waitMs: 200, io })).toBe("ran");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
    await agent;
    expect(io.events).toEqual([
      { type: "info", message: `Waiting for the backup agent of app-dev-db to finish (pid ${process.pid}).` },
    ]);
  });

  test("waiting commands run one after another, never together", async () => {
    const file = lockFile();
    let inside = 0;
    let most = 0;
    const work = () =>
      withLock(
        file,
        "x",
        "up",
        async () => {
          inside++;
          most = Math.max(most, inside);
          await new Promise((r) => setTimeout(r, 20));
          inside--;
        },
        { create: true, waitMs: 5000 },
      );
    await Promise.all([work(), work(), work(), work()]);
    expect(most).toBe(1);
  });

  test("a lock whose holder is dead is taken over, and said so", async () => {
    const file = lockFile();
    const child = spawn("true");
    await new Promise((r) => child.on("exit", r));
    writeFileSync(file, `${child.pid}\n${processStart(process.pid)}\nup\n`);
    const io = new RecordingIoHost(true);
    expect(await withLock(file, "app", "destroy", async () => "ran", { io })).toBe("ran");
    expect(io.events).toContainEqual(
      expect.objectContaining({
        type: "warning",
        message: `Took over the lock on app from ebdb pid ${child.pid} (up), which is no longer running.`,
      }),
    );
  });

  test("a lock whose pid now belongs to another program (a reused pid) is taken over", async () => {
    const file = lockFile();
    const other = spawn("sleep", ["30"]);
    try {
      // The pid is alive, but it started at another time than the holder the lock names.
      writeFileSync(file, `${other.pid}\n1\nup\n`);
      const io = new RecordingIoHost(true);
      expect(await withLock(file, "app", "up", async () => "ran", { io, waitMs: 200 })).toBe("ran");
      expect(io.events.some((e) => e.type === "warning" && /Took over/.test(e.message))).toBe(true);
    } finally {
      other.kill();
    }
  });
});

describe("commands at once on one project (real CLI, real servers)", () => {
  const p = cliProject("conc", [
    'DB_READ_REPLICA_ENABLED="true"',
    'DB_READ_REPLICA_COUNT="1"',
    'DB_READ_REPLICA_MIN_CAPACITY="1"',
    'DB_READ_REPLICA_MAX_CAPACITY="2"',
  ]);
  afterAll(() => {
    p.run(["destroy", "--yes"]);
    rmSync(p.dir, { recursive: true, force: true });
  });
  const run = (args: string[]) =>
    new Promise<{ code: number | null; err: string }>((resolve) => {
      const c = spawn(process.execPath, [join(import.meta.dirname, "../../../bin/ebdb.js"), ...args], {
        cwd: p.dir,
        env: { ...process.env, EBDB_TARGET: "" },
      });
      let err = "";
      c.stderr.on("data", (d) => {
        err += d;
      });
      c.on("exit", (code) => resolve({ code, err }));
    });
  const both = (a: string[], b: string[]) =>
    Promise.all(
      [a, b].map(
        (args) =>
          new Promise<{ code: number | null; err: string }>((resolve) => {
            const c = spawn(process.execPath, [join(import.meta.dirname, "../../../bin/ebdb.js"), ...args], {
              cwd: p.dir,
              env: { ...process.env, EBDB_TARGET: "" },
            });
            let err = "";
            c.stderr.on("data", (d) => {
              err += d;
            });
            c.on("exit", (code) => resolve({ code, err }));
          }),
      ),
    );

  test("two first ups at once: one makes it, the other waits for it or names it; never a half-made or doubled database", async () => {
    const results = await both(["up", "--yes"], ["up", "--yes"]);
    for (const r of results) {
      expect([0, 1]).toContain(r.code);
      if (r.code === 1) expect(r.err).toMatch(/Another ebdb \(pid \d+, up\) is working on/);
      expect(r.err).not.toMatch(/internal error|destroy/);
    }
    expect(results.some((r) => r.code === 0)).toBe(true);
    expect(p.status().nodes.map((x) => x.state)).toEqual(["running", "running"]);
    expect(serversOf(p.id)).toHaveLength(2);
  });

  test("replica add started while a replica remove holds the lock counts the replicas left, not the ones it saw before", async () => {
    expect(p.run(["replica", "add", "--yes"]).code).toBe(0); // at the maximum (2)
    const lock = join(p.dir, ".ebdb", `${p.id}.lock`);
    const remove = run(["replica", "remove", "--yes"]);
    // The add starts only once the removal holds the lock (it then sees 2 replicas, soon 1).
    await eventually(
      async () => (readFileSync(lock, "utf8").includes("replica remove") ? true : undefined),
      20_000,
      5,
    );
    const added = await run(["replica", "add", "--yes"]);
    expect((await remove).code).toBe(0);
    expect(added.err).not.toMatch(/beyond the maximum/);
    expect([0, 1]).toContain(added.code); // 1: the removal took longer than the add waits (names it)
    if (added.code === 1) expect(added.err).toMatch(/Another ebdb \(pid \d+, replica remove\)/);
    expect(p.run(["replica", "remove", "--yes"]).code).toBe(0);
  });

  test("up and replica add at once never pass DB_READ_REPLICA_MAX_CAPACITY", async () => {
    const results = await both(["replica", "add", "--yes"], ["replica", "add", "--yes"]);
    expect(results.map((r) => r.err).join("\n")).not.toMatch(/internal error/);
    const replicas = p.status().nodes.filter((x) => x.role === "replica");
    expect(replicas.length).toBeLessThanOrEqual(2);
    expect(serversOf(p.id)).toHaveLength(1 + replicas.length);
  });

  test("up and destroy at once: either order, but never success on a database that is gone", async () => {
    const [up, destroy] = await both(["up", "--yes"], ["destroy", "--yes"]);
    expect(`${up.err}\n${destroy.err}`).not.toMatch(/internal error|ENOENT/);
    // A destroy under way is waited for, not taken for an interrupted one.
    expect(up.err).not.toMatch(/was interrupted/);
    const st = p.status();
    if (st.nodes.length === 0) expect(serversOf(p.id)).toEqual([]);
    else {
      expect(st.nodes.every((x) => x.state === "running")).toBe(true);
      expect(serversOf(p.id)).toHaveLength(st.nodes.length);
    }
  });
});
