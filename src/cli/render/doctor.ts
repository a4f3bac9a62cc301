import { titleOf } from "../../doctor/registry.js";
import type { CheckStatus, DoctorReport } from "../../doctor/types.js";

const ORDER: CheckStatus[] = ["red", "yellow", "green", "skipped"];
const COLOR: Record<CheckStatus, string> = { red: "31", yellow: "33", green: "32", skipped: "2" };

/**
 * The text report: the red checks first, then yellow, green and skipped (as Heroku's pg:diagnose
 * lists them), each with what it saw and, when not green, the fix; a count at the end. Colour only
 * when `color` (a terminal without NO_COLOR).
 */
export function doctorLines(r: DoctorReport, color: boolean): string[] {
  const paint = (s: CheckStatus, text: string) => (color ? `\u001b[${COLOR[s]}m${text}\u001b[0m` : text);
  const width = Math.max(...r.checks.map((c) => titleOf(c.id).length));
  const lines = [`${r.identifier} (${r.target}), instance ${r.instance}:`];
  for (const status of ORDER) {
    const said = new Map<string, string[]>();
    for (const c of r.checks.filter((x) => x.status === status)) {
      // Skipped checks sharing one reason (AWS: every SQL check) say it once.
      const same = status === "skipped" ? said.get(c.summary) : undefined;
      if (same) {
        same.push(titleOf(c.id));
        continue;
      }
      if (status === "skipped") said.set(c.summary, []);
      const label = paint(status, status.toUpperCase().padEnd(7));
      lines.push(`  ${label}  ${titleOf(c.id).padEnd(width)}  ${c.summary}`);
      if (c.fix) lines.push(`  ${" ".repeat(7)}  ${" ".repeat(width)}  fix: ${c.fix}`);
      if (status === "skipped") lines.push(`\u0000${c.summary}`);
    }
    // Put the other titles where the first one's placeholder stands.
    for (const [summary, titles] of said) {
      const at = lines.indexOf(`\u0000${summary}`);
      if (titles.length === 0) lines.splice(at, 1);
      else lines[at] = `  ${" ".repeat(7)}  ${" ".repeat(width)}  (the same for ${titles.join(", ")})`;
    }
  }
  const count = (s: CheckStatus) => r.checks.filter((c) => c.status === s).length;
  lines.push(
    `${count("red")} red, ${count("yellow")} yellow, ${count("green")} green, ${count("skipped")} skipped`,
  );
  return lines;
}
