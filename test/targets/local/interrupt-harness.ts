import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import type { StatusReport } from "../../../src/targets/target.js";

const BIN = join(import.meta.dirname, "..", "..", "..", "bin", "ebdb.js");

/** A project folder with a config.env, driven through the real CLI (bin/ebdb.js, as a user runs it). */
export interface CliProject {
  dir: string;
  id: string;
  run(
    args: string[],
    env?: Record<string, string>,
  ): { code: number | null; signal: string | null; out: string; err: string };
  status(): StatusReport;
}

let n = 0;

export function cliProject(name: string, lines: string[]): CliProject {
  const dir = mkdtempSync(join(tmpdir(), `ebdb-${name}-`));
  const app = `${name}${process.pid % 1000}${n++}`;
  writeFileSync(
    join(dir, "config.env"),
    [`APP_NAME="${app}"`, 'ENV_NAME="dev"', 'DB_ENGINE_VERSION="15.8"', ...lines, ""].join("\n"),
  );
  const p: CliProject = {
    dir,
    id: `${app}-dev-db`,
    run(args, env = {}) {
      const r = spawnSync(process.execPath, [BIN, ...args], {
        cwd: dir,
        env: { ...process.env, EBDB_TARGET: "", EBDB_FAULT_POINT: "", ...env },
        encoding: "utf8",
        timeout: 120_000,
      });
      return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
    },
    status() {
      const r = p.run(["status", "--json"]);
      if (r.code !== 0) throw new Error(`status failed (${r.code}): ${r.err}`);
      return JSON.parse(r.out) as StatusReport;
    },
  };
  return p;
}

/** Runs `args` with the fault point set and checks that the process really died there (SIGKILL). */
export function killAt(p: CliProject, args: string[], point: string): void {
  const r = p.run(args, { EBDB_FAULT_POINT: point });
  expect(r.signal, `${args.join(" ")} did not reach ${point}: exit ${r.code}\n${r.err}`).toBe("SIGKILL");
}

/** Every PostgreSQL postmaster running from under a folder whose path names `id` (none may outlive its node). */
export function serversOf(id: string): { pid: number; pgdata: string }[] {
  const found: { pid: number; pgdata: string }[] = [];
  for (const pid of readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      const i = argv.indexOf("-D");
      if (i >= 0 && argv[i + 1]?.includes(`/${id}`) && /postgres$/.test(argv[0])) {
        if (readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z")) continue;
        found.push({ pid: Number(pid), pgdata: argv[i + 1] });
      }
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/** Files and folders under `root` whose names say they are temporary (left by an interrupted write or copy). */
export function leftovers(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(d, name);
      if (/\.tmp-|\.tmp$|^\.build-|\.stale-|\.lock\.\d+-/.test(name)) out.push(path);
      // Data directories are PostgreSQL's own; only ebdb's folders are walked.
      if (name === "pgdata" || name === "data" || name === "archive") continue;
      try {
        if (depth < 6 && statSync(path).isDirectory()) walk(path, depth + 1);
      } catch {
        // vanished
      }
    }
  };
  walk(root, 0);
  return out;
}

/** Files under `root` (outside `.ebdb/`) that hold `secret` in their contents. */
export function filesHolding(root: string, secret: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(d, name);
      if (name === ".ebdb" || name === "pgdata") continue;
      try {
        const st = statSync(path);
        if (st.isDirectory()) walk(path);
        else if (st.isFile() && st.size < 1_000_000 && readFileSync(path, "utf8").includes(secret))
          out.push(path);
      } catch {
        // vanished or unreadable
      }
    }
  };
  walk(root);
  return out;
}
