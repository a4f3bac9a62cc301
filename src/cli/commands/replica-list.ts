import { listReplicas } from "../../api/replica.js";
import { type CliContext, printJson } from "../output.js";

/** `ebdb replica list`. */
export async function run(cli: CliContext): Promise<number> {
  const list = await listReplicas(cli.ctx);
  if (cli.flags.json) printJson(cli.output, list);
  else if (list.length === 0) cli.output.err("No read replicas.");
  else
    cli.output.out(
      list
        .map(
          (n) =>
            `${n.name}  ${n.state}  ${n.host}:${n.port}  lag ${n.lagBytes ?? "?"} B / ${n.lagSeconds ?? "?"} s`,
        )
        .join("\n"),
    );
  return 0;
}
