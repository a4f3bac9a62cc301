import { checkSlowQueryMs, setSlowlog } from "../../api/slowlog.js";
import { type CliContext, type GlobalFlags, printJson } from "../output.js";

type SlowlogFlags = GlobalFlags & { ms?: string };

/** `ebdb slowlog --ms N` (-1 turns the slow-query log off). */
export async function run(cli: CliContext): Promise<number> {
  const flags = cli.flags as SlowlogFlags;
  const text = flags.ms ?? "";
  const ms = checkSlowQueryMs(/^-?\d+$/.test(text) ? Number(text) : Number.NaN, text);
  const result = await setSlowlog(cli.ctx, { ms });
  if (flags.json) printJson(cli.output, result);
  else
    cli.output.out(
      result.ms < 0
        ? `${result.identifier}: slow-query log off`
        : `${result.identifier}: statements slower than ${result.ms} ms are logged`,
    );
  return 0;
}
