import { spawnSync } from "node:child_process";
import { accessSync, constants as fsConstants } from "node:fs";
import { delimiter, join } from "node:path";

let wrapper: string | null | undefined;

/**
 * The path of a `setpriv` that knows `--pdeathsig` (Linux, util-linux >= 2.33), or null; checked
 * once per process. A child started as `setpriv --pdeathsig SIG -- cmd ...` gets SIG when ebdb
 * dies, even by `kill -9`, instead of living on as an orphan (a copy still writing into a folder
 * the next run removes; psql fighting the shell for the terminal).
 */
export function pdeathsigWrapper(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | null {
  if (wrapper !== undefined) return wrapper;
  wrapper = null;
  if (process.platform !== "linux") return wrapper;
  const candidate = (env.PATH ?? "/usr/bin:/bin")
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, "setpriv"))
    .find((f) => {
      try {
        accessSync(f, fsConstants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  if (!candidate) return wrapper;
  // --pdeathsig came with util-linux 2.33 (2018); an older setpriv would refuse it.
  const r = spawnSync(candidate, ["--help"], { encoding: "utf8", timeout: 2000 });
  if (r.status === 0 && r.stdout.includes("--pdeathsig")) wrapper = candidate;
  return wrapper;
}

/** `[file, args]` that run `command` so it dies with ebdb (see pdeathsigWrapper), or as is where it cannot. */
export function dyingWithParent(
  command: string,
  args: string[],
  signal: "TERM" | "KILL",
  env?: Readonly<Record<string, string | undefined>>,
): [string, string[]] {
  const setpriv = pdeathsigWrapper(env);
  return setpriv ? [setpriv, ["--pdeathsig", signal, "--", command, ...args]] : [command, args];
}
