// node-postgres (pg) as an application uses it: new pg.Client({ connectionString: DATABASE_URL }).
// Usage: node pg.cjs <repo root> <cases.json> <results.json>
// Each case: { id, env } (env: the whole environment `ebdb exec` gives; null: this process's own,
// when run under `ebdb exec`), and optionally the case's `ebdb env` outputs to read the URL from:
// dotenv (read with the dotenv package) and json.
const { createRequire } = require("node:module");
const { readFileSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");

const [root, casesFile, outFile] = process.argv.slice(2);
const req = createRequire(join(root, "package.json"));
const pg = req("pg");
const dotenv = req("dotenv");
const Q = "SELECT current_user AS u, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";

async function connect(url) {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10000 });
  c.on("error", () => {});
  try {
    await c.connect();
    const r = (await c.query(Q)).rows[0];
    return { user: r.u, ssl: r.ssl };
  } catch (e) {
    return { error: `${e.code ?? ""} ${e.message}` };
  } finally {
    await c.end().catch(() => {});
  }
}

(async () => {
  const results = [];
  for (const k of JSON.parse(readFileSync(casesFile, "utf8"))) {
    const env = k.env ?? process.env;
    results.push({ id: k.id, source: "exec", ...(await connect(env.DATABASE_URL)) });
    if (k.dotenv)
      results.push({ id: k.id, source: "dotenv", ...(await connect(dotenv.parse(k.dotenv).DATABASE_URL)) });
    if (k.json)
      results.push({ id: k.id, source: "json", ...(await connect(JSON.parse(k.json).DATABASE_URL)) });
  }
  writeFileSync(outFile, JSON.stringify(results));
})();
