import { DB_NAMES, JDBC_NAMES, LIBPQ_NAMES, POOL_NAMES } from "../model/desired.js";
import type { ToolSpec } from "./tools.js";

/** The EB platform generations whose deployment steps the files follow. */
export const EB_PLATFORMS = ["al2023", "al2"] as const;
export type EbPlatform = (typeof EB_PLATFORMS)[number];

/** One file of the application's source bundle: path relative to its root, text, mode. */
export interface BundleFile {
  path: string;
  content: string;
  mode: number;
}

/**
 * The script that runs the migration on an instance (both platforms call it). In `.platform/`, which
 * the application commits, not in `.ebdb/`, which `ebdb init` keeps out of git (local state) and so
 * out of what `eb deploy` packages; EB runs only the hooks in `.platform/hooks/*` of it.
 */
export const MIGRATE_SCRIPT = ".platform/ebdb-migrate.sh";
/** The .ebextensions file: leader_only decides which instance migrates. */
export const MIGRATE_CONFIG = ".ebextensions/ebdb-migrate.config";
/** AL2023: the predeploy platform hook that runs the script on the instance leader_only marked. */
export const MIGRATE_HOOK = ".platform/hooks/predeploy/50_ebdb_migrate.sh";
/** AL2023: the mark the leader-only container command leaves in this deployment's staging folder (in a folder the bundle has). */
export const LEADER_MARK = ".platform/ebdb-migrate-leader";

/**
 * The connection names the application gets on EB (`ebdb up --target aws`: environment properties,
 * and EB environment secrets for the password and the URLs that hold it). The script fills any of
 * them the hook's environment lacks from `get-config environment -k NAME` (EB's platform script
 * tool on Amazon Linux 2 and 2023), so it connects exactly as the application does.
 */
const APP_NAMES = [...DB_NAMES, ...LIBPQ_NAMES, ...JDBC_NAMES];

