import type { CommandContext } from "../api/context.js";

/** Where a command writes. Tests replace it; the real one writes to the process streams. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** Whether colour is allowed (a TTY and no NO_COLOR). */
  color: boolean;
  isTTY: boolean;
}

export const processOutput: Output = {
  out: (t) => process.stdout.write(t.endsWith("\n") ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith("\n") ? t : `${t}\n`),
  color: Boolean(process.stderr.isTTY) && !process.env.NO_COLOR,
  isTTY: Boolean(process.stdin.isTTY),
};

/** Flags every command has. */
export interface GlobalFlags {
  config?: string;
  target?: string;
  json?: boolean;
  yes?: boolean;
  debug?: boolean;
  profile?: string;
  region?: string;
}

/** What a CLI command module receives. */
export interface CliContext {
  ctx: CommandContext;
  flags: GlobalFlags;
  output: Output;
}

export function printJson(output: Output, value: unknown): void {
  output.out(JSON.stringify(value, null, 2));
}
