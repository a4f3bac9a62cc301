import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ENGINES } from "../config/catalog/engines.js";
import { fileLabel } from "../config/format-problem.js";
import { configPathFor } from "../config/read.js";
import { appNameFromFile } from "../config/rules-names.js";
import { configTemplate } from "../config/template.js";
import { userError } from "../errors.js";
import type { CommandContext } from "./context.js";

export interface InitOptions {
  /** Overwrite an existing config file. */
  force?: boolean;
}

export interface InitResult {
  /** Absolute path of the config file written. */
  file: string;
  /** Whether an existing file was replaced (only with force). */
  overwritten: boolean;
  /** The APP_NAME written: the folder's name, sanitized. */
  appName: string;
  gitignore: { file: string; action: "created" | "appended" | "unchanged" };
}

/**
 * Writes a commented config.env with the recommended defaults (APP_NAME from its folder's name)
 * and makes sure `.ebdb/` (local state) is in the .gitignore beside it. Refuses to overwrite an
 * existing file unless `force`.
 */
export async function init(ctx: CommandContext, opts: InitOptions = {}): Promise<InitResult> {
  const file = configPathFor(ctx);
  const label = fileLabel(file, ctx.cwd);
  const existed = await exists(file);
  if (existed && !opts.force) throw alreadyThere(label);
  const appName = appNameFromFile(file);
  await mkdir(dirname(file), { recursive: true });
  try {
    await writeFile(file, configTemplate({ appName, engineVersion: ENGINES.postgres.defaultVersion }), {
      flag: opts.force ? "w" : "wx",
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") throw alreadyThere(label);
    throw userError(
      "CONFIG_WRITE_FAILED",
      `Cannot write ${label}: ${(e as Error).message}`,
      "Check that the folder exists and is writable.",
    );
  }
  const gitignore = await ensureIgnored(join(dirname(file), ".gitignore"));
  return { file, overwritten: existed, appName, gitignore };
}

function alreadyThere(label: string) {
  return userError(
    "CONFIG_EXISTS",
    `${label} already exists; ebdb init leaves it as it is.`,
    "Edit it (then `ebdb validate`), or run `ebdb init --force` to replace it with the defaults.",
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Adds `.ebdb/` to a .gitignore once: creates the file, or appends unless a line already covers it. */
async function ensureIgnored(path: string): Promise<InitResult["gitignore"]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    await writeFile(path, "# ebdb's local state (databases, backups, generated passwords)\n.ebdb/\n");
    return { file: path, action: "created" };
  }
  if (text.split(/\r?\n/).some((l) => /^\/?\.ebdb\/?(\*\*?)?$/.test(l.trim())))
    return { file: path, action: "unchanged" };
  const sep = text === "" || text.endsWith("\n") ? "" : "\n";
  await writeFile(path, `${text}${sep}.ebdb/\n`);
  return { file: path, action: "appended" };
}
