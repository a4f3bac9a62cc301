import fs from "node:fs";
import { parse } from "pg-connection-string";
import { expect, vi } from "vitest";
import { ebFiles } from "../../../src/targets/aws/rds-ca.js";
import type { Desired } from "../../../src/model/desired-types.js";
import { EB_NAMESPACES, environmentProperties, type FakeAws } from "../../fakes/aws/index.js";

/** The CA every instance, replica and restore of ebdb's gets. */
export const RDS_CA = "rds-ca-rsa2048-g1";
/** Where the RDS CA bundle is on the EB instances (DATABASE_URL's sslrootcert, PGSSLROOTCERT). */
export const EB_CA_PATH = "/etc/pki/ebdb/rds-ca-bundle.pem";

/**
 * node-postgres' own parse of a URL as it runs on an EB instance: the CA file it names is read from
 * the instance, where the files of `ebdb eb-files` installed the bundle (their content stands in for it).
 */
export function parseOnInstance(url: string): Record<string, unknown> {
  const files = ebFiles();
  const bundle = files.find((f) => f.path.endsWith(".pem"))!.content;
  const real = fs.readFileSync;
  const spy = vi
    .spyOn(fs, "readFileSync")
    .mockImplementation(((p: fs.PathOrFileDescriptor, o?: unknown) =>
      p === EB_CA_PATH ? bundle : real(p, o as never)) as typeof fs.readFileSync);
  try {
    return parse(url, { useLibpqCompat: false }) as Record<string, unknown>;
  } finally {
    spy.mockRestore();
  }
}

/** A secret's AWSCURRENT value in the fake. */
export function currentValue(fake: FakeAws, name: string): string {
  const s = [...fake.state.region().secrets.values()].find((x) => x.name === name);
  if (!s) throw new Error(`no secret ${name}`);
  return s.versions.find((v) => v.stages.includes("AWSCURRENT"))!.value!;
}

/**
 * What the EB application sees, read the way it will (after EB's last deployment), checked against
 * the database: DB_PASSWORD is the instance's master password; DATABASE_URL parses (with
 * node-postgres' own parser; its CA file is read from where the EB instances hold it) to the primary's
 * host, port, database, user and password with verify-full; PG* and JDBC_* agree; no plain property
 * carries the password. Returns the application's variables.
 */
export function expectAppSees(fake: FakeAws, desired: Desired): Record<string, string> {
  const r = fake.state.region();
  const db = r.rds.instances.get(desired.identifier)!;
  const password = db.masterPassword!;
  const host = `${db.id}.${r.rds.endpointSuffix}.${r.name}.rds.amazonaws.com`;
  const app = fake.appEnvironment(desired.eb.environment);
  expect(app.errors).toEqual([]);
  const v = app.variables;
  expect(v.DB_PASSWORD).toBe(password);
  expect(v.DB_HOST).toBe(host);
  expect(v.DB_PORT).toBe(String(db.port));
  expect(v.DB_NAME).toBe(desired.config.dbName);
  expect(v.DB_USERNAME).toBe(desired.config.masterUsername);
  const url = parseOnInstance(v.DATABASE_URL);
  // node-postgres verifies against the RDS bundle (and the host name: verify-full keeps Node's check).
  const ssl = url.ssl as { ca?: string; rejectUnauthorized?: boolean };
  expect(ssl.ca).toContain("-----BEGIN CERTIFICATE-----");
  expect(ssl.rejectUnauthorized).not.toBe(false);
  expect({
    host: url.host,
    port: url.port,
    database: url.database,
    user: url.user,
    password: url.password,
    sslmode: url.sslmode,
    sslrootcert: url.sslrootcert,
  }).toEqual({
    host,
    port: String(db.port),
    database: desired.config.dbName,
    user: desired.config.masterUsername,
    password,
    sslmode: "verify-full",
    sslrootcert: EB_CA_PATH,
  });
  expect(v.PGPASSWORD).toBe(password);
  expect(v.JDBC_DATABASE_PASSWORD).toBe(password);
  expect({ mode: v.PGSSLMODE, root: v.PGSSLROOTCERT, host: v.PGHOST }).toEqual({
    mode: "verify-full",
    root: EB_CA_PATH,
    host,
  });
  const jdbc = new URL(v.JDBC_DATABASE_URL.replace(/^jdbc:/, ""));
  expect(jdbc.searchParams.get("password")).toBe(password);
  expect(jdbc.searchParams.get("sslmode")).toBe("verify-full");
  const env = [...r.eb.environments.values()].find((e) => e.name === desired.eb.environment)!;
  for (const [k, value] of Object.entries(environmentProperties(env)))
    expect(value.includes(password), `plain property ${k} carries the password`).toBe(false);
  return v;
}

