import type { PoolSizing } from "../../pooling/sizing.js";

/**
 * The pool sizing block `plan` ends with: a blank line, "Connections:", the arithmetic one step a
 * line, then each warning (a configuration whose instances can exhaust the server). Empty when the
 * instance class's max_connections is unknown.
 */
export function poolingLines(p: PoolSizing | null): string[] {
  if (!p) return [];
  return [
    "",
    "Connections (pool sizing):",
    ...p.lines.map((l) => `  ${l}`),
    ...p.warnings.map((w) => `  warning: ${w}`),
  ];
}
