import { POOL_NAMES } from "../model/desired.js";
import type { Found, ToolName } from "./detect.js";

/** One way to start a tool: a program (a name looked up in PATH, or a path) and its arguments. */
export interface Invocation {
  program: string;
  args: string[];
  /** A Python module `program` must be able to import for this way to work (`program -c "import m"`). */
  module?: string;
}

/** What ebdb knows about running one migration tool. */
export interface ToolSpec {
  tool: ToolName;
  /** The user guide's command (spec, "Migrations"), as users know it. */
  usual: string;
  /**
   * The ways to run it with `extra` arguments appended, in order of preference: the first that is
   * installed is used. `hook`: for a deployment hook (no prompt may wait for an answer).
   */
  invocations(extra: string[], opts?: { hook?: boolean }): Invocation[];
  /** How to install it, for the message when none of the invocations is available. */
  install: string;
  /** What the project's own configuration must read so the tool connects where ebdb says. */
  reads: string;
}

const PYTHONS = ["python3", "python"];

const py = (args: string[], module: string): Invocation[] =>
  PYTHONS.map((program) => ({ program, args, module }));

/**
 * The tools and their usual commands (spec, database-setup-guide.md "Migrations"), each run so that
 * the connection reaches it through the environment only: Django and Alembic read it in the project's
 * own settings; Flyway and Liquibase from their documented environment variables (set by toolEnv), never
 * from `-url=`/`--password=` arguments as the guide's examples do, since arguments are visible to every
 * user of the machine; Prisma from DATABASE_URL in its schema.
 */
export const TOOL_SPECS: Record<ToolName, ToolSpec> = {
  django: {
    tool: "django",
    usual: "python manage.py migrate",
    invocations: (extra, o) =>
      py(["manage.py", "migrate", ...(o?.hook ? ["--noinput"] : []), ...extra], "django"),
    install:
      "Install Django where the project's Python finds it (`pip install django` in its virtualenv, or `apt-get install python3-django`), and run ebdb with that Python first in PATH.",
    reads:
      "settings.py's DATABASES from DB_HOST, DB_PORT, DB_NAME, DB_USERNAME, DB_PASSWORD (psycopg2 reads PGSSLMODE and PGSSLROOTCERT itself)",
  },
  alembic: {
    tool: "alembic",
    usual: "alembic upgrade head",
    invocations: (extra) => [
      { program: "alembic", args: ["upgrade", "head", ...extra] },
      ...py(["-m", "alembic", "upgrade", "head", ...extra], "alembic"),
    ],
    install:
      "Install Alembic (`pip install alembic` in the project's virtualenv, or `apt-get install alembic`: Debian's python3-alembic alone has no `alembic` command, but ebdb then runs `python3 -m alembic`).",
    reads:
      'env.py: config.set_main_option("sqlalchemy.url", os.environ["DATABASE_URL"].replace("%", "%%")) after config = context.config',
  },
  flyway: {
    tool: "flyway",
    usual: "flyway migrate",
    invocations: (extra) => [{ program: "flyway", args: ["migrate", ...extra] }],
    install:
      "Install the Flyway command line (https://documentation.red-gate.com/fd/command-line-184127404.html; the user guide's tarball) and put `flyway` in PATH.",
    reads: "nothing: ebdb sets FLYWAY_URL, FLYWAY_USER and FLYWAY_PASSWORD, which override flyway.conf",
  },
  liquibase: {
    tool: "liquibase",
    usual: "liquibase update",
    invocations: (extra) => [{ program: "liquibase", args: ["update", ...extra] }],
    install:
      "Install Liquibase (https://www.liquibase.com/download; it needs Java) and put `liquibase` in PATH.",
    reads:
      "nothing: ebdb sets LIQUIBASE_COMMAND_URL, LIQUIBASE_COMMAND_USERNAME and LIQUIBASE_COMMAND_PASSWORD, which override liquibase.properties",
  },
  prisma: {
    tool: "prisma",
    usual: "npx prisma migrate deploy",
    invocations: (extra) => [
      { program: "node_modules/.bin/prisma", args: ["migrate", "deploy", ...extra] },
      { program: "prisma", args: ["migrate", "deploy", ...extra] },
    ],
    install: "Install the Prisma CLI in the project: `npm install --save-dev prisma`.",
    reads: 'schema.prisma: datasource db { provider = "postgresql"  url = env("DATABASE_URL") }',
  },
};

/** The names of a pooled connection: a migration holds a session, so it never goes through the pooler. */
export const POOLED_NAMES = POOL_NAMES;

