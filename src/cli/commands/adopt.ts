import { worstImpact } from "../../model/change.js";
import { type AdoptResult, adopt } from "../../api/adopt.js";
import { fileLabel } from "../../config/format-problem.js";
import { userError } from "../../errors.js";
import { type CliContext, type GlobalFlags, printJson } from "../output.js";

type AdoptFlags = GlobalFlags & { identifier: string };

/**
 * `ebdb adopt --identifier ID [--region R] [--profile P] [--json]`: describe an existing RDS instance
 * in config.env and tag it as ebdb's; nothing else changes. JSON: the AdoptResult.
 */
export async function run(cli: CliContext): Promise<number> {
  const flags = cli.flags as AdoptFlags;
  if (flags.target === "local") {
    throw userError(
      "NOT_ON_LOCAL",
      "adopt reads an RDS instance: it works on the AWS target only (--target local was given).",
      "Leave --target out, or pass --target aws.",
    );
  }
  const r = await adopt(cli.ctx, { identifier: flags.identifier });
  if (flags.json) {
    printJson(cli.output, r);
    return 0;
  }
  cli.output.out(adoptLines(r, cli.ctx.cwd).join("\n"));
  return 0;
}

/** What adopt says, as text: what it read and wrote, what differs from the production defaults, the notes. */
export function adoptLines(r: AdoptResult, cwd: string): string[] {
  const label = fileLabel(r.file, cwd);
  const env = r.environment;
  const lines = [
    `Adopted ${r.identifier}${env ? ` (EB environment ${env.application}/${env.name}${env.coupled ? `, coupled: DBDeletionPolicy ${env.deletionPolicy}` : ""})` : " (no EB environment uses it)"}${
      r.replicas.length ? `; read replicas ${r.replicas.join(", ")}` : ""
    }.`,
    r.config === "unchanged"
      ? `${label} already describes it.`
      : `${r.config === "written" ? "Wrote" : "Rewrote"} ${label}: every key, each with where its value came from.${
          r.replacedKeys.length ? ` It had other values for ${r.replacedKeys.join(", ")}.` : ""
        }`,
    r.tagged.length ? `Tagged ${r.tagged.join(", ")} as ebdb's.` : "Its tags were already ebdb's.",
    "Nothing else was changed.",
  ];
  if (r.differences.length) {
    lines.push("", "Below ebdb's production defaults (set the default in config.env and `ebdb up` does it):");
    for (const d of r.differences) {
      const c = d.changes[0];
      const more = d.changes.length - 1;
      const also = more > 0 ? ` (and ${more} more change${more > 1 ? "s" : ""})` : "";
      const impact = worstImpact(d.changes.map((x) => x.impact));
      const def = d.production === "" ? "default empty: ebdb's own" : `default "${d.production}"`;
      lines.push(`  ${d.key}="${d.live}" (${def})${c ? `: ${c.reason}${also} [impact: ${impact}]` : ""}`);
    }
  }
  if (r.notes.length) lines.push("", ...r.notes.map((n) => `• ${n}`));
  return lines;
}
