import { appPgbouncerIni, PGBOUNCER_MIN_VERSION, PGBOUNCER_TESTED_VERSION } from "./pgbouncer-ini.js";

/** Where `ebdb pooler pgbouncer` puts its files in the application's folder. */
export const APP_DIR = "ebdb-pgbouncer";
/** Where the EB hook copies them on the instances (the staging folder moves after the hook). */
export const EB_INSTALL_DIR = "/opt/ebdb-pgbouncer";
/** The RDS CA bundle on the EB instances (`ebdb eb-files`), the default of PGSSLROOTCERT. */
const DEFAULT_CA = "/etc/pki/ebdb/rds-ca-bundle.pem";

export interface AppFile {
  /** Relative to the application's folder. */
  path: string;
  content: string;
  mode: number;
}

/**
 * start.sh (POSIX sh): writes the run directory from the environment the application gets, then
 * starts PgBouncer. Modes: no argument, the foreground; `--daemon`, the background (stopping one a
 * previous run left, by its pid file), returning once it runs; `-- CMD ...`, the background and then
 * CMD with DB_POOL_HOST, DB_POOL_PORT and DATABASE_POOL_URL (DATABASE_URL aimed at PgBouncer). As
 * root, PgBouncer runs as PGBOUNCER_USER (default the first of pgbouncer, postgres, nobody), which
 * owns the run directory. The password reaches userlist.txt through printf, a shell builtin, and sed's
 * standard input: it is in no process's arguments.
 */
