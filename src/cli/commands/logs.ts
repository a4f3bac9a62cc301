import { logs } from "../../api/logs.js";
import type { CliContext, GlobalFlags } from "../output.js";

/** `ebdb logs [-f] [--node name]`: with --follow, until Ctrl-C. */
export async function run(cli: CliContext): Promise<number> {
  const flags = cli.flags as GlobalFlags & { follow?: boolean; node?: string };
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once("SIGINT", onSigint);
  try {
    for await (const chunk of await logs(cli.ctx, {
      node: flags.node,
      follow: flags.follow,
      signal: stop.signal,
    })) {
      cli.output.out(chunk.endsWith("\n") ? chunk.slice(0, -1) : chunk);
    }
  } finally {
    process.off("SIGINT", onSigint);
  }
  return 0;
}
