import type { Stats } from "node:fs";
import { constants } from "node:fs";
import { open, stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { CommandContext } from "../api/context.js";
import { isEbdbError, userError } from "../errors.js";

/**
 * The largest configuration file ebdb reads: 1 MiB. ebdb's own commented template is about 10 KiB,
 * so anything near this is a wrong --config; refusing it keeps `--config /dev/zero`-like mistakes
 * from eating memory.
 */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * The absolute path of the configuration file: `--config PATH`, else `$EBDB_CONFIG`, else
 * `./config.env`; relative paths are taken from `ctx.cwd`. An empty EBDB_CONFIG counts as not set
 * (as an empty variable does in the shell); an empty --config is a user error (CONFIG_PATH_EMPTY),
 * since `--config "$UNSET_VAR"` silently using ./config.env could act on the wrong database.
 */
export function configPathFor(ctx: CommandContext): string {
  if (ctx.configPath === "") {
    throw userError(
      "CONFIG_PATH_EMPTY",
      "--config was given an empty path.",
      "Pass the file's path (e.g. --config envs/prod.env), or leave --config out to use ./config.env or $EBDB_CONFIG.",
    );
  }
  const given = ctx.configPath || ctx.env.EBDB_CONFIG || "config.env";
  return resolve(ctx.cwd, given);
}

/**
 * The bytes of the configuration file (decoding is the parser's job, so bad bytes become
 * problems with line numbers). Only a regular file (or a symlink to one) of at most
 * MAX_CONFIG_BYTES is read; a FIFO, device or socket is refused before it is opened, so a read
 * never blocks and never grows without bound. Throws a user error (exit 2): CONFIG_NOT_FOUND when
 * there is no file, CONFIG_UNREADABLE when it is not a regular file, not readable, or too large.
 */
export async function readConfigBytes(path: string): Promise<Uint8Array> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (e) {
    throw readError(path, e as NodeJS.ErrnoException);
  }
  checkKind(path, info);
  // O_NONBLOCK: if a FIFO was put in the file's place since stat, open must not wait for a writer.
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw readError(path, e as NodeJS.ErrnoException);
  }
  try {
    checkKind(path, await handle.stat());
    // Read at most one byte past the limit: the size stat gives can be stale, or 0 (procfs).
    const buffer = new Uint8Array(MAX_CONFIG_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > MAX_CONFIG_BYTES) throw tooLarge(path, undefined);
    return buffer.slice(0, length);
  } catch (e) {
    throw isEbdbError(e) ? e : readError(path, e as NodeJS.ErrnoException);
  } finally {
    await handle.close();
  }
}

/** Refuses what is not a regular file of a sane size, naming what it is instead. */
function checkKind(path: string, info: Stats): void {
  if (info.isDirectory()) throw readError(path, Object.assign(new Error("EISDIR"), { code: "EISDIR" }));
  if (!info.isFile()) {
    const what = info.isFIFO()
      ? "a named pipe (FIFO)"
      : info.isCharacterDevice() || info.isBlockDevice()
        ? "a device"
        : info.isSocket()
          ? "a socket"
          : "a special file";
    throw userError(
      "CONFIG_UNREADABLE",
      `${path} is ${what}, not a regular file: ebdb reads its configuration only from a regular file.`,
      "Pass the path of a config.env file with --config (or EBDB_CONFIG); `ebdb init` writes one.",
    );
  }
  if (info.size > MAX_CONFIG_BYTES) throw tooLarge(path, info.size);
}

function tooLarge(path: string, size: number | undefined) {
  const bytes = (n: number) => `${n.toLocaleString("en-US")} bytes`;
  return userError(
    "CONFIG_UNREADABLE",
    `${path} is ${size === undefined ? "larger than the limit" : bytes(size)}: ebdb reads a configuration file of at most 1 MiB (${bytes(MAX_CONFIG_BYTES)}).`,
    "Check the path given with --config or EBDB_CONFIG: a config.env is a few KiB.",
  );
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
