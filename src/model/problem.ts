/** One thing wrong (or worth a warning) in a configuration, located in its file. */
export interface Problem {
  severity: "error" | "warning";
  /** The config.env key, when the problem is about one key. */
  key?: string;
  /** 1-based line in the file, when known. */
  line?: number;
  /** What is wrong. Never contains a secret's value. */
  message: string;
  /** How to fix it. */
  hint?: string;
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === "error");
}
