import type { Stats } from "node:fs";
import { constants } from "node:fs";
import { open, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { CommandContext } from "../api/context.js";
import { type EbdbError, isEbdbError, userError } from "../errors.js";

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

/** The configuration file to read, and how it was chosen. */
export interface ConfigLocation {
  /** Absolute path. */
  file: string;
  /** `flag`: --config; `env`: $EBDB_CONFIG; `cwd`: ./config.env; `parent`: a config.env above. */
  how: "flag" | "env" | "cwd" | "parent";
}

/**
 * Finds the configuration file as git finds `.git`: `--config PATH`, else `$EBDB_CONFIG`, else the
 * nearest `config.env` in the working folder or a folder above it, up to the filesystem root, so a
 * command run from a subfolder of the project uses the project's file. A `config.env` that is a
 * folder is passed over. Like git's safe.directory check, a file found above that belongs to another
 * user (not this one, not root) is refused rather than used: someone else's /tmp/config.env must
 * not configure your database.
 *
 * Throws user errors (exit 2): CONFIG_PATH_EMPTY (an empty --config), CONFIG_NOT_FOUND (no
 * config.env here or above), CONFIG_NOT_OURS (the nearest one above is another user's).
 */
export async function findConfigFile(ctx: CommandContext): Promise<ConfigLocation> {
  const chosen = configPathFor(ctx);
  if (ctx.configPath) return { file: chosen, how: "flag" };
  if (ctx.env.EBDB_CONFIG) return { file: chosen, how: "env" };
  const start = resolve(ctx.cwd);
  for (let dir = start; ; dir = dirname(dir)) {
    const file = join(dir, "config.env");
    const info = await stat(file).catch((e: NodeJS.ErrnoException) =>
      // Missing, or a path that cannot hold it: look further up. Anything else (permission
      // denied...) is the reader's to explain, for the file that is there.
      e.code === "ENOENT" || e.code === "ENOTDIR" ? null : undefined,
    );
    if (info === undefined) return { file, how: dir === start ? "cwd" : "parent" };
    if (info && !info.isDirectory()) {
      if (dir === start) return { file, how: "cwd" };
      refuseOthers(file, info);
      return { file, how: "parent" };
    }
    if (dirname(dir) === dir) break;
  }
  throw userError(
    "CONFIG_NOT_FOUND",
    `No config.env in ${start} or any folder above it.`,
    "Run `ebdb init` to create one here, or pass --config PATH (or set EBDB_CONFIG) to use another file.",
  );
}

function refuseOthers(file: string, info: Stats): void {
  const me = process.getuid?.();
  if (me === undefined || info.uid === me || info.uid === 0) return;
  throw userError(
    "CONFIG_NOT_OURS",
    `The nearest config.env above this folder, ${file}, belongs to another user (uid ${info.uid}): ebdb does not use it.`,
    `Run ebdb in your project's folder (\`ebdb init\` writes a config.env there), or pass --config ${file} if you trust that file.`,
  );
}

/** What readRegularFile says about the file it reads, and the error code it uses. */
export interface RegularFileKind {
  /** The error code for a file that is there but cannot be used, e.g. CONFIG_UNREADABLE. */
  code: string;
  /** Refuse anything larger, in bytes. */
  maxBytes: number;
  /** What the file is, after "a"/"at most": "configuration file", "load trace". */
  noun: string;
  /** "ebdb reads ___ only from a regular file": "its configuration", "a load trace". */
  reads: string;
  /** How to point at another file: the hint of most errors. */
  hint: string;
  /** The error for a path where nothing is. */
  notFound: (path: string) => EbdbError;
}

const CONFIG_FILE: RegularFileKind = {
  code: "CONFIG_UNREADABLE",
  maxBytes: MAX_CONFIG_BYTES,
  noun: "configuration file",
  reads: "its configuration",
  hint: "Pass the path of a config.env file with --config (or EBDB_CONFIG); `ebdb init` writes one.",
  notFound: (path) =>
    userError(
      "CONFIG_NOT_FOUND",
      `No configuration file at ${path}.`,
      "Run `ebdb init` to create one, or pass --config PATH (or set EBDB_CONFIG) to use another file.",
    ),
};

/**
 * The bytes of the configuration file (decoding is the parser's job, so bad bytes become
 * problems with line numbers): readRegularFile with MAX_CONFIG_BYTES. Throws a user error (exit 2):
 * CONFIG_NOT_FOUND when there is no file, CONFIG_UNREADABLE when it is not a regular file, not
 * readable, or too large.
 */
export function readConfigBytes(path: string): Promise<Uint8Array> {
  return readRegularFile(path, CONFIG_FILE);
}

/**
 * The bytes of a file the user named (a configuration file, a load trace...). Only a regular file
 * (or a symlink to one) of at most `kind.maxBytes` is read; a FIFO, device or socket is refused
 * before it is opened, so a read never blocks and never grows without bound. Throws user errors
 * (exit 2) with `kind.code`, or `kind.notFound(path)` when nothing is there.
 */
export async function readRegularFile(path: string, kind: RegularFileKind): Promise<Uint8Array> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (e) {
    throw readError(path, e as NodeJS.ErrnoException, kind);
  }
  checkKind(path, info, kind);
  // O_NONBLOCK: if a FIFO was put in the file's place since stat, open must not wait for a writer.
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw readError(path, e as NodeJS.ErrnoException, kind);
  }
  try {
    checkKind(path, await handle.stat(), kind);
    // Read at most one byte past the limit: the size stat gives can be stale, or 0 (procfs).
    const buffer = new Uint8Array(kind.maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > kind.maxBytes) throw tooLarge(path, undefined, kind);
    return buffer.slice(0, length);
  } catch (e) {
    throw isEbdbError(e) ? e : readError(path, e as NodeJS.ErrnoException, kind);
  } finally {
    await handle.close();
  }
}

