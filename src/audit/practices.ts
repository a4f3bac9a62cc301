import type {
  AuditObservation,
  AuditOptions,
  AuditReport,
  PracticeId,
  PracticeResult,
  PracticeStatus,
} from "./types.js";

type Verdict = Omit<PracticeResult, "id" | "title">;

/** One practice: the spec's title and a pure function of the observation. */
interface Practice {
  id: PracticeId;
  title: string;
  run(o: AuditObservation, opts: AuditOptions): Verdict;
}

/** The spec's retention range (Best Practices 2: "automated backups with 7-30 day retention"). */
export const RETENTION_MIN_DAYS = 7;
export const RETENTION_MAX_DAYS = 30;
/** A restore test counts for this long by default: once a quarter. */
export const DEFAULT_RESTORE_WITHIN_DAYS = 90;

const v = (
  status: PracticeStatus,
  summary: string,
  observed: Record<string, unknown>,
  fix: string | null = null,
  command: string | null = null,
): Verdict => ({
  status,
  summary,
  observed,
  fix: status === "fail" ? fix : null,
  command: status === "fail" ? command : null,
});

/** `ebdb <verb>` with --target aws on AWS (the local target is the default). */
const ebdb = (o: AuditObservation, verb: string) =>
  `ebdb ${verb}${o.target === "aws" ? " --target aws" : ""}`;

/** A practice that does not apply here, or whose facts could not be read: skipped, saying why. */
function why(o: AuditObservation, id: PracticeId, fallback: string): Verdict {
  return v("skipped", o.reasons[id] ?? fallback, {});
}

/** Whole days from ISO `a` to ISO `b`. */
const daysBetween = (a: string, b: string) => Math.floor((Date.parse(b) - Date.parse(a)) / 86_400_000);

/** "16.4" < "16.10": versions compare part by part, as numbers. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(".").map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The ten practices, in the spec's order (database-setup-guide.md, "Best Practices"); each fix says
 * the config.env change, and `command` the ebdb command that makes it.
 */
