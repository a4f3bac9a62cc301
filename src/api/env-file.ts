import { spawnSync } from "node:child_process";
import { constants } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { userError } from "../errors.js";

export interface EnvFileResult {
  /** The file written (absolute). */
  path: string;
  /** True when the file is inside a git work tree that does not ignore it (it holds the password). */
  trackedByGit: boolean;
}

/**
 * `ebdb env --out FILE`: writes `text` (the connection settings, the password included) to FILE,
 * mode 0600, replacing it only once the whole text is written (a temporary file beside it, then
 * rename): a refused format or a failure leaves the old file as it was, where `ebdb env > .env`
 * would have emptied it first and left it 0644. Errors: OUT_NOT_WRITABLE (exit 2) naming the file.
 */
export async function writeEnvFile(cwd: string, out: string, text: string): Promise<EnvFileResult> {
  const path = resolve(cwd, out);
  const tmp = join(dirname(path), `.${basename(path)}.ebdb-${process.pid}.tmp`);
  try {
    const fh = await open(
      tmp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    try {
      await fh.writeFile(text.endsWith("\n") ? text : `${text}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw userError(
      "OUT_NOT_WRITABLE",
      `--out ${out}: cannot write ${path} (${(e as Error).message}).`,
      "Name a file in a folder you can write.",
    );
  }
  return { path, trackedByGit: notIgnored(path) };
}

/** Whether git would pick the file up: inside a work tree and not ignored (`git check-ignore`). */
function notIgnored(path: string): boolean {
  const opts = { cwd: dirname(path), encoding: "utf8" as const, timeout: 5000 };
  const inTree = spawnSync("git", ["rev-parse", "--is-inside-work-tree"], opts);
  if (inTree.status !== 0 || inTree.stdout.trim() !== "true") return false;
  // Exit 0: ignored; 1: not ignored; anything else (git missing, error): do not guess.
  return spawnSync("git", ["check-ignore", "-q", path], opts).status === 1;
}