/** Asserts the fake holds exactly one of everything the configuration asks for, wired together. */
export function expectConverged(fake: FakeAws, desired: Desired): void {
  const r = fake.state.region();
  const id = desired.identifier;
  const names = [id, ...desired.replicas.map((x) => x.name)].sort();
  expect([...r.rds.instances.keys()].sort()).toEqual(names);
  for (const i of r.rds.instances.values()) {
    expect(i.status).toBe("available");
    expect(i.caCert, `${i.id}'s CA`).toBe(RDS_CA);
  }
  const secrets = [...r.secrets.values()];
  const variables = desired.secret.variables;
  expect(secrets.map((s) => s.name).sort()).toEqual(
    [desired.secret.name, variables.password, variables.url, variables.jdbc].sort(),
  );
  const doc = JSON.parse(currentValue(fake, desired.secret.name));
  // The password the application reads is the one the database has.
  expect(r.rds.instances.get(id)!.masterPassword).toBe(doc.password);
  expect(currentValue(fake, variables.password)).toBe(doc.password);
  expect(doc.host).toMatch(new RegExp(`^${id}\\.`));
  const ours = [desired.network.dbSecurityGroup, desired.network.clientSecurityGroup].filter(Boolean);
  for (const name of ours)
    expect([...r.ec2.securityGroups.values()].filter((g) => g.GroupName === name)).toHaveLength(1);
  const dbSg = [...r.ec2.securityGroups.values()].find(
    (g) => g.GroupName === desired.network.dbSecurityGroup,
  )!;
  expect(dbSg.ingress).toHaveLength(1);
  expect([...r.rds.subnetGroups.keys()]).toEqual([desired.network.subnetGroup]);
  expect([...r.rds.parameterGroups.values()].filter((g) => !g.isDefault).map((g) => g.name)).toEqual([
    desired.parameterGroup.name,
  ]);
  expect([...r.sns.topics.values()].map((t) => t.name)).toEqual([desired.monitoring.topic]);
  const topic = [...r.sns.topics.values()][0];
  expect(topic.subscriptions.map((s) => s.endpoint)).toEqual(
    desired.monitoring.email ? [desired.monitoring.email] : [],
  );
  expect([...r.cloudwatch.alarms.keys()].sort()).toEqual(desired.monitoring.alarms.map((a) => a.name).sort());
  const env = [...r.eb.environments.values()][0];
  const sgs = env.options.get(`${EB_NAMESPACES.launch}|SecurityGroups`)!.split(",");
  expect(new Set(sgs).size).toBe(sgs.length);
  const props = environmentProperties(env);
  expect(props.DB_HOST).toBe(doc.host);
  const arn = (name: string) => secrets.find((s) => s.name === name)!.arn;
  expect(environmentProperties(env, EB_NAMESPACES.secrets)).toEqual({
    DB_PASSWORD: arn(variables.password),
    PGPASSWORD: arn(variables.password),
    JDBC_DATABASE_PASSWORD: arn(variables.password),
    ...(desired.config.ebRdsProperties ? { RDS_PASSWORD: arn(variables.password) } : {}),
    DATABASE_URL: arn(variables.url),
    JDBC_DATABASE_URL: arn(variables.jdbc),
  });
  const role = [...fake.state.iam.roles.values()][0];
  expect([...role.policies.keys()]).toEqual([`ebdb-${id}-db-secret`]);
  const policy = JSON.parse(role.policies.get(`ebdb-${id}-db-secret`)!);
  expect([...policy.Statement[0].Resource].sort()).toEqual(secrets.map((s) => s.arn).sort());
  // And the application sees all of it (EB loaded the current values).
  expectAppSees(fake, desired);
}
