import { writePgbouncerFiles } from "../../api/pooler.js";
import { userError } from "../../errors.js";
import { type CliContext, type GlobalFlags, printJson } from "../output.js";

type Flags = GlobalFlags & { out?: string; port?: string; maxInstances?: string };

function wholeNumber(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v))
    throw userError(
      "BAD_FLAG",
      `${flag} ${v} is not a whole number.`,
      `Give ${flag} a number, e.g. ${flag} 4.`,
    );
  return Number(v);
}

/** `ebdb pooler pgbouncer [--out DIR] [--port N] [--max-instances N] [--json]`: PgBouncer beside the application. */
export async function run(cli: CliContext): Promise<number> {
  const flags = cli.flags as Flags;
  const r = await writePgbouncerFiles(cli.ctx, {
    out: flags.out,
    port: wholeNumber("--port", flags.port),
    maxInstances: wholeNumber("--max-instances", flags.maxInstances),
  });
  if (flags.json) {
    printJson(cli.output, r);
    return 0;
  }
  for (const f of r.files) cli.output.out(`${f.changed ? "wrote" : "unchanged"} ${f.path} (${f.mode})`);
  const lines = [
    `default_pool_size ${r.poolSize} per application instance; PgBouncer ${r.minVersion} or newer (tested with ${r.testedVersion}; prepared statements in transaction mode need 1.21).`,
    ...(r.sizing ? r.sizing.lines.map((l) => `  ${l}`) : []),
    ...(r.sizing?.warnings ?? []).map((w) => `warning: ${w}`),
    ...r.notes.map((n) => `note: ${n}`),
    `Start it where the application gets its database settings: ${r.files.find((f) => f.path.endsWith("start.sh"))?.path} -- <your app command> (it gets DATABASE_POOL_URL), or --daemon; locally: ebdb exec -- ${r.files.find((f) => f.path.endsWith("start.sh"))?.path} -- <command>.`,
    "No password is in these files: start.sh writes userlist.txt (0600) from DB_PASSWORD into its run directory when it starts.",
  ];
  cli.output.err(lines.join("\n"));
  return 0;
}
