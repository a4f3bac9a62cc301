import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { EB_RDS_CA_PATH, ebFiles } from "../targets/aws/rds-ca.js";
import type { CommandContext } from "./context.js";

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
 * DATABASE_URL's sslrootcert and PGSSLROOTCERT point: `.ebdb/rds-ca-bundle.pem` and
 * `.ebextensions/ebdb-rds-ca.config` (see targets/aws/rds-ca.ts). Needs no configuration and no AWS
 * access; a file already holding the same content is left untouched (`changed: false`).
 */
export async function writeEbFiles(ctx: CommandContext, opts: { out?: string } = {}): Promise<EbFilesResult> {
  const dir = resolve(ctx.cwd, opts.out ?? ".");
  const files: EbFilesResult["files"] = [];
  for (const f of ebFiles()) {
    const path = join(dir, f.path);
    const bytes = Buffer.byteLength(f.content);
    const old = await readFile(path, "utf8").catch(() => null);
    if (old === f.content) {
      files.push({ path: f.path, bytes, changed: false });
      continue;
    }
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, f.content, { mode: f.mode });
    files.push({ path: f.path, bytes, changed: true });
  }
  return { dir, installedAt: EB_RDS_CA_PATH, files };
}
