import { decouple } from "../../api/decouple.js";
import type { DecoupleReport } from "../../api/decouple.js";
import { type CliContext, printJson } from "../output.js";

/** `ebdb decouple --target aws [--yes] [--json]`: take an EB-coupled database out of its environment. JSON: the DecoupleReport. */
export async function run(cli: CliContext): Promise<number> {
  const r = await decouple(cli.ctx);
  if (cli.flags.json) {
    printJson(cli.output, r);
    return 0;
  }
  cli.output.out(decoupleLines(r).join("\n"));
  return 0;
}

/** What decouple says, as text: each step, whether this run made it, and where the application's variables lead. */
export function decoupleLines(r: DecoupleReport): string[] {
  const lines = r.steps.map(
    (s) =>
      `${s.outcome === "done" ? "✓" : "="} ${s.step.padEnd(8)} ${s.detail}; the application reaches ${r.identifier} (${s.reach.families.join(", ")})`,
  );
  lines.push(`${r.identifier} is decoupled from ${r.environment}. Next: \`ebdb plan --target aws\`.`);
  return lines;
}
