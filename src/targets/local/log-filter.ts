/**
 * Filters a PostgreSQL server log as ebdb writes it (log_line_prefix '%m [%p] %q%u@%d ', log_timezone
 * UTC: "2026-11-30 06:06:22.123 UTC [1234] app@app LOG:  ..."): only the slow statements
 * (log_min_duration_statement's "duration: N ms  statement: ..."), only what was logged from a time
 * on, or both. An entry is its prefixed line and the lines that continue it (a multi-line statement),
 * so a kept entry is kept whole. Pure: text in, text out.
 */

const PREFIX = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) (UTC|GMT) \[\d+\] /;
/** log_min_duration_statement's line (PostgreSQL docs, "When to Log"): also "execute <name>:", "parse", "bind". */
const SLOW = /\bLOG: {2}duration: \d+(\.\d+)? ms {2}(statement|execute|parse|bind|fastpath)/;

/** The time an entry's first line was logged; null for a line that continues an entry. */
export function entryTime(line: string): Date | null {
  const m = PREFIX.exec(line);
  return m ? new Date(`${m[1]}T${m[2]}Z`) : null;
}

export interface LogFilterOptions {
  slow?: boolean;
  since?: Date;
}

/** Line by line, across chunks: feed chunks as they are read; each returns the kept complete lines. */
export class LogFilter {
  private partial = "";
  /** Whether the entry being read is kept (continuation lines follow it). */
  private keep = false;

  constructor(private readonly opts: LogFilterOptions) {}

  /** Whether this filter drops anything (else the caller may pass text through unchanged). */
  get active(): boolean {
    return Boolean(this.opts.slow || this.opts.since);
  }

  push(chunk: string): string {
    const text = this.partial + chunk;
    const lines = text.split("\n");
    this.partial = lines.pop() ?? "";
    let out = "";
    for (const line of lines) {
      const at = entryTime(line);
      if (at) {
        this.keep =
          (!this.opts.since || at.getTime() >= this.opts.since.getTime()) &&
          (!this.opts.slow || SLOW.test(line));
      }
      if (this.keep) out += `${line}\n`;
    }
    return out;
  }
}
