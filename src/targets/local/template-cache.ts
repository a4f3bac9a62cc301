import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { PgBinaries } from "./binaries.js";
import { ensureDir } from "./fs-safe.js";
import type { ServerUser } from "./server-user.js";
import { buildIntoCache, newBuildDir, refillSpares, templatesRoot } from "./template.js";

/**
 * Filling the template cache off the critical path: a new user's first `up` makes its primary from
 * a build of its own (template.ts, moveTemplate) and, once that primary is ready, starts this
 * detached process (`ebdb template-build`, hidden) that builds the cached template as the template
 * user, installs it whole (a rename), then prepares the spare copies the next projects rename.
 * Killed at any point, it leaves at most a `.build-<its pid>-bg` folder, removed by the next build
 * once it is gone; the cache never holds a half-written template.
 */

/** bin/ebdb.js of this installation (from this file in src/, dist/ or the bundle). */
function ebdbBin(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) || !existsSync(join(dir, "bin", "ebdb.js"))) {
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
  return join(dir, "bin", "ebdb.js");
}

/** PATH and ebdb's own settings (EBDB_*: the cache, the server user, a test's fault point), no secrets. */
function childEnv(env: Readonly<Record<string, string | undefined>>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { PATH: env.PATH ?? "/usr/bin:/bin", LC_ALL: "C", TZ: "UTC" };
  for (const [k, v] of Object.entries(env)) if (k.startsWith("EBDB_") && v !== undefined) out[k] = v;
  return out;
}

/**
 * Starts the detached process that fills the cache `cache` for `bins` (see above) and makes its
 * build folder at once, so anyone looking (a benchmark, a concurrent build's sweep) sees it under
 * way. Returns its pid, or null when it could not be started (the next `up` builds again).
 */
export async function fillTemplateCache(
  bins: PgBinaries,
  user: ServerUser,
  cache: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<number | null> {
  const bin = ebdbBin();
  if (!bin) return null;
  await ensureDir(cache, user.switchUser ? 0o755 : 0o700);
  await ensureDir(templatesRoot(cache), 0o700, user);
  const child = spawn(
    process.execPath,
    [bin, "template-build", cache, bins.bindir, bins.version, bins.source],
    { cwd: "/", detached: true, stdio: "ignore", env: childEnv(env) },
  );
  child.on("error", () => {});
  child.unref();
  if (!child.pid) return null;
  await newBuildDir(cache, user, child.pid, "bg").catch(() => {});
  return child.pid;
}

/**
 * The detached process's work (`ebdb template-build`): build and install the template unless one
 * is cached by now, then start the spare copies (`spares` of them).
 */
export async function runTemplateBuild(
  bins: PgBinaries,
  user: ServerUser,
  cache: string,
  spares: number,
): Promise<void> {
  const tmp = await newBuildDir(cache, user, process.pid, "bg");
  const t = await buildIntoCache(bins, user, cache, tmp);
  // No spares where they cannot be made (Windows): the next up copies the template instead.
  await refillSpares(t, user, spares).catch(() => {});
}
