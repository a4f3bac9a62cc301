import { effectiveSecurityGroups } from "./eb-model.js";
import type { FakeAws } from "./install.js";
import type { DbInstance, RegionState } from "./state.js";

/** Where one family of variables the application reads leads. */
export interface Reach {
  /** The instance the variables connect to, or null when they do not connect. */
  instance: string | null;
  /** Why they do not connect (empty when they do). */
  problems: string[];
}

/** Statuses in which an instance accepts connections. */
const SERVING = new Set([
  "available",
  "backing-up",
  "modifying",
  "storage-optimization",
  "configuring-enhanced-monitoring",
  "configuring-log-exports",
  "upgrading",
  "resetting-master-credentials",
]);

interface Creds {
  host: string;
  port: string;
  db: string;
  user: string;
  password: string;
}

function fromUrl(url: string): Creds | null {
  const m =
    /^(?:jdbc:)?(?:postgresql|mysql):\/\/(?:([^:@/]*):([^@/]*)@)?([^:/]+):(\d+)\/([^?]*)(?:\?(.*))?$/.exec(
      url,
    );
  if (!m) return null;
  const q = new URLSearchParams(m[6] ?? "");
  const d = (s: string | undefined) => decodeURIComponent(s ?? "");
  return {
    host: m[3],
    port: m[4],
    db: d(m[5]),
    user: m[1] !== undefined ? d(m[1]) : (q.get("user") ?? ""),
    password: m[2] !== undefined ? d(m[2]) : (q.get("password") ?? ""),
  };
}

function instanceAt(r: RegionState, host: string): DbInstance | undefined {
  return [...r.rds.instances.values()].find(
    (i) => `${i.id}.${r.rds.endpointSuffix}.${r.name}.rds.amazonaws.com` === host,
  );
}

/**
 * Where the application on an EB environment's instances connects, for each family of names it may
 * read (RDS_*, DB_*, PG*, DATABASE_URL, JDBC_DATABASE_URL): as a client would, from what
 * `fake.appEnvironment` resolves. It connects when the host is an instance's endpoint and the instance
 * serves, the port, user, password and database name are the instance's, and one of the instance's
 * security groups admits one of the environment's instance security groups on that port.
 * A family whose host variable is absent is left out.
 */
export function appDatabases(fake: FakeAws, envName: string, region?: string): Record<string, Reach> {
  const r = fake.state.region(region);
  const env = [...r.eb.environments.values()].find((e) => e.name === envName && e.status !== "Terminated");
  if (!env) throw new Error(`no EB environment ${envName}`);
  const v = fake.appEnvironment(envName, region).variables;
  const families: Record<string, Creds | null> = {};
  const plain = (h: string, p: string, d: string, u: string, pw: string) =>
    h in v
      ? { host: v[h], port: v[p] ?? "", db: v[d] ?? "", user: v[u] ?? "", password: v[pw] ?? "" }
      : undefined;
  const rds = plain("RDS_HOSTNAME", "RDS_PORT", "RDS_DB_NAME", "RDS_USERNAME", "RDS_PASSWORD");
  const db = plain("DB_HOST", "DB_PORT", "DB_NAME", "DB_USERNAME", "DB_PASSWORD");
  const pg = plain("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD");
  if (rds) families.RDS = rds;
  if (db) families.DB = db;
  if (pg) families.PG = pg;
  if ("DATABASE_URL" in v) families.DATABASE_URL = fromUrl(v.DATABASE_URL);
  if ("JDBC_DATABASE_URL" in v) families.JDBC_DATABASE_URL = fromUrl(v.JDBC_DATABASE_URL);
  const clientGroups = effectiveSecurityGroups(r, env);
  const out: Record<string, Reach> = {};
  for (const [family, c] of Object.entries(families)) {
    const problems: string[] = [];
    const inst = c ? instanceAt(r, c.host) : undefined;
    if (!c) problems.push("the URL does not parse");
    else if (!inst) problems.push(`no instance has the endpoint ${c.host}`);
    if (c && inst) {
      if (!SERVING.has(inst.status)) problems.push(`${inst.id} is ${inst.status}`);
      if (c.port !== String(inst.port)) problems.push(`port ${c.port}, the instance listens on ${inst.port}`);
      if (c.user !== inst.masterUsername) problems.push(`user ${c.user} is not the master user`);
      if (c.password !== inst.masterPassword) problems.push("the password is not the instance's");
      // RDS for PostgreSQL made without DBName has the database `postgres` (RDS API Reference,
      // CreateDBInstance, DBName: "If this parameter isn't specified, a database named postgres is
      // created"); MySQL and MariaDB then have none of the application's.
      const db = inst.dbName ?? (inst.engine === "postgres" ? "postgres" : "");
      if (c.db !== db) problems.push(`database ${c.db} is not ${db || "(none)"}`);
      const admitted = inst.vpcSecurityGroupIds.some((id) =>
        r.ec2.securityGroups
          .get(id)
          ?.ingress.some(
            (rule) =>
              (rule.protocol === "-1" ||
                (rule.protocol === "tcp" &&
                  (rule.fromPort ?? 0) <= inst.port &&
                  inst.port <= (rule.toPort ?? 65535))) &&
              rule.sourceGroupId !== undefined &&
              clientGroups.includes(rule.sourceGroupId),
          ),
      );
      if (!admitted) problems.push(`no security group of ${inst.id} admits the environment's instances`);
    }
    out[family] = { instance: problems.length === 0 && inst ? inst.id : null, problems };
  }
  return out;
}
