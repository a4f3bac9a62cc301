import type { Config } from "../model/config.js";
import type { Problem } from "../model/problem.js";

/** One assignment read from config.env, with the value bash would give it. */
export interface EnvEntry {
  key: string;
  value: string;
  /** 1-based line of the assignment. */
  line: number;
  /** Whether the line used `export`. */
  exported: boolean;
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
