import { type ShowConfigResult, showConfig } from "../../api/show-config.js";
import { fileLabel, problemsJson } from "../../config/format-problem.js";
import { bashQuote } from "../../config/template.js";
import { type CliContext, printJson } from "../output.js";
import { printProblems } from "./validate.js";

/** `ebdb config [--json] [--show-secrets]`: the configuration as ebdb understood it. */
export async function run(cli: CliContext): Promise<number> {
  const flags = cli.flags as typeof cli.flags & { showSecrets?: boolean };
  const r = await showConfig(cli.ctx, { showSecrets: flags.showSecrets === true });
  const label = fileLabel(r.file, cli.ctx.cwd);
  if (!r.ok) {
    if (flags.json) printJson(cli.output, { ok: false, file: r.file, ...problemsJson(r.problems) });
    else printProblems(cli.output, label, r.problems);
    return 2;
  }
  if (flags.json) {
    printJson(cli.output, { file: r.file, values: r.values, resolved: r.resolved, notes: r.notes });
    return 0;
  }
  printProblems(cli.output, label, r.problems);
  cli.output.out(renderConfigText(r, label));
  for (const n of r.notes) cli.output.err(`note: ${n}`);
  return 0;
}

/** The text view: a config.env with every key resolved, defaults marked, derived names at the end. */
export function renderConfigText(r: ShowConfigResult, label: string): string {
  const lines = [`# ${label}, as ebdb understands it (keys not in the file show their default)`];
  for (const k of r.keys) {
    const notes = [k.fromFile ? "" : "default", k.note ?? ""].filter(Boolean).join("; ");
    const assignment = k.value === null ? `# ${k.key}` : `${k.key}=${bashQuote(k.value)}`;
    lines.push(notes ? `${assignment}  # ${notes}` : assignment);
  }
  const names = (r.resolved?.names ?? {}) as Record<string, string>;
  lines.push("", "# Derived names:");
  for (const [what, name] of Object.entries(names)) lines.push(`#   ${what.padEnd(20)} ${name}`);
  return `${lines.join("\n")}\n`;
}
