import { up } from "../../api/up.js";
import { explainPlan } from "../../plan/explain.js";
import { type CliContext, type GlobalFlags, printJson } from "../output.js";

type UpFlags = GlobalFlags & { applyImmediately?: boolean; allowReplace?: boolean };

/** `ebdb up [--apply-immediately] [--allow-replace] [--yes] [--json]`: create or converge, saying what changed. */
export async function run(cli: CliContext): Promise<number> {
  const flags = cli.flags as UpFlags;
  const result = await up(cli.ctx, {
    applyImmediately: flags.applyImmediately,
    allowReplace: flags.allowReplace,
  });
  if (flags.json) {
    printJson(cli.output, result);
    return 0;
  }
  if (result.changed) {
    if (result.plan.notes.length) cli.output.err(result.plan.notes.map((n) => `• ${n}`).join("\n"));
  } else {
    cli.output.err(explainPlan(result.plan, { identifier: result.identifier }).join("\n"));
  }
  return 0;
}
