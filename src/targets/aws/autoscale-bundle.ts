import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { systemError } from "../../errors.js";

/** The package's root (where package.json is), from this file in src/ or dist/. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw systemError("INTERNAL", "ebdb's package.json was not found (a bug).");
    dir = up;
  }
  return dir;
}

let cached: Promise<Uint8Array> | null = null;

/**
 * The autoscaler's Lambda deployment package: dist/lambda/autoscaler.zip, made at build time by
 * scripts/build-lambda.mjs (esbuild, a devDependency). Run from source (tests, a checkout without a
 * build) it is bundled now from the same script, so it is never older than the code.
 */
export function autoscalerZip(): Promise<Uint8Array> {
  cached ??= (async () => {
    const root = packageRoot();
    const fromSource = fileURLToPath(import.meta.url).endsWith(".ts");
    const built = join(root, "dist", "lambda", "autoscaler.zip");
    if (!fromSource && existsSync(built)) return new Uint8Array(readFileSync(built));
    const script = join(root, "scripts", "build-lambda.mjs");
    if (!existsSync(script))
      throw systemError(
        "NO_LAMBDA_BUNDLE",
        `${built} is missing from this installation of ebdb.`,
        "Reinstall ebdb (the package ships it), or run `npm run build` in a checkout.",
      );
    const { buildLambda } = (await import(pathToFileURL(script).href)) as {
      buildLambda(o: { root: string }): Promise<{ zip: Uint8Array }>;
    };
    return (await buildLambda({ root })).zip;
  })();
  return cached;
}

/** Lambda's CodeSha256 of a package: the SHA-256 of the zip, base64. */
export function codeSha256(zip: Uint8Array): string {
  return createHash("sha256").update(zip).digest("base64");
}
