import {
  AddTagsToResourceCommand,
  type DBInstance,
  DescribeDBEngineVersionsCommand,
  DescribeDBProxiesCommand,
} from "@aws-sdk/client-rds";
import type { AuditObservation, RestoreTest } from "../../audit/types.js";
import { compareVersions } from "../../audit/practices.js";
import { insightsUnsupported } from "../../config/catalog/instance-classes.js";
import { userError } from "../../errors.js";
import type { Engine } from "../../model/config.js";
import type { Desired } from "../../model/desired-types.js";
import { isAwsCode } from "./aws-errors.js";
import type { AwsClients, Clock } from "./clients.js";
import { readInstances } from "./instances.js";
import { gather } from "./observe.js";
import { type LiveParamGroup, readParamGroup } from "./params.js";

/** The tag on the primary where `ebdb restore` notes its last restore (RDS tag values: ≤ 256 of letters, digits, space, _ . : / = + - @). */
export const RESTORE_TEST_TAG = "ebdb:last-restore-test";

/** "<ISO time> <instance> <source>": the tag's value. */
export function restoreTestTag(t: RestoreTest): string {
  return `${t.at} ${t.instance} ${t.source}`.replace(/[^\p{L}\p{N}\s_.:/=+\-@]/gu, "_").slice(0, 256);
}

export function parseRestoreTestTag(value: string | undefined): RestoreTest | null {
  const m = /^(\S+) (\S+) (.+)$/.exec(value ?? "");
  return m && !Number.isNaN(Date.parse(m[1])) ? { at: m[1], instance: m[2], source: m[3] } : null;
}

/** Records a finished restore as a tag on the primary (it lives with the database, readable from any machine). */
export async function recordAwsRestoreTest(aws: AwsClients, desired: Desired, t: RestoreTest): Promise<void> {
  const { primary } = await readInstances(aws, desired.identifier);
  if (!primary?.DBInstanceArn) return;
  await aws.rds(
    new AddTagsToResourceCommand({
      ResourceName: primary.DBInstanceArn,
      Tags: [{ Key: RESTORE_TEST_TAG, Value: restoreTestTag(t) }],
    }),
  );
}

/** The major line of a version: "16" for PostgreSQL, "8.0" for MySQL, "10.11" for MariaDB. */
function majorOf(engine: string | undefined, version: string): string {
  const parts = version.split(".");
  return engine === "postgres" ? parts[0] : parts.slice(0, 2).join(".");
}

/** The newest minor version RDS offers in the instance's major line (DescribeDBEngineVersions, paged). */
async function latestMinor(aws: AwsClients, i: DBInstance): Promise<string | null> {
  const current = i.EngineVersion ?? "";
  const major = majorOf(i.Engine, current);
  let best: string | null = null;
  let marker: string | undefined;
  do {
    const r = await aws.rds(
      new DescribeDBEngineVersionsCommand({ Engine: i.Engine, EngineVersion: major, Marker: marker }),
    );
    for (const v of r.DBEngineVersions ?? [])
      if (v.EngineVersion && majorOf(i.Engine, v.EngineVersion) === major)
        if (!best || compareVersions(v.EngineVersion, best) > 0) best = v.EngineVersion;
    marker = r.Marker;
  } while (marker);
  return best;
}

async function proxyState(aws: AwsClients, name: string): Promise<string | null> {
  try {
    const r = await aws.rds(new DescribeDBProxiesCommand({ DBProxyName: name }));
    return r.DBProxies?.[0]?.Status ?? null;
  } catch (e) {
    if (isAwsCode(e, "DBProxyNotFoundFault", "DBProxyNotFound")) return null;
    throw e;
  }
}

/**
 * TLS enforcement by the instance's parameter group: rds.force_ssl (PostgreSQL; 1 by default from
 * PostgreSQL 15 on RDS) or require_secure_transport (MySQL, MariaDB; off by default). RDS User Guide,
 * "Using SSL with a PostgreSQL DB instance" and "Requiring SSL/TLS for all connections to a MySQL DB instance".
 */