function startScript(port: number): string {
  return `#!/bin/sh
# Written by \`ebdb pooler pgbouncer\`: starts PgBouncer beside the application, from the connection
# settings in the environment (DB_HOST, DB_PORT, DB_NAME, DB_USERNAME, DB_PASSWORD, PGSSLROOTCERT and,
# for "--", DATABASE_URL). The password is written at start-up to userlist.txt (0600) in a run
# directory, never into an image or the source bundle.
#   start.sh                 PgBouncer in the foreground (for a process manager)
#   start.sh --daemon        in the background (a previous one is stopped first); returns once it runs
#   start.sh -- CMD [ARG...] in the background, then CMD with DB_POOL_HOST, DB_POOL_PORT, DATABASE_POOL_URL;
#                            PgBouncer stops (and userlist.txt goes) when CMD ends; CMD's exit status
# Run directory: $EBDB_PGBOUNCER_RUN_DIR, else /run/ebdb-pgbouncer as root, else
# \${XDG_RUNTIME_DIR:-/tmp}/ebdb-pgbouncer-<uid>.
set -eu
say() { echo "ebdb-pgbouncer: $*" >&2; }
here=$(cd "$(dirname "$0")" && pwd)
ini="$here/pgbouncer.ini"
port=${port}
for v in DB_HOST DB_PORT DB_NAME DB_USERNAME DB_PASSWORD; do
  eval "val=\\\${$v:-}"
  if [ -z "$val" ]; then
    say "$v is not set: run this where the application gets its database settings (ebdb exec locally)."
    exit 2
  fi
done
ca=\${PGSSLROOTCERT:-${DEFAULT_CA}}
if [ ! -r "$ca" ]; then
  say "cannot read the CA certificate $ca (PGSSLROOTCERT): on Elastic Beanstalk deploy the files of \\\`ebdb eb-files\\\`."
  exit 2
fi
bin=
for b in "\${PGBOUNCER:-}" "$(command -v pgbouncer 2>/dev/null || true)" /usr/sbin/pgbouncer /usr/bin/pgbouncer /usr/local/bin/pgbouncer; do
  if [ -n "$b" ] && [ -x "$b" ]; then bin=$b; break; fi
done
if [ -z "$bin" ]; then
  say "pgbouncer is not installed (apt-get install pgbouncer, or dnf install pgbouncer)."
  exit 127
fi
user=
if [ "$(id -u)" = 0 ]; then
  run=\${EBDB_PGBOUNCER_RUN_DIR:-/run/ebdb-pgbouncer}
  for u in "\${PGBOUNCER_USER:-}" pgbouncer postgres nobody; do
    if [ -n "$u" ] && id -u "$u" >/dev/null 2>&1; then user=$u; break; fi
  done
else
  run=\${EBDB_PGBOUNCER_RUN_DIR:-\${XDG_RUNTIME_DIR:-/tmp}/ebdb-pgbouncer-$(id -u)}
fi
umask 077
# max_client_conn = 1000 needs a descriptor per client and per server connection: raise the soft limit.
n=$(ulimit -n)
if [ "$n" != unlimited ] && [ "$n" -lt 4096 ]; then
  ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fi
mkdir -p "$(dirname "$run")"
mkdir "$run" 2>/dev/null || true
# Ours, or (as root) PgBouncer's user's from a previous start: anyone else's could be read by them.
owner=$(stat -c %u "$run" 2>/dev/null || echo none)
if [ ! -d "$run" ] || [ -L "$run" ] || { [ "$owner" != "$(id -u)" ] && { [ -z "$user" ] || [ "$owner" != "$(id -u "$user")" ]; }; }; then
  say "$run is not a directory of this user's: refusing to write the password there."
  exit 1
fi
chmod 0700 "$run"
q() { printf '"%s"' "$(printf '%s' "$1" | sed 's/"/""/g')"; }
printf '%s %s\\n' "$(q "$DB_USERNAME")" "$(q "$DB_PASSWORD")" > "$run/userlist.txt.new"
mv -f "$run/userlist.txt.new" "$run/userlist.txt"
cp "$ca" "$run/ca.crt.new" && mv -f "$run/ca.crt.new" "$run/ca.crt"
printf '%s = host=%s port=%s dbname=%s\\n' "$DB_NAME" "$DB_HOST" "$DB_PORT" "$DB_NAME" > "$run/databases.ini"
if [ -n "$user" ]; then chown -R "$user" "$run"; fi
cd "$run"
mode=\${1:-}
if [ -z "$mode" ]; then
  exec "$bin" \${user:+-u "$user"} "$ini"
fi
if [ "$mode" != "--daemon" ] && [ "$mode" != "--" ]; then
  say "unknown argument $mode (use --daemon, or -- followed by the application's command)."
  exit 2
fi
shift
if [ -f pgbouncer.pid ] && kill -0 "$(cat pgbouncer.pid)" 2>/dev/null; then
  old=$(cat pgbouncer.pid)
  kill -INT "$old" 2>/dev/null || true
  i=0
  while kill -0 "$old" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  kill -TERM "$old" 2>/dev/null || true
fi
rm -f pgbouncer.pid
"$bin" -d \${user:+-u "$user"} "$ini"
i=0
until [ -s pgbouncer.pid ] && kill -0 "$(cat pgbouncer.pid)" 2>/dev/null; do
  i=$((i + 1))
  if [ $i -gt 100 ]; then say "PgBouncer did not start; see $run/pgbouncer.log"; exit 1; fi
  sleep 0.1
done
if [ "$mode" = "--" ]; then
  if [ $# -eq 0 ]; then say "no command after --"; exit 2; fi
  if [ -z "\${DATABASE_URL:-}" ]; then say "DATABASE_URL is not set: DATABASE_POOL_URL is made from it."; exit 2; fi
  DB_POOL_HOST=127.0.0.1
  DB_POOL_PORT=$port
  DATABASE_POOL_URL=$(printf '%s' "$DATABASE_URL" | sed -e "s#@[^@/]*/#@127.0.0.1:$port/#" -e 's#?.*$##')?sslmode=disable
  export DB_POOL_HOST DB_POOL_PORT DATABASE_POOL_URL
  # PgBouncer lives as long as the command: when it ends (or is signalled), PgBouncer stops and the
  # password file goes, so nothing is left running or written behind. fd 3 keeps the command's stdin
  # (sh gives a background command /dev/null).
  exec 3<&0
  "$@" 0<&3 3<&- &
  child=$!
  trap 'kill -TERM "$child" 2>/dev/null' INT TERM HUP
  while :; do
    wait "$child"
    rc=$?
    kill -0 "$child" 2>/dev/null || break
  done
  kill -INT "$(cat pgbouncer.pid)" 2>/dev/null || true
  i=0
  while [ -s pgbouncer.pid ] && kill -0 "$(cat pgbouncer.pid)" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  rm -f userlist.txt pgbouncer.pid
  exit "$rc"
fi
`;
}

