import type { CliContext } from "../output.js";

/**
 * `ebdb template-build <cache> <bindir> <version> <source>` (hidden): the detached process a first
 * local `up` starts to fill the initdb template cache after its primary is ready
 * (src/targets/local/template-cache.ts); not a command for users. Exits 1 without building when
 * the binaries are not the version named (the cache is keyed by it).
 */
export async function run(
  cli: CliContext,
  cache: string,
  bindir: string,
  version: string,
  source: string,
): Promise<number> {
  const { versionOf } = await import("../../targets/local/binaries.js");
  const { templateUser } = await import("../../targets/local/server-user.js");
  const { runTemplateBuild } = await import("../../targets/local/template-cache.js");
  if (versionOf(bindir) !== version || !["EBDB_PG_BIN", "system", "embedded"].includes(source)) return 1;
  const bins = {
    bindir,
    version,
    major: Number(version.split(".")[0]),
    source: source as "EBDB_PG_BIN" | "system" | "embedded",
  };
  // Three spares: a new project's first `up` of a primary and two replicas renames each copy.
  await runTemplateBuild(bins, templateUser(cli.ctx.env), cache, 3);
  return 0;
}
