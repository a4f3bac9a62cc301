import { AddTagsToResourceCommand, type DBInstance, DescribeDBProxiesCommand } from "@aws-sdk/client-rds";
import { DescribeSecurityGroupsCommand, type SecurityGroup } from "@aws-sdk/client-ec2";
import { DescribeEnvironmentsCommand } from "@aws-sdk/client-elastic-beanstalk";
import { GetFunctionCommand, type GetFunctionCommandOutput } from "@aws-sdk/client-lambda";
import type { AdoptedDatabase } from "../../adopt/config-from-instance.js";
import { userError } from "../../errors.js";
import { type Coupling, readCoupling } from "./adopt-coupling.js";
import type { ControllerConfig } from "./autoscale-controller.js";
import { autoscaleNames } from "./autoscale-names.js";
import { isAwsCode } from "./aws-errors.js";
import type { AwsClients } from "./clients.js";
import { type LiveEnv, readEnvironment } from "./eb.js";
import { REPLICA_INDEX_TAG, REPLICA_OF_TAG, readInstance, replicaIndexOf } from "./instances.js";
import { readParamGroup } from "./params.js";
import { readAlarms } from "./monitoring.js";

/** What `ebdb adopt` read: the database as the config writer wants it, and what tagging needs. */
export interface AdoptRead {
  db: AdoptedDatabase;
  primary: DBInstance;
  replicas: DBInstance[];
  env: LiveEnv | null;
  coupling: Coupling | null;
}

const tagOf = (i: DBInstance, k: string) => i.TagList?.find((t) => t.Key === k)?.Value;

/** The EB environment an instance belongs to: EB's tags on it (a coupled one), else a property naming its endpoint. */
async function findEnvironment(
  aws: AwsClients,
  primary: DBInstance,
): Promise<{ env: LiveEnv; foundBy: string } | null> {
  const host = primary.Endpoint?.Address ?? "";
  const r = await aws.eb(new DescribeEnvironmentsCommand({ IncludeDeleted: false }));
  const envs = (r.Environments ?? []).filter((e) => e.Status !== "Terminated");
  // EB's tags name the environment that made the instance; one of the same name made later (after
  // that one was terminated, the instance kept) is another environment: its id differs.
  const tagged = tagOf(primary, "elasticbeanstalk:environment-name");
  const taggedId = tagOf(primary, "elasticbeanstalk:environment-id");
  const byTag = envs.find(
    (e) => e.EnvironmentName === tagged && (taggedId === undefined || e.EnvironmentId === taggedId),
  );
  if (byTag) {
    const env = await readEnvironment(aws, byTag.ApplicationName!, byTag.EnvironmentName!);
    return { env, foundBy: "the instance's elasticbeanstalk:environment-name tag" };
  }
  // One made by hand: the environment whose variables name its endpoint (at most 50 read).
  for (const e of envs.slice(0, 50)) {
    const env = await readEnvironment(aws, e.ApplicationName!, e.EnvironmentName!);
    const named =
      ["DB_HOST", "RDS_HOSTNAME", "PGHOST"].find((k) => host && env.properties[k] === host) ??
      (host && urlHost(env.properties.DATABASE_URL) === host ? "DATABASE_URL" : undefined);
    if (named) return { env, foundBy: `its property ${named} names the endpoint` };
  }
  return null;
}

/** The host of a connection URL (postgres://user:pw@host:5432/db, mysql://...); null when it does not parse. */
function urlHost(url: string | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).hostname || null;
  } catch {
    return null;
  }
}

/** The EB environment's own instance security groups (EB tags the one it makes with the environment's name). */
export async function ebInstanceGroups(aws: AwsClients, env: LiveEnv): Promise<string[]> {
  const r = await aws.ec2(
    new DescribeSecurityGroupsCommand({
      Filters: [{ Name: "tag:elasticbeanstalk:environment-name", Values: [env.name] }],
    }),
  );
  const tagged = (r.SecurityGroups ?? [])
    .filter((g) => !(g.GroupName ?? "").includes("AWSEBRDSDBSecurityGroup"))
    .map((g) => g.GroupId!);
  return [...new Set([...tagged, ...env.securityGroups.filter((g) => g.startsWith("sg-"))])];
}

export function admits(groups: SecurityGroup[], port: number, sources: string[]): boolean {
  return groups.some((g) =>
    (g.IpPermissions ?? []).some(
      (p) =>
        (p.IpProtocol === "-1" ||
          (p.IpProtocol === "tcp" && (p.FromPort ?? 0) <= port && port <= (p.ToPort ?? 65535))) &&
        (p.UserIdGroupPairs ?? []).some((pair) => sources.includes(pair.GroupId ?? "")),
    ),
  );
}

