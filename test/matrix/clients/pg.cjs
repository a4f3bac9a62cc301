// node-postgres (pg) as an application uses it, the README's line: DATABASE_URL, unchanged.
// Usage: node pg.cjs <repo root> <cases.json> <results.json>
// Each case: { id, env } (env: the whole environment `ebdb exec` gives; null: this process's own,
// when run under `ebdb exec`), and optionally the case's `ebdb env` outputs: dotenv (loaded into
// process.env with the dotenv package, as `require("dotenv").config()` does).
const { createRequire } = require("node:module");
const { readFileSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");

const [root, casesFile, outFile] = process.argv.slice(2);
const req = createRequire(join(root, "package.json"));
const pg = req("pg");
const dotenv = req("dotenv");
const Q = "SELECT current_user AS u, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
const own = { ...process.env };

/** The application: the README's line, then one query. */
async function app() {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  client.on("error", () => {});
  try {
    await client.connect();
    const r = (await client.query(Q)).rows[0];
    return { user: r.u, ssl: r.ssl };
  } catch (e) {
    return { error: `${e.code ?? ""} ${e.message}` };
  } finally {
    await client.end().catch(() => {});
  }
}

/** Replaces this process's environment (what a new process started with `vars` would have). */
function environment(vars) {
  for (const k of Object.keys(process.env)) delete process.env[k];
  Object.assign(process.env, vars);
}

(async () => {
  const results = [];
  for (const k of JSON.parse(readFileSync(casesFile, "utf8"))) {
    environment(k.env ?? own);
    results.push({ id: k.id, source: "exec", ...(await app()) });
    if (k.dotenv) {
      environment({ PATH: own.PATH });
      dotenv.populate(process.env, dotenv.parse(k.dotenv), { override: true });
      results.push({ id: k.id, source: "dotenv", ...(await app()) });
    }
  }
  writeFileSync(outFile, JSON.stringify(results));
})();
