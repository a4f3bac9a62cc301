import { whileAsking } from "./interrupt.js";
import { createInterface } from "node:readline/promises";
import { userError } from "../errors.js";
import type { EbdbEvent, IoHost, Question } from "../io.js";
import type { Output } from "./output.js";

/**
 * Renders library events for a person (stderr, so stdout stays clean for data) and asks
 * questions on the terminal. With --json, events go to stderr as JSON lines.
 */
export class TerminalIoHost implements IoHost {
  constructor(
    private readonly output: Output,
    private readonly opts: { yes: boolean; json: boolean },
  ) {}

  event(e: EbdbEvent): void {
    if (this.opts.json) {
      if (e.type !== "plan") this.output.err(JSON.stringify(e));
      return;
    }
    const line = render(e, this.output.color);
    if (line) this.output.err(line);
  }

  async confirm(q: Question): Promise<boolean> {
    if (this.opts.yes) return true;
    if (!this.output.isTTY) {
      throw userError(
        "CONFIRMATION_REQUIRED",
        `${q.message} — this needs a confirmation, and standard input is not a terminal.`,
        "Run it again with --yes to confirm.",
      );
    }
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = await whileAsking(() => rl.question(`${q.message} [y/N] `));
      return /^y(es)?$/i.test(answer.trim());
    } finally {
      rl.close();
    }
  }
}

function paint(color: boolean, code: number, text: string): string {
  return color ? `\u001b[${code}m${text}\u001b[0m` : text;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
}

export function render(e: EbdbEvent, color: boolean): string | null {
  switch (e.type) {
    case "info":
      return e.message;
    case "result":
      return paint(color, 32, e.message);
    case "warning":
      return `${paint(color, 33, "warning:")} ${e.message}${e.hint ? `\n  ${e.hint}` : ""}`;
    case "progress":
      return `${paint(color, 2, "…")} ${e.message}${e.elapsedMs !== undefined ? ` (${seconds(e.elapsedMs)})` : ""}`;
    case "change-start":
      return null;
    case "change-done":
      return `${paint(color, 32, "✓")} ${e.change.reason} (${seconds(e.ms)})`;
    case "plan":
      return null;
  }
}