/** A word for bash, single-quoted unless it is plainly safe. */
function sh(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The tool's own variables, from the application's, as `ebdb migrate` sets them (migrate/tools.ts). */
function toolExports(spec: ToolSpec): string[] {
  switch (spec.tool) {
    case "flyway":
      return [
        // Environment variables override flyway.conf; pgjdbc takes the credentials in the URL too.
        'export FLYWAY_URL="$JDBC_DATABASE_URL" FLYWAY_USER="$JDBC_DATABASE_USERNAME" FLYWAY_PASSWORD="$JDBC_DATABASE_PASSWORD"',
      ];
    case "liquibase":
      return [
        'export LIQUIBASE_COMMAND_URL="$JDBC_DATABASE_URL" LIQUIBASE_COMMAND_USERNAME="$JDBC_DATABASE_USERNAME" LIQUIBASE_COMMAND_PASSWORD="$JDBC_DATABASE_PASSWORD"',
      ];
    case "prisma":
      return [
        "# Prisma reads sslmode=require with sslcert (the root CA) and sslaccept=strict, not verify-full.",
        'DATABASE_URL="$(printf %s "$DATABASE_URL" | sed -e "s/sslmode=verify-full/sslmode=require/" -e "s/sslrootcert=/sslcert=/")&sslaccept=strict"',
        "export DATABASE_URL",
      ];
    default:
      return [];
  }
}

/**
 * `.platform/ebdb-migrate.sh`: runs the tool's usual command (non-interactive) from the source bundle's root
 * with the connection the application gets, directly (the pooled names unset), with the Python
 * platform's virtualenv (/var/app/venv/<name>/bin) and the bundle's node_modules/.bin first in PATH.
 * Exits with the tool's status, so a failed migration fails the deployment.
 */
export function migrateScript(spec: ToolSpec): string {
  const tries = spec.invocations([], { hook: true }).map((inv) => {
    const cmd = [inv.program, ...inv.args].map(sh).join(" ");
    const test = inv.program.includes("/")
      ? `[ -x ${sh(inv.program)} ]`
      : `command -v ${sh(inv.program)} >/dev/null 2>&1`;
    return `if ${test}; then run ${cmd}; fi`;
  });
  return [
    "#!/bin/bash",
    `# Written by \`ebdb eb-hooks migrate\`: runs the ${spec.tool} migrations (${spec.usual}) against the`,
    "# database, directly, with the connection the application gets. Called on one instance per",
    `# deployment: see ${MIGRATE_CONFIG}.`,
    "set -euo pipefail",
    'cd "$(dirname "$0")/.."',
    "",
    "# The connection as the application reads it: EB puts environment properties and secrets in the",
    "# environment of container commands and platform hooks; get-config fills any that are missing.",
    `for name in ${APP_NAMES.join(" ")}; do`,
    '  if [ -z "${!name:-}" ] && [ -x /opt/elasticbeanstalk/bin/get-config ]; then',
    '    if value="$(/opt/elasticbeanstalk/bin/get-config environment -k "$name" 2>/dev/null)" && [ -n "$value" ]; then',
    '      export "$name=$value"',
    "    fi",
    "  fi",
    "done",
    'if [ -z "${DB_HOST:-}" ]; then',
    '  echo "ebdb: DB_HOST is not set: give the environment the database\'s settings (ebdb up --target aws)." >&2',
    "  exit 1",
    "fi",
    "# Migrations hold a session and take locks: never through the pooler (RDS Proxy, PgBouncer).",
    `unset ${POOL_NAMES.join(" ")}`,
    ...toolExports(spec),
    "",
    "# The application's own tools first: the Python platform's virtualenv, the bundle's node_modules.",
    "for dir in /var/app/venv/*/bin; do",
    '  if [ -d "$dir" ]; then PATH="$dir:$PATH"; fi',
    "done",
    'PATH="$PWD/node_modules/.bin:$PATH"',
    "export PATH",
    "",
    'run() { echo "ebdb: migrating $DB_HOST:${DB_PORT:-5432} with: $*"; exec "$@"; }',
    ...tries,
    `echo ${sh(`ebdb: ${spec.tool} is not installed on this instance. ${spec.install}`)} >&2`,
    "exit 1",
    "",
  ].join("\n");
}

/**
 * The files that run the migrations at each deployment on exactly one instance, for `platform`.
 *
 * EB's one documented way to choose a single instance is `leader_only: true` on a container command
 * (EB Developer Guide, "Customizing software on Linux servers", container_commands; still supported on
 * Amazon Linux 2023). Container commands run in the staging folder after the application is set up and
 * before it is deployed, so the migration finishes before the new version serves, and a failed one
 * fails the deployment while the old version keeps serving. Leader-only commands run at deployments,
 * not when scaling adds an instance.
 * - `al2`: `.ebextensions/ebdb-migrate.config` runs `.platform/ebdb-migrate.sh` as a leader-only container command.
 * - `al2023`: platform hooks are the recommended way to run scripts there, but EB documents no leader
 *   check for them, so the leader-only container command only marks the leader in this deployment's
 *   staging folder (`.platform/ebdb-migrate-leader`, gone with the next bundle), and the predeploy hook, which runs
 *   after the container commands in the same folder and at the same point of the deployment, runs the
 *   script there. predeploy rather than postdeploy: postdeploy runs once the new version already serves,
 *   so it would meet the old schema, and a failure would leave it serving.
 * Source: https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/platforms-linux-extend.hooks.html and
 * https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/customize-containers-ec2.html#linux-container-commands
 */
export function migrateHookFiles(spec: ToolSpec, platform: EbPlatform): BundleFile[] {
  const header = [
    "# Written by `ebdb eb-hooks migrate`: runs the database migrations once per deployment, on the one",
    "# instance Elastic Beanstalk chooses (leader_only), before the new version is deployed.",
  ];
  const script = { path: MIGRATE_SCRIPT, content: migrateScript(spec), mode: 0o755 };
  if (platform === "al2") {
    const config = [
      ...header,
      "container_commands:",
      "  50_ebdb_migrate:",
      `    command: bash ${MIGRATE_SCRIPT}`,
      "    leader_only: true",
      "",
    ].join("\n");
    return [script, { path: MIGRATE_CONFIG, content: config, mode: 0o644 }];
  }
  const config = [
    ...header,
    `# Amazon Linux 2023: this command only marks the leader; ${MIGRATE_HOOK} migrates there.`,
    "container_commands:",
    "  50_ebdb_migrate_leader:",
    `    command: touch ${LEADER_MARK}`,
    "    leader_only: true",
    "",
  ].join("\n");
  const hook = [
    "#!/bin/bash",
    "# Written by `ebdb eb-hooks migrate`: on the instance the leader-only container command marked in",
    `# ${MIGRATE_CONFIG}, runs the migrations before the new version is deployed; elsewhere, nothing.`,
    "set -euo pipefail",
    `if [ ! -e ${LEADER_MARK} ]; then`,
    '  echo "ebdb: not the leader instance of this deployment: the migrations run on the leader."',
    "  exit 0",
    "fi",
    `rm -f ${LEADER_MARK}`,
    `exec bash ${MIGRATE_SCRIPT}`,
    "",
  ].join("\n");
  return [
    script,
    { path: MIGRATE_CONFIG, content: config, mode: 0o644 },
    { path: MIGRATE_HOOK, content: hook, mode: 0o755 },
  ];
}
