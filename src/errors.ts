/**
 * The one error type a user sees. Library code throws it; only cli/main.ts turns it into
 * a message and an exit code (2 for the user's input or configuration, 1 for a failed operation).
 */
export type Fault = "user" | "system";

export interface EbdbErrorOptions {
  /** Stable machine-readable code, e.g. `CONFIG_INVALID`, `PG_NOT_FOUND`, `AWS_CALL_FAILED`. */
  code: string;
  message: string;
  /** What to do about it, one or two sentences. */
  hint?: string;
  /** `user`: bad input or configuration (exit 2). `system`: the operation failed (exit 1). */
  fault: Fault;
  cause?: unknown;
  /** Extra structured detail for --json output (never secrets). */
  details?: Record<string, unknown>;
}

export class EbdbError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly fault: Fault;
  readonly details?: Record<string, unknown>;

  constructor(opts: EbdbErrorOptions) {
    super(opts.message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "EbdbError";
    this.code = opts.code;
    this.hint = opts.hint;
    this.fault = opts.fault;
    this.details = opts.details;
  }

  get exitCode(): 1 | 2 {
    return this.fault === "user" ? 2 : 1;
  }
}

/** Shorthand for an error caused by the user's input (exit code 2). */
export function userError(
  code: string,
  message: string,
  hint?: string,
  details?: Record<string, unknown>,
): EbdbError {
  return new EbdbError({ code, message, hint, fault: "user", details });
}

/** Shorthand for an operation that failed (exit code 1). */
export function systemError(code: string, message: string, hint?: string, cause?: unknown): EbdbError {
  return new EbdbError({ code, message, hint, fault: "system", cause });
}

export function isEbdbError(e: unknown): e is EbdbError {
  return e instanceof EbdbError;
}
