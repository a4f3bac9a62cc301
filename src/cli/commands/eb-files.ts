import { writeEbFiles } from "../../api/eb-files.js";
import { type CliContext, type GlobalFlags, printJson } from "../output.js";

/** `ebdb eb-files [--out DIR] [--json]`: the files that give the EB instances the RDS CA bundle. */
export async function run(cli: CliContext): Promise<number> {
  const flags = cli.flags as GlobalFlags & { out?: string };
  const result = await writeEbFiles(cli.ctx, { out: flags.out });
  if (flags.json) {
    printJson(cli.output, result);
    return 0;
  }
  for (const f of result.files) {
    cli.output.out(`${f.changed ? "wrote" : "unchanged"} ${f.path} (${Math.ceil(f.bytes / 1024)} KiB)`);
  }
  cli.output.err(
    `Deploy them with the application (eb deploy packages the last git commit: commit them). At each deployment they install the RDS CA bundle at ${result.installedAt}, which DATABASE_URL (sslrootcert=) and PGSSLROOTCERT name.`,
  );
  return 0;
}
