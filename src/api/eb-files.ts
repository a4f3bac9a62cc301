import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { type BundleFile, type EbPlatform, migrateHookFiles } from "../migrate/eb-hooks.js";
import { EB_RDS_CA_PATH, ebFiles } from "../targets/aws/rds-ca.js";
import type { CommandContext } from "./context.js";
import { chooseTool, type ToolChoice } from "./migrate.js";

export interface EbFilesResult {
  /** The directory written into (the application's source bundle root). */
  dir: string;
  /** Where the EB instances hold the bundle (DATABASE_URL's sslrootcert, PGSSLROOTCERT). */
  installedAt: string;
  files: { path: string; bytes: number; changed: boolean }[];
}

/**
 * `ebdb eb-files [--out DIR]`: writes into the application's source bundle (DIR, default the current
 * directory) the files that put the RDS CA bundle on every EB instance at EB_RDS_CA_PATH, where
 * DATABASE_URL's sslrootcert and PGSSLROOTCERT point: `.platform/ebdb-rds-ca-bundle.pem` and
 * `.ebextensions/ebdb-rds-ca.config` (see targets/aws/rds-ca.ts). Needs no configuration and no AWS
 * access; a file already holding the same content is left untouched (`changed: false`).
 */
export async function writeEbFiles(ctx: CommandContext, opts: { out?: string } = {}): Promise<EbFilesResult> {
  const dir = resolve(ctx.cwd, opts.out ?? ".");
  return { dir, installedAt: EB_RDS_CA_PATH, files: await writeBundle(dir, ebFiles()) };
}

/**
 * Writes `files` under `dir`, each with its mode (an existing file's mode is set too: a hook must stay
 * executable); a file already holding the same content and mode is left untouched (`changed: false`).
 */
async function writeBundle(dir: string, bundle: BundleFile[]): Promise<EbFilesResult["files"]> {
  const files: EbFilesResult["files"] = [];
  for (const f of bundle) {
    const path = join(dir, f.path);
    const bytes = Buffer.byteLength(f.content);
    const old = await readFile(path, "utf8").catch(() => null);
    if (old !== f.content) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, f.content, { mode: f.mode });
    }
    await chmod(path, f.mode);
    files.push({ path: f.path, bytes, changed: old !== f.content });
  }
  return files;
}

export interface MigrateHooksResult extends EbFilesResult {
  tool: string;
  /** The files that made `auto` choose the tool (empty with --tool). */
  evidence: string[];
  platform: EbPlatform;
}

/**
 * `ebdb eb-hooks migrate [--tool T|auto] [--platform al2023|al2] [--out DIR]`: writes into the
 * application's source bundle (DIR, default the current directory, where `auto` also looks for the
 * tool: chooseTool) the files that run its migrations at each deployment on one instance, before the
 * new version serves (migrateHookFiles: a leader-only container command, and on AL2023 a predeploy
 * hook), reading the connection as the application does; and the RDS CA files of `eb-files`, since
 * the migration verifies the server with them. No configuration or AWS access needed. Errors:
 * chooseTool's (exit 2).
 */
export async function writeMigrateHooks(
  ctx: CommandContext,
  opts: { out?: string; tool?: ToolChoice; platform?: EbPlatform } = {},
): Promise<MigrateHooksResult> {
  const dir = resolve(ctx.cwd, opts.out ?? ".");
  const chosen = chooseTool({ ...ctx, cwd: dir }, opts.tool ?? "auto");
  const platform = opts.platform ?? "al2023";
  const files = await writeBundle(dir, [...ebFiles(), ...migrateHookFiles(chosen.spec, platform)]);
  return {
    dir,
    installedAt: EB_RDS_CA_PATH,
    files,
    tool: chosen.spec.tool,
    evidence: chosen.evidence,
    platform,
  };
}