/** Refuses what is not a regular file of a sane size, naming what it is instead. */
function checkKind(path: string, info: Stats, kind: RegularFileKind): void {
  if (info.isDirectory()) {
    throw readError(path, Object.assign(new Error("EISDIR"), { code: "EISDIR" }), kind);
  }
  if (!info.isFile()) {
    const what = info.isFIFO()
      ? "a named pipe (FIFO)"
      : info.isCharacterDevice() || info.isBlockDevice()
        ? "a device"
        : info.isSocket()
          ? "a socket"
          : "a special file";
    throw userError(
      kind.code,
      `${path} is ${what}, not a regular file: ebdb reads ${kind.reads} only from a regular file.`,
      kind.hint,
    );
  }
  if (info.size > kind.maxBytes) throw tooLarge(path, info.size, kind);
}

function tooLarge(path: string, size: number | undefined, kind: RegularFileKind) {
  const bytes = (n: number) => `${n.toLocaleString("en-US")} bytes`;
  const limit =
    kind.maxBytes % (1024 * 1024) === 0
      ? `${kind.maxBytes / 1024 / 1024} MiB (${bytes(kind.maxBytes)})`
      : bytes(kind.maxBytes);
  return userError(
    kind.code,
    `${path} is ${size === undefined ? "larger than the limit" : bytes(size)}: ebdb reads a ${kind.noun} of at most ${limit}.`,
    kind === CONFIG_FILE
      ? "Check the path given with --config or EBDB_CONFIG: a config.env is a few KiB."
      : kind.hint,
  );
}

function readError(path: string, e: NodeJS.ErrnoException, kind: RegularFileKind) {
  switch (e.code) {
    case "ENOENT":
    case "ENOTDIR":
      return kind.notFound(path);
    case "EISDIR":
      return userError(
        kind.code,
        `${path} is a folder, not a ${kind.noun}.`,
        `Pass the path of the file itself${kind === CONFIG_FILE ? ", e.g. --config path/to/config.env" : ""}.`,
      );
    case "EACCES":
    case "EPERM":
      return userError(
        kind.code,
        `${path} cannot be read: permission denied.`,
        `Make it readable by this user (e.g. chmod 600, owned by you)${kind === CONFIG_FILE ? ", or pass --config PATH" : ""}.`,
      );
    default:
      return userError(kind.code, `${path} cannot be read (${e.code ?? e.message}).`, kind.hint);
  }
}

/** A file's permission bits (st_mode & 0o7777), or 0 when it cannot be read (config/load.ts's warning). */
export async function fileMode(path: string): Promise<number> {
  return ((await stat(path).catch(() => null))?.mode ?? 0) & 0o7777;
}
