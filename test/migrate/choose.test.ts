import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { CommandContext } from "../../src/api/context.js";
import { chooseTool, installedInvocation, migrateLaunch } from "../../src/api/migrate.js";
import { isEbdbError } from "../../src/errors.js";
import { RecordingIoHost } from "../../src/io.js";
import { detectTools } from "../../src/migrate/detect.js";
import { jdbcWithoutCredentials, prismaUrl, TOOL_SPECS, toolEnv } from "../../src/migrate/tools.js";
import { Secret } from "../../src/model/secret.js";
import type { ConnectionInfo, Target } from "../../src/targets/target.js";

// How `ebdb migrate` chooses the tool, finds it installed and builds its environment: the pure
// detection and tool variables, and the api's errors on real folders (no database needed: all of it
// happens before the database is touched). The real runs are in migrate-local.test.ts.

const root = mkdtempSync(join(tmpdir(), "ebdb-migrate-choose-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function project(name: string, files: string[]): string {
  const dir = join(root, name);
  for (const f of files) {
    mkdirSync(join(dir, f, ".."), { recursive: true });
    writeFileSync(join(dir, f), "");
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

const ctxOf = (cwd: string, env: Record<string, string | undefined> = {}): CommandContext => ({
  cwd,
  env: { PATH: process.env.PATH, ...env },
  io: new RecordingIoHost(),
});

function caught(fn: () => unknown): { code: string; message: string; hint?: string; exit: number } {
  try {
    fn();
  } catch (e) {
    if (isEbdbError(e)) return { code: e.code, message: e.message, hint: e.hint, exit: e.exitCode };
    throw e;
  }
  throw new Error("expected an error");
}

describe("detectTools", () => {
  test.each([
    [["manage.py"], [["django", ["manage.py"]]]],
    [["alembic.ini"], [["alembic", ["alembic.ini"]]]],
    [["flyway.conf"], [["flyway", ["flyway.conf"]]]],
    [
      ["sql/V2__more.sql", "sql/V1__init.sql", "sql/README.md", "sql/U1__undo.sql"],
      [["flyway", ["sql/V1__init.sql", "sql/V2__more.sql"]]],
    ],
    [["sql/V1_1__dotted.sql"], [["flyway", ["sql/V1_1__dotted.sql"]]]],
    [["liquibase.properties"], [["liquibase", ["liquibase.properties"]]]],
    [["db/changelog/db.changelog-master.yaml"], [["liquibase", ["db/changelog/db.changelog-master.yaml"]]]],
    [["prisma/schema.prisma"], [["prisma", ["prisma/schema.prisma"]]]],
    [["README.md", "sql/notes.sql"], []],
    [
      ["manage.py", "alembic.ini"],
      [
        ["django", ["manage.py"]],
        ["alembic", ["alembic.ini"]],
      ],
    ],
  ])("%j -> %j", (present, want) => {
    expect(detectTools(present).map((f) => [f.tool, f.evidence])).toEqual(want);
  });
});

describe("the tools' connection variables", () => {
  const vars = {
    DATABASE_URL:
      "postgresql://app:p%40ss@db.example:5432/shop?sslmode=verify-full&sslrootcert=/etc/pki/ebdb/rds-ca-bundle.pem",
    JDBC_DATABASE_URL:
      "jdbc:postgresql://db.example:5432/shop?user=app&password=p%40ss&sslmode=verify-full&sslrootcert=/etc/pki/ebdb/rds-ca-bundle.pem",
    JDBC_DATABASE_USERNAME: "app",
    JDBC_DATABASE_PASSWORD: "p@ss",
  };

  test("Flyway and Liquibase get the JDBC URL without credentials, and the credentials apart", () => {
    const plain =
      "jdbc:postgresql://db.example:5432/shop?sslmode=verify-full&sslrootcert=/etc/pki/ebdb/rds-ca-bundle.pem";
    expect(jdbcWithoutCredentials(vars.JDBC_DATABASE_URL)).toBe(plain);
    expect(toolEnv("flyway", vars, { tool: "flyway", evidence: ["flyway.conf"] }, "/app", {})).toEqual({
      FLYWAY_URL: plain,
      FLYWAY_USER: "app",
      FLYWAY_PASSWORD: "p@ss",
    });
    expect(
      toolEnv("liquibase", vars, { tool: "liquibase", evidence: ["liquibase.properties"] }, "/app", {}),
    ).toEqual({
      LIQUIBASE_COMMAND_URL: plain,
      LIQUIBASE_COMMAND_USERNAME: "app",
      LIQUIBASE_COMMAND_PASSWORD: "p@ss",
    });
  });

  test("without a config file, Flyway is pointed at sql/ and Liquibase at the changelog found, unless the user chose", () => {
    const flyway = { tool: "flyway" as const, evidence: ["sql/V1__init.sql"] };
    expect(toolEnv("flyway", vars, flyway, "/app", {}).FLYWAY_LOCATIONS).toBe("filesystem:/app/sql");
    expect(
      toolEnv("flyway", vars, flyway, "/app", { FLYWAY_LOCATIONS: "filesystem:db" }).FLYWAY_LOCATIONS,
    ).toBeUndefined();
    const lb = { tool: "liquibase" as const, evidence: ["changelog.xml"] };
    expect(toolEnv("liquibase", vars, lb, "/app", {}).LIQUIBASE_COMMAND_CHANGELOG_FILE).toBe("changelog.xml");
  });

  test("Prisma's URL verifies the server its own way (its engines read verify-full as prefer)", () => {
    expect(prismaUrl(vars.DATABASE_URL)).toBe(
      "postgresql://app:p%40ss@db.example:5432/shop?sslmode=require&sslcert=/etc/pki/ebdb/rds-ca-bundle.pem&sslaccept=strict",
    );
    expect(toolEnv("django", vars, undefined, "/app", {})).toEqual({});
  });
});

describe("choosing the tool (exit 2 when it cannot)", () => {
  test("auto finds the one tool, and says from what", () => {
    const c = chooseTool(ctxOf(project("one", ["manage.py", "README.md"])));
    expect([c.spec.tool, c.evidence, c.detected]).toEqual(["django", ["manage.py"], true]);
  });

  test("none found: names what it looked for and --tool", () => {
    const e = caught(() => chooseTool(ctxOf(project("none", ["README.md"]))));
    expect(e.code).toBe("NO_MIGRATION_TOOL");
    expect(e.exit).toBe(2);
    expect(e.message).toContain("manage.py (django), alembic.ini (alembic)");
    expect(e.hint).toContain("--tool django|alembic|flyway|liquibase|prisma");
  });

  test("several found: names each candidate and how to choose", () => {
    const dir = project("several", ["manage.py", "alembic.ini"]);
    const e = caught(() => chooseTool(ctxOf(dir)));
    expect(e.code).toBe("SEVERAL_MIGRATION_TOOLS");
    expect(e.message).toBe(
      `Several migration tools found in ${dir}: manage.py (django) and alembic.ini (alembic).`,
    );
    expect(e.hint).toBe("Say which one runs the migrations: --tool django or --tool alembic.");
    expect(chooseTool(ctxOf(dir), "alembic").spec.tool).toBe("alembic");
  });

  test("a tool that is not installed: exit 2, what was tried and how to install it", () => {
    const dir = project("nopath", ["manage.py"]);
    const empty = project("empty-bin", []);
    const e = caught(() => installedInvocation(ctxOf(dir, { PATH: empty }), TOOL_SPECS.django, []));
    expect(e.code).toBe("TOOL_NOT_INSTALLED");
    expect(e.exit).toBe(2);
    expect(e.message).toBe("django is not installed here (python3: not found; python: not found).");
    expect(e.hint).toContain("pip install django");
    const fly = caught(() => installedInvocation(ctxOf(dir, { PATH: empty }), TOOL_SPECS.flyway, []));
    expect(fly.hint).toContain("put `flyway` in PATH");
  });

  test("the first installed way wins: a program found in PATH, the user's arguments appended", () => {
    const bin = project("bin", []);
    writeFileSync(join(bin, "flyway"), "#!/bin/sh\n");
    chmodSync(join(bin, "flyway"), 0o755);
    const inv = installedInvocation(ctxOf(root, { PATH: bin }), TOOL_SPECS.flyway, ["-X"]);
    expect([inv.path, inv.args]).toEqual([join(bin, "flyway"), ["migrate", "-X"]]);
  });
});

describe("the migration's environment", () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  test("direct, never pooled: DATABASE_URL is the primary's and no DB_POOL_*/DATABASE_POOL_URL reaches the tool", async () => {
    const dir = project("pooled", ["flyway.conf"]);
    writeFileSync(join(dir, "config.env"), 'APP_NAME="pooled"\nENV_NAME="dev"\n');
    const bin = project("pooled-bin", []);
    writeFileSync(join(bin, "flyway"), "#!/bin/sh\n");
    chmodSync(join(bin, "flyway"), 0o755);
    const conn: ConnectionInfo = {
      host: "127.0.0.1",
      port,
      dbName: "shop",
      username: "app",
      password: new Secret("s3cret-pw"),
      readers: [],
      sslmode: "verify-full",
      sslrootcert: "/ca.crt",
      pooler: { host: "127.0.0.1", port: 6432 },
    };
    // A target that only answers connection(): what the tool gets is all this test looks at.
    const target = { name: "aws", connection: async () => conn } as unknown as Target;
    const ctx = ctxOf(dir, { PATH: bin, DATABASE_POOL_URL: "postgresql://from-the-caller" });
    const launch = await migrateLaunch(ctx, { tool: "auto", target });
    expect(launch.tool).toBe("flyway");
    expect(launch.args).toEqual(["migrate"]);
    expect(launch.env.DATABASE_URL).toBe(
      `postgresql://app:s3cret-pw@127.0.0.1:${port}/shop?sslmode=verify-full&sslrootcert=/ca.crt`,
    );
    for (const k of ["DB_POOL_HOST", "DB_POOL_PORT", "DATABASE_POOL_URL"])
      expect(launch.env[k], k).toBeUndefined();
    expect(launch.env.FLYWAY_URL).toBe(
      `jdbc:postgresql://127.0.0.1:${port}/shop?sslmode=verify-full&sslrootcert=/ca.crt`,
    );
    expect(launch.env.FLYWAY_PASSWORD).toBe("s3cret-pw");
    // The password is in the environment only: never in the program's arguments.
    expect([launch.command, ...launch.args].join(" ")).not.toContain("s3cret-pw");
    expect(launch.names).toContain("FLYWAY_PASSWORD");
    expect(launch.names).not.toContain("DATABASE_POOL_URL");
  });

  test("on AWS, a database not reachable from here says how to migrate: at deployment, or through an EB instance", async () => {
    const dir = project("private", ["flyway.conf"]);
    const bin = project("private-bin", []);
    writeFileSync(join(bin, "flyway"), "#!/bin/sh\n");
    chmodSync(join(bin, "flyway"), 0o755);
    writeFileSync(join(dir, "config.env"), 'APP_NAME="private"\nENV_NAME="prod"\n');
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const shut = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const conn = {
      host: "127.0.0.1",
      port: shut,
      dbName: "shop",
      username: "app",
      password: new Secret("x"),
      readers: [],
      sslmode: "verify-full",
    } as ConnectionInfo;
    const target = { name: "aws", connection: async () => conn } as unknown as Target;
    const e = await migrateLaunch(ctxOf(dir, { PATH: bin }), { target }).catch((x) => x);
    expect(isEbdbError(e) && [e.code, e.exitCode]).toEqual(["NOT_REACHABLE", 1]);
    expect(e.message).toContain("private to the Elastic Beanstalk environment's VPC");
    expect(e.hint).toContain("ebdb eb-hooks migrate");
    expect(e.hint).toContain("SSM port forwarding");
  });
});
