import type { AuditReport, PracticeStatus } from "../../audit/types.js";

const LABEL: Record<PracticeStatus, string> = { pass: "PASS", fail: "FAIL", skipped: "SKIP" };
const COLOR: Record<PracticeStatus, string> = { pass: "32", fail: "31", skipped: "2" };

/**
 * The text report: the practices in the spec's order, each PASS, FAIL or SKIP with what was found;
 * a failing one with its fix and the ebdb command that makes it. Colour only when `color`.
 */
export function auditLines(r: AuditReport, color: boolean): string[] {
  const paint = (s: PracticeStatus, t: string) => (color ? `\u001b[${COLOR[s]}m${t}\u001b[0m` : t);
  const lines = [`${r.identifier} (${r.target}): the spec's best practices`];
  r.practices.forEach((p, i) => {
    lines.push(`  ${paint(p.status, LABEL[p.status])}  ${String(i + 1).padStart(2)}. ${p.title}`);
    lines.push(`          ${p.summary}`);
    if (p.fix) lines.push(`          fix: ${p.fix}`);
    if (p.command) lines.push(`          run: ${p.command}`);
  });
  const count = (s: PracticeStatus) => r.practices.filter((p) => p.status === s).length;
  lines.push(`${count("pass")} pass, ${count("fail")} fail, ${count("skipped")} skipped`);
  return lines;
}