/** The group ids without the one named `name` (one DescribeSecurityGroups by name; none: unchanged). */
async function withoutGroupNamed(aws: AwsClients, ids: string[], name: string): Promise<string[]> {
  if (ids.length === 0) return ids;
  const r = await aws.ec2(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: "group-name", Values: [name] }] }),
  );
  const named = new Set((r.SecurityGroups ?? []).map((g) => g.GroupId));
  return ids.filter((id) => !named.has(id));
}

/**
 * The policy of ebdb's read-replica autoscaler (an earlier `up` deployed it): its Lambda function's
 * EBDB_AUTOSCALE configuration (autoscale-controller.ts). Null when there is none or it is unreadable.
 */
async function readAutoscalerPolicy(
  aws: AwsClients,
  identifier: string,
): Promise<AdoptedDatabase["autoscaling"]> {
  let fn: GetFunctionCommandOutput;
  try {
    fn = await aws.lambda(new GetFunctionCommand({ FunctionName: autoscaleNames(identifier).functionName }));
  } catch (e) {
    if (isAwsCode(e, "ResourceNotFoundException")) return null;
    throw e;
  }
  try {
    const cfg = JSON.parse(fn.Configuration?.Environment?.Variables?.EBDB_AUTOSCALE ?? "null") as Pick<
      ControllerConfig,
      "policy" | "maxLagSeconds"
    > | null;
    const p = cfg?.policy;
    if (!p) return null;
    return {
      min: p.minCapacity,
      max: p.maxCapacity,
      targetCpu: p.targetCpuPercent,
      scaleInCooldownSeconds: p.scaleInCooldownSeconds,
      scaleOutCooldownSeconds: p.scaleOutCooldownSeconds,
      maxLagSeconds: cfg.maxLagSeconds,
    };
  } catch {
    return null;
  }
}

/**
 * The slow-statement threshold the group sets, in ms, as model/desired.ts writes it: PostgreSQL's
 * log_min_duration_statement; MySQL's and MariaDB's long_query_time in seconds (slow_query_log 0:
 * off, -1). Null when the group does not set it.
 */
function slowQueryMsOf(engine: string, values: Record<string, string> | undefined): number | null {
  if (!values) return null;
  if (engine === "postgres") {
    const v = values.log_min_duration_statement;
    return v !== undefined && Number.isInteger(Number(v)) ? Number(v) : null;
  }
  if (values.slow_query_log === "0") return -1;
  const s = values.long_query_time;
  return s !== undefined && s !== "" && Number.isFinite(Number(s)) ? Math.round(Number(s) * 1000) : null;
}

/** Whether ebdb's RDS Proxy of that name exists (DescribeDBProxies; DBProxyNotFoundFault: no). */
async function proxyExists(aws: AwsClients, name: string): Promise<boolean> {
  try {
    const r = await aws.rds(new DescribeDBProxiesCommand({ DBProxyName: name }));
    return (r.DBProxies ?? []).some((p) => p.Status !== "deleting");
  } catch (e) {
    if (isAwsCode(e, "DBProxyNotFoundFault")) return false;
    throw e;
  }
}

/** The environment property naming the application's database, for an instance without DBName. */
function databasePropertyOf(env: LiveEnv): { key: string; value: string } | null {
  const key = ["DB_NAME", "RDS_DB_NAME", "PGDATABASE"].find((k) =>
    /^[A-Za-z]\w*$/.test(env.properties[k] ?? ""),
  );
  return key ? { key, value: env.properties[key] } : null;
}

/**
 * Reads an instance ebdb did not make, and all `adopt` describes: its replicas, parameter group (the
 * slow-query threshold), security and subnet groups, an RDS-managed secret, and the EB environment
 * that uses it (coupled or not). Throws a user error when the instance does not exist or is a replica.
 */
