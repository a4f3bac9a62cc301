import { logs, parseSince } from "../../api/logs.js";
import type { CliContext, GlobalFlags } from "../output.js";

/** `ebdb logs [-f] [--node name] [--slow] [--since T]`: with --follow, until Ctrl-C. */
export async function run(cli: CliContext): Promise<number> {
  const flags = cli.flags as GlobalFlags & {
    follow?: boolean;
    node?: string;
    slow?: boolean;
    since?: string;
  };
  const since = flags.since === undefined ? undefined : parseSince(flags.since);
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once("SIGINT", onSigint);
  try {
    for await (const chunk of await logs(cli.ctx, {
      node: flags.node,
      follow: flags.follow,
      signal: stop.signal,
      slow: flags.slow,
      since,
    })) {
      cli.output.out(chunk.endsWith("\n") ? chunk.slice(0, -1) : chunk);
    }
  } finally {
    process.off("SIGINT", onSigint);
  }
  return 0;
}
