import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { AuditReport, PracticeResult } from "../../src/audit/types.js";
import { main } from "../../src/cli/main.js";
import { captureOutput } from "../fixtures/output.js";

// `ebdb audit` on the local target through the CLI as a user runs it (in-process main()), on one real
// PostgreSQL 15 primary for the whole file: what exists is judged from the server's own settings.
const dir = mkdtempSync(join(tmpdir(), "ebdb-audit-"));
const env = { ...process.env, EBDB_TARGET: "" };
const app = `audit${process.pid % 10000}`;
const id = `${app}-dev-db`;

async function ebdb(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const o = captureOutput();
  const code = await main(argv, o, env, dir);
  return { code, out: o.stdout(), err: o.stderr() };
}
async function auditJson(): Promise<{
  code: number;
  byId: (id: string) => PracticeResult;
  report: AuditReport;
}> {
  const r = await ebdb("audit", "--json");
  const report = JSON.parse(r.out) as AuditReport;
  return { code: r.code, report, byId: (x) => report.practices.find((p) => p.id === x)! };
}

beforeAll(async () => {
  writeFileSync(
    join(dir, "config.env"),
    [
      `APP_NAME="${app}"`,
      'ENV_NAME="dev"',
      'DB_ENGINE_VERSION="15.8"',
      'DB_READ_REPLICA_ENABLED="false"',
      "",
    ].join("\n"),
  );
  const up = await ebdb("up");
  expect(up.code, up.err).toBe(0);
}, 120_000);
afterAll(async () => {
  await ebdb("destroy", "--yes");
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe("ebdb audit on the local target", () => {
  test("judges the server's real settings: TLS enforced, pg_stat_statements, retention; says what does not apply on one machine", async () => {
    const { code, byId, report } = await auditJson();
    expect(code).toBe(1);
    expect(report).toMatchObject({ target: "local", identifier: id });
    expect(byId("multi-az")).toMatchObject({
      status: "skipped",
      summary: expect.stringMatching(/^does not apply locally: the servers run on one machine/),
      fix: null,
      command: null,
    });
    expect(byId("backups")).toMatchObject({ status: "pass", observed: { retentionDays: 7 } });
    expect(byId("encryption")).toMatchObject({
      status: "pass",
      summary: expect.stringMatching(
        /^TLS enforced in transit \(ssl=on; pg_hba\.conf admits TCP only as hostssl\); at rest: does not apply locally/,
      ),
    });
    expect(byId("pooling")).toMatchObject({
      status: "fail",
      fix: expect.stringContaining("DB_RDS_PROXY_ENABLED=true"),
      command: "ebdb up",
    });
    expect(byId("alarms").status).toBe("skipped");
    expect(byId("performance-insights")).toMatchObject({
      status: "pass",
      summary: expect.stringMatching(/^pg_stat_statements .*per-query statistics/),
    });
    expect(byId("restore-tested")).toMatchObject({
      status: "fail",
      command: "ebdb restore --latest",
    });
    expect(byId("minor-version").observed).toMatchObject({ current: expect.stringMatching(/^15\.\d+$/) });
    expect(byId("parameter-group").status).toBe("pass");
    expect(byId("migrations")).toMatchObject({ status: "fail", command: "ebdb migrate" });
    const bad = await ebdb("audit", "--restore-days", "0");
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--restore-days 0 is not a whole number of days from 1 to 3650.");
  });

  test("a migration tool's table makes migrations pass", async () => {
    const url = JSON.parse((await ebdb("env", "--format", "json")).out).DATABASE_URL as string;
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(
        "CREATE TABLE django_migrations (id serial PRIMARY KEY, app text, name text, applied timestamptz)",
      );
    } finally {
      await c.end();
    }
    expect((await auditJson()).byId("migrations")).toMatchObject({
      status: "pass",
      summary: "migrations are tracked: public.django_migrations",
    });
  });

  test("restore --latest is recorded as a restore test, root's file only, and audit counts it", async () => {
    const r = await ebdb("restore", "--latest", "--json");
    expect(r.code, r.err).toBe(0);
    const name = (JSON.parse(r.out) as { name: string }).name;
    const file = join(dir, ".ebdb", id, "restore-tests.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const { byId } = await auditJson();
    expect(byId("restore-tested")).toMatchObject({
      status: "pass",
      summary: expect.stringMatching(new RegExp(`^restore tested 0 day\\(s\\) ago: ${name} from latest`)),
    });
    const text = await ebdb("audit");
    expect(text.out).toMatch(/^ {2}PASS {3}7\. Test disaster recovery procedures periodically$/m);
    expect(text.out).toMatch(/^ {2}FAIL {3}4\. Use connection pooling/m);
    expect(text.out).toMatch(/^\d pass, \d fail, 2 skipped$/m);
  }, 120_000);
});
