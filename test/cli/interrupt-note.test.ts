import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { withLock } from "../../src/targets/local/lock.js";
import { lockFileFor } from "../../src/targets/local/layout.js";

// Ctrl-C or SIGTERM during a command that changes the database: one line on stderr saying what to
// run next, and the process still ends by the signal (a spawned bin/ebdb.js: `npm run build` first).
// The test holds the project's lock, so the command waits for it (up to 5 s) and is interrupted at a
// known point without any server being started.
const dir = mkdtempSync(join(tmpdir(), "ebdb-cli-interrupt-"));
const app = `int${process.pid % 10000}`;
const id = `${app}-dev-db`;
const BIN = resolve(__dirname, "../../bin/ebdb.js");
const lock = lockFileFor(dir, id);
writeFileSync(join(dir, "config.env"), `APP_NAME="${app}"\nENV_NAME="dev"\nDB_ENGINE_VERSION="15.8"\n`);
mkdirSync(dirname(lock), { recursive: true, mode: 0o700 });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Runs `ebdb ...argv` while the test holds the lock, signals it once it waits for the lock. */
function interrupted(signal: NodeJS.Signals, ...argv: string[]) {
  return withLock(
    lock,
    id,
    "the test",
    async () => {
      const child = spawn(process.execPath, [BIN, ...argv], {
        cwd: dir,
        env: { ...process.env, EBDB_TARGET: "" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let err = "";
      child.stderr!.on("data", (b) => {
        err += b;
      });
      child.stdout!.resume();
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
        child.on("exit", (code, sig) => r({ code, signal: sig })),
      );
      try {
        // Its candidate lock file (`<lock>.<pid>-<random>`) says it is in the command, waiting.
        const mine = `${basename(lock)}.${child.pid}-`;
        await until(
          "the command to wait for the lock",
          () => readdirSync(dirname(lock)).some((f) => f.startsWith(mine)),
          15_000,
        );
        child.kill(signal);
        const end = await Promise.race([
          exited,
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error("no exit within 10 s")), 10_000),
          ),
        ]);
        return { ...end, err };
      } finally {
        child.kill("SIGKILL");
      }
    },
    { create: true },
  );
}

describe("an interrupted command says what to run next", () => {
  test("Ctrl-C during up: `ebdb up` finishes it; the process ends by SIGINT as before", async () => {
    const r = await interrupted("SIGINT", "up", "--yes");
    expect(r.signal).toBe("SIGINT");
    expect(r.err).toContain(
      "interrupted: nothing is lost; run `ebdb up` to finish or remove what was half-made\n",
    );
    expect(r.err).not.toMatch(/at .*\.js:\d+/); // no stack trace
  }, 40_000);

  test("SIGTERM during destroy: run `ebdb destroy` again", async () => {
    const r = await interrupted("SIGTERM", "destroy", "--yes");
    expect(r.signal).toBe("SIGTERM");
    expect(r.err.trimEnd().split("\n").at(-1)).toBe(
      "interrupted: the database is partly removed; run `ebdb destroy` again to finish",
    );
  }, 40_000);
});
