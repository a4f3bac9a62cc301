// The dotenv package and JSON.parse reading `ebdb env` outputs, many cases in one process.
// Usage: node readers.cjs <repo root> <cases.json> <results.json>; each case {id, dotenv?, dotenvFile?, json}.
const { createRequire } = require("node:module");
const { readFileSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");

const [root, casesFile, outFile] = process.argv.slice(2);
const dotenv = createRequire(join(root, "package.json"))("dotenv");
const out = {};
for (const k of JSON.parse(readFileSync(casesFile, "utf8"))) {
  const r = { "node JSON.parse": JSON.parse(k.json) };
  if (k.dotenv) {
    r["dotenv parse"] = dotenv.parse(k.dotenv);
    const processEnv = {};
    dotenv.config({ path: k.dotenvFile, processEnv, quiet: true });
    r["dotenv config"] = processEnv;
  }
  out[k.id] = r;
}
writeFileSync(outFile, JSON.stringify(out));
