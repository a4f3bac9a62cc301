import { expect } from "vitest";
import type { Desired } from "../../../src/model/desired-types.js";
import { EB_NAMESPACES, environmentProperties, type FakeAws } from "../../fakes/aws/index.js";

/** Asserts the fake holds exactly one of everything the configuration asks for, wired together. */
export function expectConverged(fake: FakeAws, desired: Desired): void {
  const r = fake.state.region();
  const id = desired.identifier;
  const names = [id, ...desired.replicas.map((x) => x.name)].sort();
  expect([...r.rds.instances.keys()].sort()).toEqual(names);
  for (const i of r.rds.instances.values()) expect(i.status).toBe("available");
  const secrets = [...r.secrets.values()];
  expect(secrets.map((s) => s.name)).toEqual([desired.secret.name]);
  const current = secrets[0].versions.find((v) => v.stages.includes("AWSCURRENT"))!;
  const doc = JSON.parse(current.value!);
  // The password the application reads is the one the database has.
  expect(r.rds.instances.get(id)!.masterPassword).toBe(doc.password);
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
  expect(environmentProperties(env, EB_NAMESPACES.secrets)).toEqual({ DB_PASSWORD: secrets[0].arn });
  const role = [...fake.state.iam.roles.values()][0];
  expect([...role.policies.keys()]).toEqual([`ebdb-${id}-db-secret`]);
}
