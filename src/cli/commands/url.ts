import { url } from "../../api/url.js";
import { type CliContext, type GlobalFlags, printJson } from "../output.js";

/** `ebdb url [--replica [name] | --instance NAME]`. */
export async function run(cli: CliContext): Promise<number> {
  const flags = cli.flags as GlobalFlags & { replica?: string | boolean; instance?: string };
  const result = await url(cli.ctx, { replica: flags.replica, instance: flags.instance });
  if (flags.json) printJson(cli.output, result);
  else cli.output.out(result.url);
  return 0;
}
