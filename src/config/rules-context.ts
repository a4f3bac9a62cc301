import type { Problem } from "../model/problem.js";
import type { KeyName } from "./schema.js";
import type { EnvEntry } from "./types.js";

/** A key's value once read: a typed value, null for "none", or undefined when invalid (already reported). */
export type Scalar = string | number | boolean | null;

/**
 * The values the rules look at, by key. A key whose value was invalid holds nothing, so every rule
 * that needs it stays quiet instead of piling a second problem on the first.
 */
export class Values {
  readonly #m = new Map<KeyName, Scalar>();
  /** Keys whose value came from a default (or was derived), not from the file. */
  readonly defaulted = new Set<KeyName>();

  set(key: KeyName, value: Scalar, fromDefault = false): void {
    this.#m.set(key, value);
    if (fromDefault) this.defaulted.add(key);
  }

  has(key: KeyName): boolean {
    return this.#m.has(key);
  }

  str(key: KeyName): string | undefined {
    const v = this.#m.get(key);
    return typeof v === "string" ? v : undefined;
  }

  /** A string key that may be empty: null for none. */
  optStr(key: KeyName): string | null | undefined {
    const v = this.#m.get(key);
    return v === null || typeof v === "string" ? v : undefined;
  }

  int(key: KeyName): number | undefined {
    const v = this.#m.get(key);
    return typeof v === "number" ? v : undefined;
  }

  /** An integer key that may be empty: null for none. */
  optInt(key: KeyName): number | null | undefined {
    const v = this.#m.get(key);
    return v === null || typeof v === "number" ? v : undefined;
  }

  bool(key: KeyName): boolean | undefined {
    const v = this.#m.get(key);
    return typeof v === "boolean" ? v : undefined;
  }
}

/** Collects problems, each placed on the line of the key the user should change. */
export class Findings {
  readonly problems: Problem[] = [];

  constructor(private readonly entries: ReadonlyMap<string, EnvEntry>) {}

  /** Whether config.env sets the key (as opposed to it taking its default). */
  isSet(key: string): boolean {
    return this.entries.has(key);
  }

  line(key: string): number | undefined {
    return this.entries.get(key)?.line;
  }

  error(keys: KeyName | readonly KeyName[], message: string, hint?: string): void {
    this.add("error", keys, message, hint);
  }

  warn(keys: KeyName | readonly KeyName[], message: string, hint?: string): void {
    this.add("warning", keys, message, hint);
  }

  /**
   * With several keys (a rule between keys), the problem goes to the first one the file sets, so
   * it has a line to point at; when the file sets none of them, to the first key, without a line.
   */
  add(
    severity: Problem["severity"],
    keys: KeyName | readonly KeyName[],
    message: string,
    hint?: string,
  ): void {
    const list: readonly string[] = typeof keys === "string" ? [keys] : keys;
    const key = list.find((k) => this.isSet(k)) ?? list[0];
    const p: Problem = { severity, key, message };
    const line = this.line(key);
    if (line !== undefined) p.line = line;
    if (hint !== undefined) p.hint = hint;
    this.problems.push(p);
  }
}

/** A value quoted for a message, shortened so a pasted blob does not flood the terminal. */
export function quote(value: string): string {
  const v = value.length > 60 ? `${value.slice(0, 57)}...` : value;
  return JSON.stringify(v);
}
