import { DescribeSecurityGroupsCommand } from "@aws-sdk/client-ec2";
import type { DBInstance } from "@aws-sdk/client-rds";
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { admits, ebInstanceGroups } from "./adopt-read.js";
import type { AwsClients } from "./clients.js";
import type { LiveEnv } from "./eb.js";

/** The database the application must keep reaching: the instance's endpoint and master credentials. */
export interface Target {
  host: string;
  port: number;
  dbName: string;
  username: string;
  password: string;
}

/** Where each family of the application's variables leads, and what is wrong with any that does not lead there. */
export interface Reach {
  /** The families of names present: RDS, DB, PG, DATABASE_URL, JDBC_DATABASE_URL. */
  families: string[];
  /** Empty when every family connects to the target. */
  problems: string[];
}

function fromUrl(url: string): (Omit<Target, "password"> & { password: string }) | null {
  const m =
    /^(?:jdbc:)?(?:postgresql|mysql):\/\/(?:([^:@/]*):([^@/]*)@)?([^:/?]+):(\d+)\/([^?]*)(?:\?(.*))?$/.exec(
      url,
    );
  if (!m) return null;
  const q = new URLSearchParams(m[6] ?? "");
  const d = (s: string | undefined) => decodeURIComponent(s ?? "");
  return {
    host: m[3],
    port: Number(m[4]),
    dbName: d(m[5]),
    username: m[1] !== undefined ? d(m[1]) : (q.get("user") ?? ""),
    password: m[2] !== undefined ? d(m[2]) : (q.get("password") ?? ""),
  };
}

/**
 * Whether the variables an application reads connect to `target`: for each family of names a client
 * may read (EB's RDS_*, ebdb's DB_*, libpq's PG*, DATABASE_URL, JDBC_DATABASE_URL), the host, port,
 * database, user and password. A family whose host name is absent is left out. Pure.
 */
export function reachOf(vars: Record<string, string>, target: Target): Reach {
  const families: Record<string, Target | null> = {};
  const plain = (h: string, p: string, d: string, u: string, pw: string) => {
    if (!(h in vars)) return undefined;
    return {
      host: vars[h],
      port: Number(vars[p] ?? ""),
      dbName: vars[d] ?? "",
      username: vars[u] ?? "",
      password: vars[pw] ?? "",
    };
  };
  const rds = plain("RDS_HOSTNAME", "RDS_PORT", "RDS_DB_NAME", "RDS_USERNAME", "RDS_PASSWORD");
  const db = plain("DB_HOST", "DB_PORT", "DB_NAME", "DB_USERNAME", "DB_PASSWORD");
  const pg = plain("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD");
  if (rds) families.RDS = rds;
  if (db) families.DB = db;
  if (pg) families.PG = pg;
  for (const k of ["DATABASE_URL", "JDBC_DATABASE_URL"]) if (k in vars) families[k] = fromUrl(vars[k]);
  const problems: string[] = [];
  for (const [family, c] of Object.entries(families)) {
    if (!c) {
      problems.push(`${family}: the URL does not parse`);
      continue;
    }
    const wrong: string[] = [];
    if (c.host !== target.host) wrong.push(`host ${c.host || "(empty)"}`);
    if (c.port !== target.port) wrong.push(`port ${c.port}`);
    if (c.dbName !== target.dbName) wrong.push(`database ${c.dbName || "(empty)"}`);
    if (c.username !== target.username) wrong.push(`user ${c.username || "(empty)"}`);
    // The password is compared, never shown.
    if (c.password !== target.password) wrong.push("a password that is not the instance's");
    if (wrong.length) problems.push(`${family}: ${wrong.join(", ")}`);
  }
  return { families: Object.keys(families), problems };
}

/**
 * The variables the application of `env` gets, read as EB gives them when it next deploys: its
 * properties, its environment secrets' current values (read with ebdb's credentials), and, while EB
 * couples `instance` to it, EB's own RDS_* (the instance's endpoint and the DBPassword option), which
 * win over properties of the same names. `coupled: false` gives what it will get once decoupled.
 * An environment secret that cannot be read is a problem, not an error.
 */
export async function appVariablesOf(
  aws: AwsClients,
  env: LiveEnv,
  instance: DBInstance,
  coupled: boolean,
): Promise<{ vars: Record<string, string>; problems: string[] }> {
  const vars: Record<string, string> = { ...env.properties };
  const problems: string[] = [];
  for (const [name, arn] of Object.entries(env.secretRefs)) {
    try {
      const v = await aws.sm(new GetSecretValueCommand({ SecretId: arn }));
      if (v.SecretString === undefined) problems.push(`${name}: ${arn} holds no SecretString`);
      else vars[name] = v.SecretString;
    } catch (e) {
      problems.push(`${name}: cannot read ${arn} (${(e as Error).name})`);
    }
  }
  if (coupled) {
    Object.assign(vars, {
      RDS_HOSTNAME: instance.Endpoint?.Address ?? "",
      RDS_PORT: String(instance.Endpoint?.Port ?? ""),
      RDS_DB_NAME: instance.DBName ?? "",
      RDS_USERNAME: instance.MasterUsername ?? "",
      RDS_PASSWORD: env.rdsOptions.DBPassword ?? "",
    });
  }
  return { vars, problems };
}

/** Whether one of the instance's security groups admits the EB environment's instances (their own group, or one the environment lists) on its port. */
export async function networkAdmits(aws: AwsClients, env: LiveEnv, instance: DBInstance): Promise<boolean> {
  const ids = (instance.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!);
  if (ids.length === 0) return false;
  const [groups, sources] = await Promise.all([
    aws.ec2(new DescribeSecurityGroupsCommand({ GroupIds: ids })).then((r) => r.SecurityGroups ?? []),
    ebInstanceGroups(aws, env),
  ]);
  return admits(groups, instance.Endpoint?.Port ?? 0, sources);
}