function transitOf(
  i: DBInstance,
  group: LiveParamGroup | null,
  name: string,
): { enforced: boolean; how: string } {
  const pg = i.Engine === "postgres";
  const key = pg ? "rds.force_ssl" : "require_secure_transport";
  const set = group?.values[key];
  if (set !== undefined)
    return { enforced: set === "1" || /^on$/i.test(set), how: `${key}=${set} in ${name}` };
  const major = Number.parseInt(i.EngineVersion ?? "0", 10);
  const byDefault = pg && major >= 15;
  return { enforced: byDefault, how: `${key} left at RDS's default (${byDefault ? "1" : "0"}) in ${name}` };
}

/**
 * What `ebdb audit --target aws` judges, from RDS, CloudWatch, SNS and the tag `restore` leaves.
 * The migrations table cannot be read from here (private database). Errors: NOT_CREATED.
 */
export async function observeAwsAudit(
  aws: AwsClients,
  clock: Clock,
  desired: Desired,
): Promise<AuditObservation> {
  const live = await gather(aws, desired);
  const i = live.instances.primary;
  if (!i)
    throw userError(
      "NOT_CREATED",
      `${desired.identifier} does not exist in ${aws.settings.region}.`,
      "Run `ebdb up --target aws` to create it.",
    );
  const groupName = i.DBParameterGroups?.[0]?.DBParameterGroupName ?? "";
  const [group, latest, proxy] = await Promise.all([
    live.params?.name === groupName ? Promise.resolve(live.params) : readParamGroup(aws, groupName),
    latestMinor(aws, i),
    desired.proxy ? proxyState(aws, desired.proxy.name) : Promise.resolve(null),
  ]);
  const tag = parseRestoreTestTag(i.TagList?.find((t) => t.Key === RESTORE_TEST_TAG)?.Value);
  const custom = !groupName.startsWith("default.");
  const insightsAdvanced = i.DatabaseInsightsMode === "advanced";
  const engine = (i.Engine ?? desired.config.engine) as Engine;
  const unsupported =
    !(i.PerformanceInsightsEnabled || insightsAdvanced) &&
    insightsUnsupported(i.DBInstanceClass ?? "", engine);
  return {
    target: "aws",
    identifier: desired.identifier,
    at: clock.now().toISOString(),
    engine: i.Engine ?? desired.config.engine,
    state: i.DBInstanceStatus ?? "unknown",
    multiAz: i.MultiAZ ?? false,
    backupRetentionDays: i.BackupRetentionPeriod ?? 0,
    encryptionAtRest: { encrypted: i.StorageEncrypted ?? false, kmsKeyId: i.KmsKeyId ?? null },
    encryptionInTransit: transitOf(i, group, groupName),
    pooling: {
      configured: desired.proxy !== null,
      kind: "rds-proxy",
      state: proxy,
      detail: desired.proxy ? `RDS Proxy ${desired.proxy.name}` : "",
    },
    alarms: {
      expected: desired.monitoring.alarms.map((a) => a.name),
      present: live.alarms.map((a) => a.AlarmName!).filter(Boolean),
      subscribers: live.topic?.subscriptions.length ?? 0,
    },
    insights: {
      enabled: (i.PerformanceInsightsEnabled ?? false) || insightsAdvanced,
      kind: insightsAdvanced ? "CloudWatch Database Insights (advanced)" : "Performance Insights",
      detail:
        i.PerformanceInsightsEnabled || insightsAdvanced
          ? `on, ${i.PerformanceInsightsRetentionPeriod ?? 7} days of history`
          : unsupported
            ? `RDS offers none for ${engine} on ${i.DBInstanceClass}`
            : "no per-query load history (database load by wait event, SQL and user)",
      unsupported,
    },
    restoreTests: tag ? [tag] : [],
    version: {
      current: i.EngineVersion ?? "",
      latestMinor: latest,
      autoMinorVersionUpgrade: i.AutoMinorVersionUpgrade ?? null,
    },
    parameterGroup: {
      name: groupName,
      custom,
      detail: custom
        ? `its own group${group ? ` with ${Object.keys(group.values).length} setting(s) changed` : ""}`
        : "RDS's default",
    },
    migrations: null,
    reasons: {
      migrations:
        "not read from here: the database is private to the EB environment's VPC; on an EB instance (`eb ssh`), `psql \"$DATABASE_URL\" -c '\\dt *migration*'` shows a migration tool's table",
    },
  };
}
