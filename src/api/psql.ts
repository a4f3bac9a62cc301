import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { userError } from "../errors.js";
import { findPsql } from "../targets/local/binaries.js";
import { passfileLine } from "../targets/local/secrets.js";
import type { Target } from "../targets/target.js";
import type { CommandContext } from "./context.js";
import { openDay2 } from "./day2-common.js";
import { pickNode } from "./url.js";

/** How to start psql: the password is in a temporary 0600 PGPASSFILE, never in the arguments. */
export interface PsqlLaunch {
  command: string;
  args: string[];
  env: Record<string, string>;
  /** Removes the temporary password file; call it when psql has exited. */
  cleanup(): void;
}

/** `ebdb psql [--replica [name]]`: the psql command line for the primary (or a replica). Needs a psql client. */
export async function psql(
  ctx: CommandContext,
  opts: { replica?: string | boolean; target?: Target; args?: string[] } = {},
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
  const node = pickNode(c, opts.replica);
  const dir = mkdtempSync(join(tmpdir(), "ebdb-psql-"));
  const passfile = join(dir, "pgpass");
  writeFileSync(passfile, passfileLine(node.host, node.port, c.username, c.password.reveal()), {
    mode: 0o600,
  });
  return {
    command,
    args: [...(opts.args ?? [])],
    env: {
      PGHOST: node.host,
      PGPORT: String(node.port),
      PGUSER: c.username,
      PGDATABASE: c.dbName,
      PGSSLMODE: c.sslmode,
      PGPASSFILE: passfile,
      PGAPPNAME: "ebdb psql",
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