export async function readForAdopt(
  aws: AwsClients,
  identifier: string,
  profile: string | null,
): Promise<AdoptRead> {
  const primary = await readInstance(aws, identifier);
  if (!primary) {
    throw userError(
      "NOT_FOUND",
      `RDS instance ${identifier} does not exist in ${aws.settings.region}.`,
      "Check --identifier and --region (`aws rds describe-db-instances` lists them).",
    );
  }
  const engine = primary.Engine ?? "";
  if (!["postgres", "mysql", "mariadb"].includes(engine)) {
    throw userError(
      "ADOPT_ENGINE",
      `${identifier} runs ${engine || "an unknown engine"}${primary.DBClusterIdentifier ? ` in DB cluster ${primary.DBClusterIdentifier}` : ""}: ebdb manages RDS for PostgreSQL, MySQL and MariaDB instances only.`,
      "Nothing was written or tagged. Adopt a PostgreSQL, MySQL or MariaDB instance.",
    );
  }
  if (!["gp2", "gp3", "io1", "io2"].includes(primary.StorageType ?? "gp2")) {
    throw userError(
      "ADOPT_STORAGE",
      `${identifier} has ${primary.StorageType} storage (magnetic): ebdb manages gp2, gp3, io1 and io2 storage only.`,
      "Nothing was written or tagged. Move it to gp3 (ModifyDBInstance StorageType gp3; the instance stays available), then run adopt again.",
    );
  }
  if (primary.DBSubnetGroup?.DBSubnetGroupName?.toLowerCase() === "default") {
    throw userError(
      "ADOPT_SUBNET_GROUP",
      `${identifier} is in RDS's own DB subnet group \`default\` (made when an instance names none), which config.env cannot name: ebdb would make a group of that name.`,
      "Nothing was written or tagged. Put the instance in a DB subnet group of its own (ModifyDBInstance DBSubnetGroupName), then run adopt again.",
    );
  }
  const source = primary.ReadReplicaSourceDBInstanceIdentifier;
  if (source) {
    throw userError(
      "ADOPT_REPLICA",
      `${identifier} is a read replica of ${source}.`,
      `Adopt the primary: ebdb adopt --identifier ${source} (its replicas come with it).`,
    );
  }
  const replicas: DBInstance[] = [];
  for (const name of primary.ReadReplicaDBInstanceIdentifiers ?? []) {
    const r = await readInstance(aws, name);
    if (r && r.DBInstanceStatus !== "deleting") replicas.push(r);
  }
  replicas.sort(
    (a, b) =>
      (replicaIndexOf(identifier, a) ?? 99) - (replicaIndexOf(identifier, b) ?? 99) ||
      a.DBInstanceIdentifier!.localeCompare(b.DBInstanceIdentifier!),
  );
  const sgIds = (primary.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!);
  const groupName = primary.DBParameterGroups?.[0]?.DBParameterGroupName ?? "";
  const [sgs, params, found, alarms, autoscaling, rdsProxy] = await Promise.all([
    sgIds.length
      ? aws.ec2(new DescribeSecurityGroupsCommand({ GroupIds: sgIds })).then((r) => r.SecurityGroups ?? [])
      : Promise.resolve([] as SecurityGroup[]),
    groupName && !groupName.startsWith("default.") ? readParamGroup(aws, groupName) : Promise.resolve(null),
    findEnvironment(aws, primary),
    readAlarms(aws, identifier),
    readAutoscalerPolicy(aws, identifier),
    // The name config/resolve.ts gives ebdb's proxy.
    proxyExists(aws, `${identifier.slice(0, 57).replace(/-+$/, "")}-proxy`),
  ]);
  const env = found?.env ?? null;
  const coupling = env ? await readCoupling(aws, env) : null;
  const coupled = coupling?.instanceId === identifier;
  const port = primary.Endpoint?.Port ?? primary.DbInstancePort ?? 5432;
  // ebdb's client security group (an earlier `up` in client-sg mode attached it to the EB instances)
  // is not the instances' own group: a database admitting only it is in client-sg mode.
  const clientSg = `${identifier}-client-sg`;
  const ebGroups = env ? await withoutGroupNamed(aws, await ebInstanceGroups(aws, env), clientSg) : [];
  const slowQueryMs = slowQueryMsOf(primary.Engine ?? "postgres", params?.values);
  const storageType = primary.StorageType ?? "gp2";
  // gp3 below 400 GiB reports its baseline (3000 IOPS, 125 MiB/s), which config.env leaves empty.
  const gp3Baseline = storageType === "gp3" && (primary.AllocatedStorage ?? 0) < 400;
  const db: AdoptedDatabase = {
    region: aws.settings.region,
    profile,
    identifier,
    engine: primary.Engine ?? "postgres",
    engineVersion: primary.EngineVersion ?? "",
    instanceClass: primary.DBInstanceClass ?? "",
    dbName: primary.DBName ?? null,
    masterUsername: primary.MasterUsername ?? "",
    port,
    multiAz: primary.MultiAZ ?? false,
    deletionProtection: primary.DeletionProtection ?? false,
    storageType,
    allocatedGiB: primary.AllocatedStorage ?? 20,
    maxAllocatedGiB: primary.MaxAllocatedStorage ?? null,
    iops:
      storageType.startsWith("io") || (!gp3Baseline && storageType === "gp3") ? (primary.Iops ?? null) : null,
    throughputMiBps: storageType === "gp3" && !gp3Baseline ? (primary.StorageThroughput ?? null) : null,
    encrypted: primary.StorageEncrypted ?? false,
    kmsKeyId: primary.StorageEncrypted ? (primary.KmsKeyId ?? null) : null,
    backupRetentionDays: primary.BackupRetentionPeriod ?? 0,
    backupWindow: primary.PreferredBackupWindow ?? "03:00-04:00",
    maintenanceWindow: primary.PreferredMaintenanceWindow ?? "sun:04:30-sun:05:30",
    autoMinorVersionUpgrade: primary.AutoMinorVersionUpgrade ?? true,
    performanceInsights: {
      enabled: primary.PerformanceInsightsEnabled ?? false,
      retentionDays: primary.PerformanceInsightsEnabled
        ? (primary.PerformanceInsightsRetentionPeriod ?? 7)
        : null,
    },
    parameterGroup: groupName,
    logExports: [...(primary.EnabledCloudwatchLogsExports ?? [])],
    alarms: alarms.length > 0,
    slowQueryMs,
    securityGroups: sgIds.map((id) => ({ id, name: sgs.find((g) => g.GroupId === id)?.GroupName ?? id })),
    subnetGroup: primary.DBSubnetGroup?.DBSubnetGroupName ?? "",
    replicas: replicas.map((r) => ({
      name: r.DBInstanceIdentifier!,
      instanceClass: r.DBInstanceClass ?? "",
      performanceInsights: r.PerformanceInsightsEnabled ?? false,
      logExports: [...(r.EnabledCloudwatchLogsExports ?? [])],
      maxAllocatedGiB: r.MaxAllocatedStorage ?? null,
      parameterGroup: r.DBParameterGroups?.[0]?.DBParameterGroupName ?? groupName,
    })),
    eb: env
      ? {
          application: env.application,
          environment: env.name,
          coupled,
          deletionPolicy: coupled ? (coupling?.deletionPolicy ?? "Delete") : null,
          foundBy: coupled ? `the AWSEBRDSDatabase resource of stack ${coupling?.stackName}` : found!.foundBy,
          readsRdsNames: coupled || "RDS_HOSTNAME" in env.properties,
          admitsEbInstances: admits(sgs, port, ebGroups),
          databaseProperty: databasePropertyOf(env),
        }
      : null,
    masterUserSecretArn: primary.MasterUserSecret?.SecretArn ?? null,
    autoscaling,
    rdsProxy,
    ebdbTags:
      tagOf(primary, "ebdb:app") && tagOf(primary, "ebdb:env")
        ? { app: tagOf(primary, "ebdb:app")!, env: tagOf(primary, "ebdb:env")! }
        : null,
  };
  return { db, primary, replicas, env, coupling: coupled ? coupling : null };
}

