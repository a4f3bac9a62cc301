import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { systemError, userError } from "../../errors.js";
import type { Compressor } from "./conf.js";

const DIRS = ["/usr/bin", "/bin", "/usr/local/bin", "/opt/homebrew/bin"];
const found = new Map<string, string | null>();

/** The absolute path of an executable `name` on PATH or in the usual places; null when there is none. */
export function findTool(name: string, path = process.env.PATH ?? ""): string | null {
  const key = `${name}\0${path}`;
  if (found.has(key)) return found.get(key)!;
  let hit: string | null = null;
  for (const dir of [...path.split(delimiter).filter((d) => d.startsWith("/")), ...DIRS]) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      hit = join(dir, name);
      break;
    } catch {
      // not there
    }
  }
  found.set(key, hit);
  return hit;
}

/**
 * How archived WAL is compressed: `EBDB_WAL_COMPRESSION` (zstd, gzip or off) when set, else zstd
 * when installed (about 4× smaller at a few percent of a core while loading data), else gzip (on
 * every Linux and macOS; slower, used only without zstd). null: archived as it is, by basic_archive.
 * A tool asked for by name that is not installed is an error naming the variable.
 */
export function walCompressor(env: Readonly<Record<string, string | undefined>>): Compressor | null {
  const asked = env.EBDB_WAL_COMPRESSION?.trim().toLowerCase();
  if (asked === "off") return null;
  if (asked && asked !== "zstd" && asked !== "gzip")
    throw userError(
      "BAD_WAL_COMPRESSION",
      `EBDB_WAL_COMPRESSION is "${env.EBDB_WAL_COMPRESSION}"; it may be zstd, gzip or off.`,
      "Set it to one of those, or unset it (zstd when installed, else gzip).",
    );
  for (const kind of asked ? [asked as Compressor["kind"]] : (["zstd", "gzip"] as const)) {
    const path = findTool(kind, env.PATH);
    if (path) return { kind, path };
  }
  if (asked)
    throw systemError(
      "BAD_WAL_COMPRESSION",
      `EBDB_WAL_COMPRESSION asks for ${asked}, which is not installed here.`,
      `Install ${asked}, or unset EBDB_WAL_COMPRESSION.`,
    );
  return null;
}
