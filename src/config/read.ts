import { open } from "node:fs/promises";
import { resolve } from "node:path";
import type { CommandContext } from "../api/context.js";
import { isEbdbError, userError } from "../errors.js";

/** Larger than any real config.env; refusing it early keeps a wrong --config from eating memory. */
const MAX_BYTES = 16 * 1024 * 1024;

/**
 * The absolute path of the configuration file: `--config PATH`, else `$EBDB_CONFIG`, else
 * `./config.env`; relative paths are taken from `ctx.cwd`. An empty value counts as not given.
 */
export function configPathFor(ctx: CommandContext): string {
  const given = ctx.configPath || ctx.env.EBDB_CONFIG || "config.env";
  return resolve(ctx.cwd, given);
}

/**
 * The bytes of the configuration file (decoding is the parser's job, so bad bytes become
 * problems with line numbers). Throws a user error CONFIG_NOT_FOUND when there is no file, and
 * CONFIG_UNREADABLE when it is a folder, not readable, or absurdly large.
 */
export async function readConfigBytes(path: string): Promise<Uint8Array> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (e) {
    throw readError(path, e as NodeJS.ErrnoException);
  }
  try {
    const { size } = await handle.stat();
    if (size > MAX_BYTES) {
      throw userError(
        "CONFIG_UNREADABLE",
        `${path} is ${Math.round(size / 1024 / 1024)} MiB, far too large for a configuration file.`,
        "Check the path given with --config or EBDB_CONFIG.",
      );
    }
    return await handle.readFile();
  } catch (e) {
    throw isEbdbError(e) ? e : readError(path, e as NodeJS.ErrnoException);
  } finally {
    await handle.close();
  }
}

function readError(path: string, e: NodeJS.ErrnoException) {
  switch (e.code) {
    case "ENOENT":
    case "ENOTDIR":
      return userError(
        "CONFIG_NOT_FOUND",
        `No configuration file at ${path}.`,
        "Run `ebdb init` to create one, or pass --config PATH (or set EBDB_CONFIG) to use another file.",
      );
    case "EISDIR":
      return userError(
        "CONFIG_UNREADABLE",
        `${path} is a folder, not a configuration file.`,
        "Pass the path of the file itself, e.g. --config path/to/config.env.",
      );
    case "EACCES":
    case "EPERM":
      return userError(
        "CONFIG_UNREADABLE",
        `${path} cannot be read: permission denied.`,
        "Make it readable by this user (e.g. chmod 600, owned by you), or pass --config PATH.",
      );
    default:
      return userError(
        "CONFIG_UNREADABLE",
        `${path} cannot be read (${e.code ?? e.message}).`,
        "Check the file and its folder, or pass --config PATH.",
      );
  }
}
