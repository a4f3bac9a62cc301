import { userError } from "../errors.js";
import { findPsql } from "../targets/local/binaries.js";
import type { Target } from "../targets/target.js";
import type { CommandContext } from "./context.js";
import { openDay2 } from "./day2-common.js";
import { requireReachable } from "./exec.js";
import { pickNode } from "./url.js";
import { connectionVars } from "../targets/connection-vars.js";
import { launchEnv } from "./launch-env.js";

/**
 * How to start psql: the program, its arguments (the user's own, passed through unchanged) and its
 * whole environment. The connection is in libpq's environment variables, never in the arguments.
 */
export interface PsqlLaunch {
  command: string;
  args: string[];
  /** The complete environment for psql (the caller's, minus libpq variables that would redirect it, plus ours). */
  env: Record<string, string>;
}

/**
 * `ebdb psql [--replica [name] | --instance NAME] [psql arguments...]`: how to start psql on the
 * primary (or a replica, or a restored instance), verifying the server (PGSSLMODE=verify-full with
 * the CA in PGSSLROOTCERT). `args` are psql's own arguments (`-c`, `-f`, `-At`, `-v`, ...), handed over unchanged;
 * the user may still override the database or user with psql's flags.
 *
 * The password reaches psql as PGPASSWORD in psql's environment only: not in its arguments, not in
 * ebdb's own environment, and in no file. A file, even one unlinked as soon as psql opened it,
 * exists on disk for a moment and must be removed by ebdb, which a `kill -9` prevents; libpq also
 * re-reads PGPASSFILE by name on every (re)connection (`\c`, a lost connection), so it cannot be
 * unlinked early. libpq's documentation warns that "some operating systems" let other users see a
 * process's environment with `ps`; Linux (/proc/<pid>/environ is readable only by the process's
 * owner and root) and macOS do not, so the environment is no more visible than a 0600 file owned by
 * the same user, and nothing can outlive the command. A shell started from psql (`\!`) inherits it,
 * as it would inherit the user's own environment.
 *
 * Throws PSQL_NOT_FOUND (exit 2) when no psql client is installed, NOT_REACHABLE (exit 1) when the
 * node does not accept connections (stopped: run `ebdb up`); errors from the target as `url`.
 */
export async function psql(
  ctx: CommandContext,
  opts: { replica?: string | boolean; instance?: string; target?: Target; args?: string[] } = {},
): Promise<PsqlLaunch> {
  const command = findPsql(null, ctx.env);
  if (!command) {
    throw userError(
      "PSQL_NOT_FOUND",
      "No psql client is installed (the npm-shipped PostgreSQL has none).",
      "Install one (apt-get install postgresql-client, brew install libpq), or connect with the URL from `ebdb url`.",
    );
  }
  const { desired, target } = await openDay2(ctx, opts.target);
  const c = await target.connection(desired);
  const node = pickNode(c, opts.replica, opts.instance);
  await requireReachable(target, node.name ?? desired.identifier, node);
  const all = connectionVars(c, { node });
  const libpq = Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith("PG")));
  const env = launchEnv(ctx.env, { ...libpq, PGAPPNAME: "ebdb psql" });
  return { command, args: [...(opts.args ?? [])], env };
}
