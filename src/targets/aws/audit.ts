import {
  AddTagsToResourceCommand,
  type DBInstance,
  DescribeDBEngineVersionsCommand,
  DescribeDBProxiesCommand,
} from "@aws-sdk/client-rds";
import type { AuditObservation, RestoreTest } from "../../audit/types.js";
import { compareVersions } from "../../audit/practices.js";
import { userError } from "../../errors.js";
import type { Desired } from "../../model/desired-types.js";
import { isAwsCode } from "./aws-errors.js";
import type { AwsClients, Clock } from "./clients.js";
import { privateReason } from "./health.js";
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

/** The newest minor version RDS offers in the instance's line (DescribeDBEngineVersions' ValidUpgradeTarget). */
async function latestMinor(aws: AwsClients, i: DBInstance): Promise<string | null> {
  const current = i.EngineVersion ?? "";
  const r = await aws.rds(new DescribeDBEngineVersionsCommand({ Engine: i.Engine, EngineVersion: current }));
  const row = r.DBEngineVersions?.find((v) => v.EngineVersion === current);
  if (!row) return null;
  return (row.ValidUpgradeTarget ?? [])
    .filter((t) => !t.IsMajorVersionUpgrade && t.EngineVersion)
    .map((t) => t.EngineVersion!)
    .reduce((a, b) => (compareVersions(b, a) > 0 ? b : a), current);
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
          : "no per-query load history (database load by wait event, SQL and user)",
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
      migrations: `the migrations table is ${privateReason(i.Endpoint?.Address ?? null, i.Endpoint?.Port ?? desired.primary.port)}`,
    },
  };
}
