// Bundles the AWS autoscaling runner (src/targets/aws/autoscale-handler.ts and what it imports: the
// controller and the pure policy, never the CLI) into one CommonJS file for the Lambda Node.js
// runtime, and zips it deterministically (same source, same bytes: `up` compares the zip's SHA-256
// with the function's CodeSha256). The AWS SDK is left out: the runtime provides v3.
// `npm run build` runs it (dist/lambda/autoscaler.zip); run from source, ebdb calls buildLambda().
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const ENTRY = "src/targets/aws/autoscale-handler.ts";
export const OUT = "dist/lambda/autoscaler.zip";
// DOS time starts in 1980; a fixed time keeps the zip's bytes the same from build to build.
const MTIME = new Date("1980-01-01T00:00:00Z");

/** The bundle: { js, zip, inputs (the source files in it) }; written to dist/ with `write`. */
export async function buildLambda({ root = ROOT, write = false } = {}) {
  const { build } = await import("esbuild");
  const { zipSync } = await import("fflate");
  const r = await build({
    entryPoints: [join(root, ENTRY)],
    absWorkingDir: root,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    external: ["@aws-sdk/*"],
    write: false,
    metafile: true,
    legalComments: "none",
    logLevel: "silent",
    outfile: "index.js",
  });
  const js = r.outputFiles[0].contents;
  const zip = zipSync({ "index.js": [js, { mtime: MTIME, level: 9, os: 3, attrs: 0o100644 << 16 }] });
  if (write) {
    const file = join(root, OUT);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.tmp`, zip);
    renameSync(`${file}.tmp`, file);
  }
  return { js: new TextDecoder().decode(js), zip, inputs: Object.keys(r.metafile.inputs) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { zip, inputs } = await buildLambda({ write: true });
  console.log(`${OUT}: ${zip.length} bytes, ${inputs.length} source files`);
}
