/**
 * A value that must never be printed. `String(secret)`, `JSON.stringify`, template literals and
 * `util.inspect` all give the redaction; only `reveal()` gives the value, so every place that
 * needs the real password is easy to find with grep.
 */
const REDACTED = "********";

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `Secret(${REDACTED})`;
  }
}

export const REDACTION = REDACTED;