/** The tags that make the instance ebdb's; a replica also says whose replica it is and its index. */
export function adoptTags(
  app: string,
  env: string,
  replica?: { of: string; index: number },
): { Key: string; Value: string }[] {
  const tags = [
    { Key: "ebdb:app", Value: app },
    { Key: "ebdb:env", Value: env },
    { Key: "ebdb:managed", Value: "true" },
  ];
  if (replica) {
    tags.push(
      { Key: REPLICA_OF_TAG, Value: replica.of },
      { Key: REPLICA_INDEX_TAG, Value: String(replica.index) },
    );
  }
  return tags;
}

/**
 * Tags the primary and its replicas as ebdb's (AddTagsToResource: tags only, the instances do not
 * change). A replica keeps the index its name or an earlier adopt gave it; the others take the next
 * free ones in name order. Only tags that differ are written, so a second run writes nothing.
 * Returns the instances whose tags changed.
 */
export async function tagAdopted(
  aws: AwsClients,
  read: AdoptRead,
  app: string,
  env: string,
): Promise<string[]> {
  const id = read.primary.DBInstanceIdentifier!;
  const taken = new Set<number>();
  const index = new Map<DBInstance, number>();
  for (const r of read.replicas) {
    const n = replicaIndexOf(id, r);
    if (n !== null && !taken.has(n)) {
      taken.add(n);
      index.set(r, n);
    }
  }
  let next = 1;
  for (const r of read.replicas) {
    if (index.has(r)) continue;
    while (taken.has(next)) next++;
    taken.add(next);
    index.set(r, next);
  }
  const changed: string[] = [];
  const apply = async (i: DBInstance, tags: { Key: string; Value: string }[]) => {
    if (tags.every((t) => tagOf(i, t.Key) === t.Value)) return;
    await aws.rds(new AddTagsToResourceCommand({ ResourceName: i.DBInstanceArn!, Tags: tags }));
    changed.push(i.DBInstanceIdentifier!);
  };
  await apply(read.primary, adoptTags(app, env));
  for (const r of read.replicas) await apply(r, adoptTags(app, env, { of: id, index: index.get(r)! }));
  return changed;
}
