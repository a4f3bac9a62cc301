// Bundles the CLI (src/cli/main.ts and everything it imports, pg and commander included) into
// dist/cli-bundle/ with esbuild (a devDependency, as for the Lambda), one chunk per lazily imported
// command or target, so a command loads a handful of files instead of ~130 modules: Node 20 has no
// compile cache, and resolving and compiling each module is most of a short command's time
// (bench/local-status.mjs). bin/ebdb.js runs the bundle when it is there, else dist/cli/main.js.
// The AWS SDK stays outside (imported only by the aws target's chunk, from node_modules).
// `npm run build` runs it after tsc.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const OUT = "dist/cli-bundle";
/** An earlier build's chunks are kept this long after they stop being current. */
const STALE_MS = 24 * 3600_000;

/** Builds the bundle into `root`/dist/cli-bundle: main.js and the chunks it names, old chunks kept a while. */
export async function buildCli({ root = ROOT } = {}) {
  const { build } = await import("esbuild");
  const final = join(root, OUT);
  const tmp = `${final}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const r = await build({
    entryPoints: { main: join(root, "src/cli/main.ts") },
    absWorkingDir: root,
    bundle: true,
    splitting: true,
    platform: "node",
    target: "node20",
    format: "esm",
    // pg's optional native binding is required only when asked for (pg.native); the SDK is heavy
    // and loaded only by the aws target.
    external: ["@aws-sdk/*", "pg-native"],
    // CommonJS packages bundled into ESM (pg) call require() for Node's built-ins.
    banner: {
      js: 'import { createRequire as __ebdbCreateRequire } from "node:module";\nconst require = __ebdbCreateRequire(import.meta.url);',
    },
    outdir: tmp,
    chunkNames: "chunks/[name]-[hash]",
    metafile: true,
    legalComments: "none",
    logLevel: "warning",
  });
  // Chunks are named by their content: new ones are added beside the old, then main.js is replaced
  // (a rename: whole or not at all), and old chunks go only once no process started from an earlier
  // build can still ask for one (a running test, a backup agent loading its modules: STALE_MS).
  mkdirSync(join(final, "chunks"), { recursive: true });
  const built = new Set(readdirSync(join(tmp, "chunks")));
  for (const name of built)
    if (!existsSync(join(final, "chunks", name)))
      renameSync(join(tmp, "chunks", name), join(final, "chunks", name));
    else utimesSync(join(final, "chunks", name), new Date(), new Date());
  renameSync(join(tmp, "main.js"), join(final, "main.js"));
  rmSync(tmp, { recursive: true, force: true });
  for (const name of readdirSync(join(final, "chunks"))) {
    const f = join(final, "chunks", name);
    if (!built.has(name) && Date.now() - statSync(f).mtimeMs > STALE_MS) rmSync(f, { force: true });
  }
  return { outputs: Object.keys(r.metafile.outputs).length, inputs: Object.keys(r.metafile.inputs).length };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { outputs, inputs } = await buildCli();
  console.log(`${OUT}: ${outputs} files from ${inputs} source files`);
}
