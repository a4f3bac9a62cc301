import { setSlowlog } from "../../api/slowlog.js";
import { userError } from "../../errors.js";
import { type CliContext, type GlobalFlags, printJson } from "../output.js";

type SlowlogFlags = GlobalFlags & { ms?: string };

/** `ebdb slowlog --ms N` (-1 turns the slow-query log off). */
export async function run(cli: CliContext): Promise<number> {
  const flags = cli.flags as SlowlogFlags;
  if (flags.ms === undefined || !/^-?\d+$/.test(flags.ms)) {
    throw userError(
      "BAD_MS",
      `--ms ${flags.ms ?? ""} is not a whole number of milliseconds.`,
      "For example: --ms 500, or --ms -1 to turn it off.",
    );
  }
  const result = await setSlowlog(cli.ctx, { ms: Number(flags.ms) });
  if (flags.json) printJson(cli.output, result);
  else
    cli.output.out(
      result.ms < 0
        ? `${result.identifier}: slow-query log off`
        : `${result.identifier}: statements slower than ${result.ms} ms are logged`,
    );
  return 0;
}
