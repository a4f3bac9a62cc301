import type { Config } from "../model/config.js";
import type { Problem } from "../model/problem.js";
import type { ExpansionSyntax } from "./parse-value.js";

/** An expansion whose name no assignment above defined: bash took it from the caller's environment. */
export interface CallerRef {
  name: string;
  syntax: ExpansionSyntax;
  /** Whether the caller's environment had it (so it gave a value) when the file was read. */
  set: boolean;
}

/** One assignment read from config.env, with the value bash would give it. */
export interface EnvEntry {
  key: string;
  value: string;
  /** 1-based line of the assignment. */
  line: number;
  /** Whether the line used `export`. */
  exported: boolean;
  /**
   * Expansions in the value (`$NAME`, `${NAME}`, `${NAME:-word}`, `~`) that no assignment above
   * defines, so the value depends on who runs ebdb. Absent when there are none.
   */
  fromCaller?: CallerRef[];
  /**
   * The line of the first assignment this value uses whose own value depends on the caller's
   * environment (a line above, or this one). Absent when none.
   */
  via?: number;
}

export interface ParseResult {
  entries: EnvEntry[];
  problems: Problem[];
}

export interface LoadResult {
  /** Absolute path of the file read. */
  file: string;
  entries: EnvEntry[];
  /** null when there are errors. */
  config: Config | null;
  /** Every problem found, errors and warnings, in line order. */
  problems: Problem[];
}
