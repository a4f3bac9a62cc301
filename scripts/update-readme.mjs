// Regenerates the README's configuration reference (between the config-reference markers) from the
// schema, as built in dist/: `npm run docs`. With --check, exits 1 when the README is out of date.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const readmePath = `${root}README.md`;
let replaceReference;
try {
  ({ replaceReference } = await import(new URL("../dist/config/reference.js", import.meta.url).href));
} catch (e) {
  console.error(`cannot load dist/config/reference.js (${e.message}); run \`npm run build\` first`);
  process.exit(1);
}
const before = readFileSync(readmePath, "utf8");
const after = replaceReference(before);
if (process.argv.includes("--check")) {
  if (after !== before) {
    console.error("README.md's configuration reference is out of date: run `npm run docs`");
    process.exit(1);
  }
  console.log("README.md's configuration reference is up to date");
} else if (after === before) {
  console.log("README.md's configuration reference is already up to date");
} else {
  writeFileSync(readmePath, after);
  console.log("README.md: configuration reference regenerated");
}
