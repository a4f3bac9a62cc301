import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { main } from "../../src/cli/main.js";
import { captureOutput } from "../fixtures/output.js";

// `plan` ends with the pool sizing arithmetic, and warns when the configuration can exhaust the server.
const dirs: string[] = [];
function project(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "ebdb-plan-pool-"));
  dirs.push(dir);
  writeFileSync(
    join(dir, "config.env"),
    ['APP_NAME="my-app"', 'ENV_NAME="prod"', 'DB_INSTANCE_CLASS="db.t3.micro"', ...lines, ""].join("\n"),
  );
  return dir;
}
async function plan(dir: string, target: string, ...args: string[]) {
  const o = captureOutput();
  const code = await main(["plan", ...args], o, { EBDB_TARGET: target }, dir);
  return { code, out: o.stdout(), err: o.stderr() };
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("plan shows the pool sizing", () => {
  test("on AWS: RDS's max_connections for the class, the reserves, EB's default instance count", async () => {
    const r = await plan(project([]), "aws", "--offline");
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(
      [
        "Connections (pool sizing):",
        "  max_connections 79 (about: RDS's default for db.t3.micro, LEAST(DBInstanceClassMemory/9531392, 5000))",
        "  − 3 superuser_reserved_connections",
        "  − 5 kept for migrations and an operator (psql, ebdb exec)",
        "  = 71 for the application",
        "  ÷ 4 application instances at most (Elastic Beanstalk's default aws:autoscaling:asg MaxSize) = 17 per instance",
      ].join("\n"),
    );
    expect(r.out).not.toContain("warning:");
  });

  test("DB_POOL_SIZE too large for the instances is a warning, in text and JSON", async () => {
    const dir = project(['DB_POOL_SIZE="50"']);
    const r = await plan(dir, "aws", "--offline");
    expect(r.code).toBe(0);
    expect(r.out).toContain("DB_POOL_SIZE 50 × 4 = 200 > 71");
    expect(r.out).toMatch(
      /warning: 4 instances × DB_POOL_SIZE 50 = 200 connections, more than the 71 .*at most 17/,
    );
    const j = JSON.parse((await plan(dir, "aws", "--offline", "--json")).out);
    expect(j.pooling).toMatchObject({ perInstance: 50, total: 200, available: 71, fits: false });
  });

  test("locally (online plan): the local servers' max_connections, one application, PgBouncer's pool", async () => {
    const r = await plan(
      project(['DB_RDS_PROXY_ENABLED="true"', 'DB_READ_REPLICA_ENABLED="false"']),
      "local",
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("max_connections 100 (the local primary's setting)");
    expect(r.out).toContain("÷ 1 application instance at most (one application locally) = 92 per instance");
    expect(r.out).toContain("PgBouncer: default_pool_size 92 server connections, up to 1000 clients");
  });
});