function dockerLines(): string {
  return `# Written by \`ebdb pooler pgbouncer\`: add these lines to the application's Dockerfile (a Debian or
# Ubuntu based image; Alpine: apk add pgbouncer). PgBouncer ${PGBOUNCER_MIN_VERSION} or newer; tested with ${PGBOUNCER_TESTED_VERSION}.
RUN apt-get update && apt-get install -y --no-install-recommends pgbouncer && rm -rf /var/lib/apt/lists/*
COPY ${APP_DIR}/ ${EB_INSTALL_DIR}/
# PgBouncer in the background, then the application with DB_POOL_HOST, DB_POOL_PORT and
# DATABASE_POOL_URL pointing at it (DATABASE_URL stays direct, for migrations). On Elastic
# Beanstalk's Docker platform, mount the host's /etc/pki/ebdb (\`ebdb eb-files\`) into the container.
CMD ["${EB_INSTALL_DIR}/start.sh", "--", "python", "app.py"]
`;
}

/**
 * The platform hook for Elastic Beanstalk's Amazon Linux 2 and 2023 platforms without Docker: installs
 * PgBouncer when missing, copies the files out of the staging folder and (re)starts PgBouncer from the
 * environment: EB gives hooks its environment secrets (EB Developer Guide, "Fetching secrets and
 * parameters to Elastic Beanstalk environment variables"); plain environment properties missing from
 * the hook's environment are read with the platform's get-config. The same file is the config hook, so
 * a configuration deployment (a new password) restarts it too. A reboot does not run hooks: a Procfile
 * line `start.sh -- <app command>` keeps PgBouncer with the application instead.
 */
function ebHook(): string {
  return `#!/bin/sh
# Written by \`ebdb pooler pgbouncer\`: installs PgBouncer on the instance when missing and (re)starts
# it beside the application with this deployment's settings. The application connects to
# 127.0.0.1 through DATABASE_POOL_URL-like settings it builds from DB_POOL_HOST=127.0.0.1 (see the
# README's "PgBouncer beside the application").
set -eu
if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/bin/pgbouncer ] && [ ! -x /usr/sbin/pgbouncer ]; then
  dnf install -y pgbouncer || yum install -y pgbouncer
fi
# EB hands hooks its environment secrets; plain environment properties are read with get-config.
cfg=/opt/elasticbeanstalk/bin/get-config
if [ -x "$cfg" ]; then
  for v in DB_HOST DB_PORT DB_NAME DB_USERNAME DB_PASSWORD PGSSLROOTCERT; do
    eval "val=\\\${$v:-}"
    if [ -z "$val" ]; then
      val=$("$cfg" environment -k "$v" 2>/dev/null || true)
      if [ -n "$val" ]; then export "$v=$val"; fi
    fi
  done
fi
src=$(pwd)/${APP_DIR}
if [ -d "$src" ]; then
  mkdir -p ${EB_INSTALL_DIR}
  cp "$src/pgbouncer.ini" "$src/start.sh" ${EB_INSTALL_DIR}/
  chmod 0755 ${EB_INSTALL_DIR}/start.sh
fi
exec ${EB_INSTALL_DIR}/start.sh --daemon
`;
}

/**
 * What `ebdb pooler pgbouncer` writes into the application's folder: ${APP_DIR}/pgbouncer.ini (no
 * secret), ${APP_DIR}/start.sh, ${APP_DIR}/Dockerfile.pgbouncer (the lines to add to a Dockerfile),
 * and for EB platforms without Docker the prebuild hook and its config-hook twin.
 */
export function pgbouncerAppFiles(p: { port: number; poolSize: number; poolSizeWhy: string }): AppFile[] {
  const hook = ebHook();
  return [
    {
      path: `${APP_DIR}/pgbouncer.ini`,
      content: appPgbouncerIni({ listenPort: p.port, poolSize: p.poolSize, poolSizeWhy: p.poolSizeWhy }),
      mode: 0o644,
    },
    { path: `${APP_DIR}/start.sh`, content: startScript(p.port), mode: 0o755 },
    { path: `${APP_DIR}/Dockerfile.pgbouncer`, content: dockerLines(), mode: 0o644 },
    { path: ".platform/hooks/predeploy/50-ebdb-pgbouncer.sh", content: hook, mode: 0o755 },
    { path: ".platform/confighooks/predeploy/50-ebdb-pgbouncer.sh", content: hook, mode: 0o755 },
  ];
}