/** The JDBC URL without its `user` and `password` parameters (the tools take those apart). */
export function jdbcWithoutCredentials(jdbc: string): string {
  const q = jdbc.indexOf("?");
  if (q < 0) return jdbc;
  const kept = jdbc
    .slice(q + 1)
    .split("&")
    .filter((p) => p !== "" && !/^(user|password)=/.test(p));
  return kept.length ? `${jdbc.slice(0, q)}?${kept.join("&")}` : jdbc.slice(0, q);
}

/**
 * DATABASE_URL as Prisma reads it. Prisma's engines take sslmode disable, prefer or require only (an
 * unknown mode such as verify-full falls back to prefer, which verifies nothing), and verify the server
 * against `sslcert` (the root certificate) with `sslaccept=strict`. Source:
 * https://www.prisma.io/docs/orm/overview/databases/postgresql#configuring-an-ssl-connection
 */
export function prismaUrl(url: string): string {
  const q = url.indexOf("?");
  if (q < 0) return url;
  const params = url.slice(q + 1).split("&");
  const get = (k: string) => params.find((p) => p.startsWith(`${k}=`))?.slice(k.length + 1);
  const mode = get("sslmode");
  const root = get("sslrootcert");
  const rest = params.filter((p) => !/^(sslmode|sslrootcert)=/.test(p));
  if (mode === "verify-full" || mode === "verify-ca") {
    rest.push("sslmode=require", ...(root ? [`sslcert=${root}`] : []), "sslaccept=strict");
  } else if (mode) {
    rest.push(`sslmode=${mode}`, ...(mode === "require" ? ["sslaccept=accept_invalid_certs"] : []));
  }
  return `${url.slice(0, q)}?${rest.join("&")}`;
}

/**
 * The variables a tool needs beyond `exec`'s, from the connection variables `vars` (DATABASE_URL,
 * JDBC_DATABASE_URL, ...), what was found in the project and its folder `cwd`. `caller` is the
 * caller's environment: a tool setting the user already chose (FLYWAY_LOCATIONS, the changelog) is
 * theirs; the connection is always ebdb's.
 * - Flyway: FLYWAY_URL, FLYWAY_USER, FLYWAY_PASSWORD (environment variables override its config
 *   files: https://documentation.red-gate.com/fd/environment-variables-184127165.html); with SQL
 *   migrations in `sql/` and no config file, FLYWAY_LOCATIONS=filesystem:<cwd>/sql.
 * - Liquibase: LIQUIBASE_COMMAND_URL, LIQUIBASE_COMMAND_USERNAME, LIQUIBASE_COMMAND_PASSWORD (environment
 *   variables take precedence over liquibase.properties:
 *   https://docs.liquibase.com/concepts/connections/liquibase-environment-variables.html); without
 *   liquibase.properties, LIQUIBASE_COMMAND_CHANGELOG_FILE names the changelog found.
 * - Prisma: DATABASE_URL in Prisma's form (prismaUrl).
 */
export function toolEnv(
  tool: ToolName,
  vars: Readonly<Record<string, string>>,
  found: Found | undefined,
  cwd: string,
  caller: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const evidence = found?.evidence ?? [];
  const jdbc = jdbcWithoutCredentials(vars.JDBC_DATABASE_URL ?? "");
  switch (tool) {
    case "flyway": {
      const env: Record<string, string> = {
        FLYWAY_URL: jdbc,
        FLYWAY_USER: vars.JDBC_DATABASE_USERNAME ?? "",
        FLYWAY_PASSWORD: vars.JDBC_DATABASE_PASSWORD ?? "",
      };
      const configured = evidence.some((f) => !f.startsWith("sql/"));
      if (!configured && evidence.length > 0 && !caller.FLYWAY_LOCATIONS) {
        env.FLYWAY_LOCATIONS = `filesystem:${cwd}/sql`;
      }
      return env;
    }
    case "liquibase": {
      const env: Record<string, string> = {
        LIQUIBASE_COMMAND_URL: jdbc,
        LIQUIBASE_COMMAND_USERNAME: vars.JDBC_DATABASE_USERNAME ?? "",
        LIQUIBASE_COMMAND_PASSWORD: vars.JDBC_DATABASE_PASSWORD ?? "",
      };
      const changelog = evidence.find((f) => f !== "liquibase.properties");
      if (
        !evidence.includes("liquibase.properties") &&
        changelog &&
        !caller.LIQUIBASE_COMMAND_CHANGELOG_FILE
      ) {
        env.LIQUIBASE_COMMAND_CHANGELOG_FILE = changelog;
      }
      return env;
    }
    case "prisma":
      return vars.DATABASE_URL ? { DATABASE_URL: prismaUrl(vars.DATABASE_URL) } : {};
    default:
      return {};
  }
}