export const PRACTICES: readonly Practice[] = [
  {
    id: "multi-az",
    title: "Always enable Multi-AZ for production",
    run: (o) => {
      if (o.multiAz === null) return why(o, "multi-az", "Multi-AZ could not be read");
      return o.multiAz
        ? v("pass", "Multi-AZ: a synchronous standby in another availability zone takes over on failure", {
            multiAz: true,
          })
        : v(
            "fail",
            "Single-AZ: a host or zone failure is an outage until RDS replaces the instance",
            { multiAz: false },
            "Set DB_MULTI_AZ=true in config.env (RDS adds the standby online, without downtime; writes slow a little while it syncs).",
            ebdb(o, "up"),
          );
    },
  },
  {
    id: "backups",
    title: `Use automated backups with ${RETENTION_MIN_DAYS}-${RETENTION_MAX_DAYS} day retention`,
    run: (o) => {
      const days = o.backupRetentionDays;
      if (days === null) return why(o, "backups", "the backup retention could not be read");
      const observed = { retentionDays: days, min: RETENTION_MIN_DAYS, max: RETENTION_MAX_DAYS };
      const fix = `Set DB_BACKUP_RETENTION_DAYS=${RETENTION_MIN_DAYS} (or up to ${RETENTION_MAX_DAYS}) in config.env.`;
      if (days === 0)
        return v("fail", "automated backups are off: no point-in-time restore", observed, fix, ebdb(o, "up"));
      if (days < RETENTION_MIN_DAYS)
        return v(
          "fail",
          `backups are kept ${days} day(s), under the ${RETENTION_MIN_DAYS} the spec asks`,
          observed,
          fix,
          ebdb(o, "up"),
        );
      if (days > RETENTION_MAX_DAYS)
        return v(
          "fail",
          `backups are kept ${days} days, more than the ${RETENTION_MAX_DAYS} the spec asks (storage beyond the database's size is billed)`,
          observed,
          `Set DB_BACKUP_RETENTION_DAYS=${RETENTION_MAX_DAYS} in config.env, or keep longer-lived copies as manual snapshots (\`ebdb snapshot create\`).`,
          ebdb(o, "up"),
        );
      return v("pass", `automated backups kept ${days} days, point-in-time restore within them`, observed);
    },
  },
  {
    id: "encryption",
    title: "Enable encryption at rest and in transit",
    run: (o) => {
      const rest = o.encryptionAtRest;
      const transit = o.encryptionInTransit;
      const observed = { atRest: rest, inTransit: transit };
      if (transit && !transit.enforced)
        return v(
          "fail",
          `the server accepts connections without TLS (${transit.how})`,
          observed,
          "ebdb's parameter group enforces TLS (rds.force_ssl=1, or require_secure_transport=1 on MySQL and MariaDB): apply it.",
          ebdb(o, "up"),
        );
      if (rest && !rest.encrypted)
        return v(
          "fail",
          "storage is not encrypted at rest (nor its snapshots and replicas); RDS cannot encrypt an existing instance in place",
          observed,
          "Copy a snapshot with encryption and restore it, then switch the application to it: `ebdb snapshot create`, `ebdb snapshot copy <id> --kms-key-id alias/aws/rds`, `ebdb restore --from-snapshot <copy> --switch`; set DB_STORAGE_ENCRYPTED=true in config.env.",
          "ebdb snapshot create --target aws",
        );
      if (!rest && !transit) return why(o, "encryption", "encryption could not be read");
      const parts = [
        transit ? `TLS enforced in transit (${transit.how})` : "in transit: could not be read",
        rest
          ? `encrypted at rest (KMS key ${rest.kmsKeyId ?? "aws/rds"})`
          : `at rest: ${o.reasons.encryption ?? "could not be read"}`,
      ];
      return v("pass", parts.join("; "), observed);
    },
  },
  {
    id: "pooling",
    title: "Use connection pooling to manage connections efficiently",
    run: (o) => {
      const p = o.pooling;
      const name = p.kind === "rds-proxy" ? "RDS Proxy" : "PgBouncer";
      const observed = { ...p };
      if (!p.configured)
        return v(
          "fail",
          `no pooler in front of the primary: each application process holds its own connections against max_connections`,
          observed,
          `Set DB_RDS_PROXY_ENABLED=true in config.env (${o.target === "aws" ? "RDS Proxy" : "PgBouncer locally, RDS Proxy on AWS"}); or pool in the application (\`ebdb pooler pgbouncer\` writes PgBouncer's files for the EB instances).`,
          ebdb(o, "up"),
        );
      const ok = p.state === "available" || p.state === "running";
      return ok
        ? v(
            "pass",
            `${name} is ${p.state} in front of the primary${p.detail ? ` (${p.detail})` : ""}`,
            observed,
          )
        : v(
            "fail",
            `the configuration asks for ${name}, but it is ${p.state ?? "not there"}${p.detail ? `: ${p.detail}` : ""}`,
            observed,
            `Run \`${ebdb(o, "up")}\` to make or start it.`,
            ebdb(o, "up"),
          );
    },
  },
  {
    id: "alarms",
    title: "Monitor CloudWatch metrics and set up alarms",
    run: (o) => {
      const a = o.alarms;
      if (!a) return why(o, "alarms", "the alarms could not be read");
      const missing = a.expected.filter((n) => !a.present.includes(n));
      const observed = { ...a, missing };
      if (a.present.length === 0)
        return v(
          "fail",
          "no CloudWatch alarm watches the database",
          observed,
          "Set DB_ALARM_EMAIL in config.env: ebdb makes alarms on CPU, free storage, connections, memory and replica lag, sent to that address through SNS.",
          ebdb(o, "up"),
        );
      if (missing.length > 0)
        return v(
          "fail",
          `${missing.length} of ebdb's ${a.expected.length} alarms are missing: ${missing.join(", ")}`,
          observed,
          "Make them again.",
          ebdb(o, "up"),
        );
      if (a.subscribers === 0)
        return v(
          "fail",
          `${a.present.length} alarms, but nobody is told when they fire (no confirmed subscription to their SNS topic)`,
          observed,
          "Set DB_ALARM_EMAIL in config.env and confirm the email SNS sends.",
          ebdb(o, "up"),
        );
      return v("pass", `${a.present.length} alarms, notifying ${a.subscribers} subscriber(s)`, observed);
    },
  },
  {
    id: "performance-insights",
    title: "Regular performance reviews using Performance Insights",
    run: (o) => {
      const i = o.insights;
      if (!i) return why(o, "performance-insights", "Performance Insights could not be read");
      if (i.enabled) return v("pass", `${i.kind}: ${i.detail}`, { ...i });
      if (i.unsupported)
        return v(
          "fail",
          `${i.kind} is off: ${i.detail}`,
          { ...i },
          "Move to a class that has it (db.t3.medium or larger), then set DB_PERFORMANCE_INSIGHTS_ENABLED=true in config.env.",
          "ebdb scale --instance-class db.t3.medium --target aws",
        );
      return v(
        "fail",
        `${i.kind} is off: ${i.detail}`,
        { ...i },
        o.target === "aws"
          ? "Set DB_PERFORMANCE_INSIGHTS_ENABLED=true in config.env (7 days are free), or turn it on now; AWS moves Performance Insights into CloudWatch Database Insights, which reads the same data."
          : "Run `ebdb up`: it preloads pg_stat_statements and creates the extension (`ebdb doctor` shows the top queries).",
        o.target === "aws" ? "ebdb insights enable --target aws" : "ebdb up",
      );
    },
  },
  {
    id: "restore-tested",
    title: "Test disaster recovery procedures periodically",
    run: (o, opts) => {
      const last = o.restoreTests[0];
      const observed = {
        last: last ?? null,
        count: o.restoreTests.length,
        withinDays: opts.restoreWithinDays,
      };
      const how = `Restore into a new instance and check the data: \`${ebdb(o, "restore --latest")}\` (ebdb records the test), then remove it with \`${ebdb(o, "destroy --instance <name>")}\`.`;
      if (!last)
        return v("fail", "no restore was ever tested with ebdb", observed, how, ebdb(o, "restore --latest"));
      const age = daysBetween(last.at, o.at);
      if (age > opts.restoreWithinDays)
        return v(
          "fail",
          `the last restore test was ${age} days ago (${last.at.slice(0, 10)}, ${last.instance}), more than ${opts.restoreWithinDays}`,
          { ...observed, ageDays: age },
          how,
          ebdb(o, "restore --latest"),
        );
      return v(
        "pass",
        `restore tested ${age} day(s) ago: ${last.instance} from ${last.source} (${last.at.slice(0, 16).replace("T", " ")} UTC)`,
        { ...observed, ageDays: age },
      );
    },
  },
  {
    id: "minor-version",
    title: "Keep database engine updated to latest minor version",
    run: (o) => {
      const { current, latestMinor, autoMinorVersionUpgrade } = o.version;
      const observed = { current, latestMinor, autoMinorVersionUpgrade };
      if (!latestMinor)
        return why(o, "minor-version", `${current}: the newest minor version could not be read`);
      if (compareVersions(current, latestMinor) >= 0)
        return v(
          "pass",
          `${o.engine} ${current} is the newest minor version of its line${autoMinorVersionUpgrade ? " (automatic minor upgrades on)" : ""}`,
          observed,
        );
      return v(
        "fail",
        `${o.engine} ${current} runs; ${latestMinor} is the newest of its line${autoMinorVersionUpgrade ? " (automatic minor upgrades will apply it in a maintenance window)" : ""}`,
        observed,
        o.target === "aws"
          ? `Set DB_ENGINE_VERSION=${latestMinor} in config.env (a restart; Multi-AZ upgrades the standby first), and keep DB_AUTO_MINOR_VERSION_UPGRADE=true.`
          : `Install PostgreSQL ${latestMinor} (or a newer ebdb, whose embedded binaries follow), set DB_ENGINE_VERSION=${latestMinor}, and restart with \`ebdb down\`, \`ebdb up\`.`,
        o.target === "aws" ? "ebdb up --target aws --apply-immediately" : "ebdb up",
      );
    },
  },
  {
    id: "parameter-group",
    title: "Use parameter groups for custom configuration",
    run: (o) => {
      const g = o.parameterGroup;
      if (!g) return why(o, "parameter-group", "the parameter group could not be read");
      if (g.custom) return v("pass", `${g.name}: ${g.detail}`, { ...g });
      return v(
        "fail",
        `${g.name} is RDS's default group: no setting can change (TLS enforcement, slow-query logging, pg_stat_statements)`,
        { ...g },
        "ebdb makes its own group (<identifier>-<family>) with TLS enforced and slow queries logged, and moves the instance to it (a reboot applies its static parameters).",
        ebdb(o, "up"),
      );
    },
  },
  {
    id: "migrations",
    title: "Document your schema and migration procedures",
    run: (o) => {
      const m = o.migrations;
      if (!m) return why(o, "migrations", "the database's tables could not be read");
      if (m.tables.length > 0)
        return v("pass", `migrations are tracked: ${m.tables.join(", ")}`, { tables: m.tables });
      return v(
        "fail",
        "no migration tool's table in the database: schema changes are not tracked",
        { tables: [] },
        "Keep the schema in migrations (the spec's Migrations: Django, Alembic, Flyway, Liquibase, Prisma...) and run them on every deployment with the connection ebdb gives (`ebdb exec -- <tool>`, or the tool's EB hook).",
        "ebdb migrate",
      );
    },
  },
];

/** Every practice over one observation (pure). A practice that throws is a bug: it says so. */
export function runAudit(o: AuditObservation, opts: Partial<AuditOptions> = {}): AuditReport {
  const full: AuditOptions = { restoreWithinDays: DEFAULT_RESTORE_WITHIN_DAYS, ...opts };
  const practices = PRACTICES.map((p): PracticeResult => {
    try {
      return { id: p.id, title: p.title, ...p.run(o, full) };
    } catch (e) {
      return {
        id: p.id,
        title: p.title,
        status: "skipped",
        summary: `internal error in this practice (a bug in ebdb): ${(e as Error).message}`,
        observed: {},
        fix: null,
        command: null,
      };
    }
  });
  return { target: o.target, identifier: o.identifier, practices };
}

/** Exit status of an audit: 1 when a practice fails. */
export function auditExitCode(r: AuditReport): 0 | 1 {
  return r.practices.some((p) => p.status === "fail") ? 1 : 0;
}
