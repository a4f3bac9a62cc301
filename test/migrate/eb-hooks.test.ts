import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { writeMigrateHooks } from "../../src/api/eb-files.js";
import { isEbdbError } from "../../src/errors.js";
import { RecordingIoHost } from "../../src/io.js";
import { EBEXTENSION_FILE } from "../../src/targets/aws/rds-ca.js";

// The files of `ebdb eb-hooks migrate`, by shape: the .ebextensions YAML read by a YAML parser
// (PyYAML, as EB's own are parsed: .ci/run installs python3-yaml), the scripts' bash syntax and
// modes, the order of the container commands. That the scripts migrate for real, and only on the
// leader, is in migrate-local.test.ts.

const root = mkdtempSync(join(tmpdir(), "ebdb-eb-hooks-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ctx = (cwd: string) => ({ cwd, env: {}, io: new RecordingIoHost() });

function bundle(name: string, files: string[]): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const f of files) writeFileSync(join(dir, f), "");
  return dir;
}

/** The YAML document as JSON, read by PyYAML. */
function yaml(path: string): unknown {
  const r = spawnSync(
    "python3",
    ["-c", "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))", path],
    {
      encoding: "utf8",
      env: { ...process.env, PATH: `/usr/bin:${process.env.PATH}` },
      timeout: 20_000,
    },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

// PyYAML is missing on some machines: those tests are skipped there, except in CI, where .ci/run installs it.
const hasYaml =
  spawnSync("/usr/bin/python3", ["-c", "import yaml"]).status === 0 || process.env.CI === "true";
const bashSyntax = (path: string) => spawnSync("bash", ["-n", path], { encoding: "utf8" });
const mode = (path: string) => statSync(path).mode & 0o777;

describe.skipIf(!hasYaml)("ebdb eb-hooks migrate", () => {
  test("Amazon Linux 2: one leader-only container command runs the script", async () => {
    const dir = bundle("al2", ["manage.py"]);
    const r = await writeMigrateHooks(ctx(dir), { platform: "al2" });
    expect([r.tool, r.evidence, r.platform]).toEqual(["django", ["manage.py"], "al2"]);
    expect(r.files.map((f) => f.path)).toEqual([
      ".platform/ebdb-rds-ca-bundle.pem",
      EBEXTENSION_FILE,
      ".platform/ebdb-migrate.sh",
      ".ebextensions/ebdb-migrate.config",
    ]);
    expect(yaml(join(dir, ".ebextensions/ebdb-migrate.config"))).toEqual({
      container_commands: {
        "50_ebdb_migrate": { command: "bash .platform/ebdb-migrate.sh", leader_only: true },
      },
    });
    // EB runs container commands in name order: the CA (verify-full needs it) is installed first.
    const ca = yaml(join(dir, EBEXTENSION_FILE)) as { container_commands: Record<string, unknown> };
    expect(Object.keys(ca.container_commands).every((name) => name < "50_ebdb_migrate")).toBe(true);
    const script = join(dir, ".platform/ebdb-migrate.sh");
    expect(bashSyntax(script).stderr).toBe("");
    expect(mode(script)).toBe(0o755);
    const text = readFileSync(script, "utf8");
    expect(text).toContain(
      "if command -v python3 >/dev/null 2>&1; then run python3 manage.py migrate --noinput; fi",
    );
    expect(text).toContain("unset DB_POOL_HOST DB_POOL_PORT DATABASE_POOL_URL");
  });

  test("Amazon Linux 2023: the leader-only command marks the leader, the predeploy hook migrates there", async () => {
    const dir = bundle("al2023", ["alembic.ini"]);
    const r = await writeMigrateHooks(ctx(dir));
    expect(r.platform).toBe("al2023");
    expect(r.files.map((f) => f.path).slice(2)).toEqual([
      ".platform/ebdb-migrate.sh",
      ".ebextensions/ebdb-migrate.config",
      ".platform/hooks/predeploy/50_ebdb_migrate.sh",
    ]);
    expect(yaml(join(dir, ".ebextensions/ebdb-migrate.config"))).toEqual({
      container_commands: {
        "50_ebdb_migrate_leader": { command: "touch .platform/ebdb-migrate-leader", leader_only: true },
      },
    });
    const hook = join(dir, ".platform/hooks/predeploy/50_ebdb_migrate.sh");
    expect(readFileSync(hook, "utf8").startsWith("#!/bin/bash\n")).toBe(true);
    expect(bashSyntax(hook).stderr).toBe("");
    expect(mode(hook)).toBe(0o755);
    const text = readFileSync(join(dir, ".platform/ebdb-migrate.sh"), "utf8");
    expect(text).toContain("if command -v alembic >/dev/null 2>&1; then run alembic upgrade head; fi");
    expect(text).toContain(
      "if command -v python3 >/dev/null 2>&1; then run python3 -m alembic upgrade head; fi",
    );
  });

  test("Flyway, Liquibase and Prisma get their variables from the application's; every script parses", async () => {
    const want = {
      flyway: 'export FLYWAY_URL="$JDBC_DATABASE_URL"',
      liquibase: 'export LIQUIBASE_COMMAND_URL="$JDBC_DATABASE_URL"',
      prisma: "sslaccept=strict",
    };
    for (const [tool, line] of Object.entries(want)) {
      const dir = bundle(`tool-${tool}`, []);
      await writeMigrateHooks(ctx(dir), { tool: tool as "flyway" });
      const script = join(dir, ".platform/ebdb-migrate.sh");
      expect(bashSyntax(script).stderr, tool).toBe("");
      expect(readFileSync(script, "utf8"), tool).toContain(line);
    }
  });

  test("a second run changes nothing; a hook left without its execute bit gets it back", async () => {
    const dir = bundle("again", ["manage.py"]);
    await writeMigrateHooks(ctx(dir));
    const hook = join(dir, ".platform/hooks/predeploy/50_ebdb_migrate.sh");
    spawnSync("chmod", ["644", hook]);
    const again = await writeMigrateHooks(ctx(dir));
    expect(again.files.every((f) => !f.changed)).toBe(true);
    expect(mode(hook)).toBe(0o755);
  });

  test("no tool found in the bundle: exit 2 naming --tool", async () => {
    const dir = bundle("empty", []);
    const e = await writeMigrateHooks(ctx(dir)).catch((x) => x);
    expect(isEbdbError(e) && [e.code, e.exitCode]).toEqual(["NO_MIGRATION_TOOL", 2]);
  });
});
