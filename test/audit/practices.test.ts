import { describe, expect, test } from "vitest";
import { auditExitCode, compareVersions, runAudit } from "../../src/audit/practices.js";
import type { AuditObservation } from "../../src/audit/types.js";
import { storageGrowth, walIdle } from "../../src/targets/aws/health-metrics.js";

// The practices' edges, judged from observations built by hand (the targets' own tests make real ones).
const base: AuditObservation = {
  target: "aws",
  identifier: "my-app-prod-db",
  at: "2026-06-01T00:00:00.000Z",
  engine: "postgres",
  state: "available",
  multiAz: true,
  backupRetentionDays: 7,
  encryptionAtRest: { encrypted: true, kmsKeyId: "alias/aws/rds" },
  encryptionInTransit: { enforced: true, how: "rds.force_ssl=1 in g" },
  pooling: { configured: true, kind: "rds-proxy", state: "available", detail: "RDS Proxy p" },
  alarms: { expected: ["a", "b"], present: ["a", "b"], subscribers: 1 },
  insights: { enabled: true, kind: "Performance Insights", detail: "on" },
  restoreTests: [{ at: "2026-05-01T00:00:00.000Z", instance: "r", source: "latest" }],
  version: { current: "16.9", latestMinor: "16.9", autoMinorVersionUpgrade: true },
  parameterGroup: { name: "g", custom: true, detail: "its own group" },
  migrations: { tables: ["public.schema_migrations"] },
  reasons: {},
};
const judge = (o: Partial<AuditObservation>, within?: number) =>
  runAudit({ ...base, ...o }, within ? { restoreWithinDays: within } : {});
const one = (id: string, o: Partial<AuditObservation>, within?: number) =>
  judge(o, within).practices.find((p) => p.id === id)!;

describe("audit practices", () => {
  test("everything in place passes, exit 0", () => {
    const r = judge({});
    expect(r.practices.filter((p) => p.status !== "pass")).toEqual([]);
    expect(auditExitCode(r)).toBe(0);
  });

  test("retention: 0, under 7 and over 30 days fail, each saying which", () => {
    expect(one("backups", { backupRetentionDays: 0 }).summary).toMatch(/^automated backups are off/);
    expect(one("backups", { backupRetentionDays: 3 }).summary).toMatch(/under the 7/);
    expect(one("backups", { backupRetentionDays: 35 })).toMatchObject({
      status: "fail",
      fix: expect.stringContaining("DB_BACKUP_RETENTION_DAYS=30"),
    });
    expect(one("backups", { backupRetentionDays: 30 }).status).toBe("pass");
  });

  test("encryption: TLS not enforced fails before storage; unencrypted storage fails with the snapshot-copy way", () => {
    expect(
      one("encryption", { encryptionInTransit: { enforced: false, how: "rds.force_ssl=0 in g" } }),
    ).toMatchObject({
      status: "fail",
      summary: "the server accepts connections without TLS (rds.force_ssl=0 in g)",
    });
    expect(one("encryption", { encryptionAtRest: { encrypted: false, kmsKeyId: null } })).toMatchObject({
      status: "fail",
      fix: expect.stringContaining("ebdb snapshot copy"),
    });
  });

  test("pooling asked for but not there fails naming its state; alarms missing or unheard fail", () => {
    expect(one("pooling", { pooling: { ...base.pooling, state: null } }).summary).toMatch(
      /asks for RDS Proxy, but it is not there/,
    );
    expect(one("alarms", { alarms: { expected: ["a", "b"], present: ["a"], subscribers: 1 } }).summary).toBe(
      "1 of ebdb's 2 alarms are missing: b",
    );
    expect(one("alarms", { alarms: { expected: ["a"], present: ["a"], subscribers: 0 } }).summary).toMatch(
      /nobody is told/,
    );
  });

  test("restore tests count for --restore-days; versions compare as numbers (16.10 after 16.9)", () => {
    expect(one("restore-tested", {}).status).toBe("pass");
    expect(one("restore-tested", {}, 30)).toMatchObject({
      status: "fail",
      summary: "the last restore test was 31 days ago (2026-05-01, r), more than 30",
    });
    expect(compareVersions("16.10", "16.9")).toBeGreaterThan(0);
    expect(
      one("minor-version", {
        version: { current: "16.9", latestMinor: "16.10", autoMinorVersionUpgrade: false },
      }),
    ).toMatchObject({ status: "fail", summary: "postgres 16.9 runs; 16.10 is the newest of its line" });
  });

  test("what does not apply says why and is neither pass nor fail", () => {
    const p = one("multi-az", { multiAz: null, reasons: { "multi-az": "does not apply locally" } });
    expect(p).toMatchObject({
      status: "skipped",
      summary: "does not apply locally",
      fix: null,
      command: null,
    });
  });
});

describe("the AWS doctor's figures", () => {
  const H = 3_600_000;
  const G = 1024 ** 3;
  test("storage growth: the slope since the last jump up (storage grown), in bytes a day", () => {
    // 10 GiB free shrinking 1 GiB a day, then autoscaling adds 10 GiB, then 2 GiB a day.
    const free = [
      ...Array.from({ length: 24 }, (_, h) => ({ t: h * H, v: 10 * G - (h * G) / 24 })),
      ...Array.from({ length: 13 }, (_, h) => ({ t: (24 + h) * H, v: 19 * G - (h * 2 * G) / 24 })),
    ];
    const g = storageGrowth(free, 20 * G)!;
    expect(g.windowHours).toBe(12);
    expect(g.bytesPerDay / G).toBeCloseTo(2, 5);
    expect(storageGrowth(free.slice(0, 1), 20 * G)).toBeNull();
  });

  test("an idle primary: every TransactionLogsGeneration figure of the last 10 minutes under 1 KiB/s", () => {
    const now = 100 * 60_000;
    expect(walIdle([], now)).toBeNull();
    expect(
      walIdle(
        [
          { t: now - 6 * 60_000, v: 10 },
          { t: now - 60_000, v: 900 },
        ],
        now,
      ),
    ).toBe(true);
    expect(
      walIdle(
        [
          { t: now - 6 * 60_000, v: 5000 },
          { t: now - 60_000, v: 0 },
        ],
        now,
      ),
    ).toBe(false);
    expect(
      walIdle(
        [
          { t: now - 30 * 60_000, v: 5000 },
          { t: now - 60_000, v: 0 },
        ],
        now,
      ),
    ).toBe(true);
  });
});
