import { afterEach, describe, expect, it } from "vitest";
import { RecordingIoHost } from "../../../src/io.js";
import { Secret } from "../../../src/model/secret.js";
import type { Change } from "../../../src/model/change.js";
import { EB_NAMESPACES, environmentProperties, type FakeAws } from "../../fakes/aws/index.js";
import { currentValue } from "./converged.js";
import { desiredOf, planOf, up, world } from "./harness.js";

let fake: FakeAws;
afterEach(() => fake?.uninstall());

const line = (c: Change) => `${c.action} ${c.kind} ${c.resource}${c.field ? ` ${c.field}` : ""}: ${c.impact}`;

describe("plan and apply of an edited configuration", () => {
  it("gives exactly the expected changes with their impacts, and converges when applied", async () => {
    ({ fake } = world());
    await up(fake, desiredOf({ replicas: { enabled: true, count: 2, min: 2, max: 2 } }));
    const edited = desiredOf({
      instanceClass: "db.t3.small",
      storage: { allocatedGiB: 30 },
      slowQueryMs: 500,
      replicas: { enabled: true, count: 1, min: 1, max: 1, instanceClass: "db.t3.micro" },
      backup: { retentionDays: 14 },
      performanceInsights: { retentionDays: 31 },
      alarmEmail: "ops@example.com",
    });
    fake.resetCalls();
    const { plan } = await planOf(fake, edited);
    expect(fake.countCalls({ mutating: true })).toBe(0);
    expect(plan.refused).toEqual([]);
    expect(plan.changes.map(line)).toEqual([
      "update parameter-group my-app-prod-db-postgres16 parameters.log_min_duration_statement: none",
      "update instance my-app-prod-db instanceClass: failover",
      "update instance my-app-prod-db storage.allocatedGiB: none",
      "update instance my-app-prod-db backup.retentionDays: none",
      "update instance my-app-prod-db performanceInsights.retentionDays: none",
      "update replica my-app-prod-db-replica-1 storage.allocatedGiB: none",
      "update replica my-app-prod-db-replica-1 performanceInsights.retentionDays: none",
      "update topic my-app-prod-db-alarms subscriptions: none",
      "update alarm my-app-prod-db-low-storage threshold: none",
      "update alarm my-app-prod-db-high-connections threshold: none",
      "update alarm my-app-prod-db-low-memory threshold: none",
      "update eb-environment my-app-prod properties: restart",
      "delete alarm my-app-prod-db-replica-2-lag: none",
      "delete replica my-app-prod-db-replica-2: none",
    ]);

    const io = new RecordingIoHost();
    await up(fake, edited, { io, applyImmediately: true });
    const r = fake.state.region();
    const db = r.rds.instances.get("my-app-prod-db")!;
    expect(db).toMatchObject({
      instanceClass: "db.t3.small",
      allocatedStorage: 30,
      backupRetention: 14,
      piRetention: 31,
    });
    expect(r.rds.instances.has("my-app-prod-db-replica-2")).toBe(false);
    expect(r.rds.instances.get("my-app-prod-db-replica-1")).toMatchObject({
      allocatedStorage: 30,
      piRetention: 31,
    });
    expect(
      r.rds.parameterGroups.get(edited.parameterGroup.name)!.values.get("log_min_duration_statement")?.value,
    ).toBe("500");
    expect(r.cloudwatch.alarms.has("my-app-prod-db-replica-2-lag")).toBe(false);
    const env = [...r.eb.environments.values()][0];
    expect(environmentProperties(env).DB_REPLICA_HOSTS).toBe(
      `my-app-prod-db-replica-1.${r.rds.endpointSuffix}.us-east-1.rds.amazonaws.com:5432`,
    );
    expect(environmentProperties(env, EB_NAMESPACES.secrets).DB_PASSWORD).toBeDefined();

    fake.resetCalls();
    const again = await up(fake, edited);
    expect(again.changes).toEqual([]);
    expect(fake.countCalls({ mutating: true })).toBe(0);
  });

  it("defers a disruptive change to the maintenance window without --apply-immediately, and does not plan it again", async () => {
    ({ fake } = world());
    await up(fake, desiredOf());
    const bigger = desiredOf({ instanceClass: "db.m5.large", storage: { allocatedGiB: 40 } });
    const io = new RecordingIoHost();
    await up(fake, bigger, { io });
    const db = fake.state.region().rds.instances.get("my-app-prod-db")!;
    expect(db.instanceClass).toBe("db.t3.micro");
    expect(db.pending.DBInstanceClass).toBe("db.m5.large");
    // Storage growth is online (impact none): applied now.
    expect(db.allocatedStorage).toBe(40);
    expect(io.messages("info").some((m) => /maintenance window \(sun:04:30-sun:05:30 UTC\)/.test(m))).toBe(
      true,
    );
    fake.resetCalls();
    const { plan } = await planOf(fake, bigger);
    expect(plan.changes).toEqual([]);
    expect(plan.notes.join("\n")).toMatch(/already pending in the maintenance window/);
  });

  it("refuses to shrink storage and to change the engine, with the reason", async () => {
    ({ fake } = world());
    await up(fake, desiredOf({ storage: { allocatedGiB: 50, maxAllocatedGiB: 100 } }));
    const { plan } = await planOf(
      fake,
      desiredOf({ storage: { allocatedGiB: 30, autoscaling: false, maxAllocatedGiB: null } }),
    );
    expect(plan.refused.map(line)).toContain("update instance my-app-prod-db storage.allocatedGiB: none");
    expect(plan.refused.find((c) => c.field === "storage.allocatedGiB")!.reason).toMatch(/cannot shrink/);
    const { plan: engine } = await planOf(fake, desiredOf({ engine: "mysql" }));
    expect(
      engine.refused.some((c) => c.field === "engine" && /cannot change an instance's engine/.test(c.reason)),
    ).toBe(true);
  });

  it("refuses to encrypt an unencrypted instance unless --allow-replace, then replaces it under the same name", async () => {
    ({ fake } = world());
    await up(fake, desiredOf({ storage: { encrypted: false }, replicas: { enabled: true, count: 1 } }));
    fake.state.region().rds.instances.get("my-app-prod-db")!.replicaLag = 0;
    const encrypted = desiredOf({ replicas: { enabled: true, count: 1 } });
    const { plan } = await planOf(fake, encrypted);
    expect(plan.refused.map(line)).toEqual(["update instance my-app-prod-db storage.encrypted: replace"]);
    expect(plan.changes).toEqual([]);

    await up(fake, encrypted, { allowReplace: true });
    const r = fake.state.region();
    expect(r.rds.instances.get("my-app-prod-db")).toMatchObject({
      storageEncrypted: true,
      status: "available",
    });
    expect(r.rds.instances.get("my-app-prod-db-unencrypted")).toMatchObject({ storageEncrypted: false });
    expect(r.rds.instances.get("my-app-prod-db-replica-1")).toMatchObject({
      storageEncrypted: true,
      replicaSource: "my-app-prod-db",
    });
    fake.resetCalls();
    expect((await up(fake, encrypted)).changes).toEqual([]);
    expect(fake.countCalls({ mutating: true })).toBe(0);
  });

  it("plans drift it finds in AWS-only resources: a CIDR rule, a wrong EB property, a changed alarm", async () => {
    const w = world();
    fake = w.fake;
    const desired = desiredOf();
    await up(fake, desired);
    const r = fake.state.region();
    const dbSg = [...r.ec2.securityGroups.values()].find(
      (g) => g.GroupName === desired.network.dbSecurityGroup,
    )!;
    dbSg.ingress.push({
      ruleId: "sgr-x",
      protocol: "tcp",
      fromPort: 5432,
      toPort: 5432,
      sourceGroupId: undefined,
      cidr: "0.0.0.0/0",
      description: undefined,
    });
    const env = [...r.eb.environments.values()][0];
    env.options.set(`${EB_NAMESPACES.env}|DB_HOST`, "old-host.example.com");
    r.cloudwatch.alarms.get("my-app-prod-db-high-cpu")!.input.EvaluationPeriods = 5;

    const { plan } = await planOf(fake, desired);
    expect(plan.changes.map(line)).toEqual([
      "update security-group-rule my-app-prod-db-sg extraRules: none",
      "update alarm my-app-prod-db-high-cpu evaluationPeriods: none",
      "update eb-environment my-app-prod propertyValues: restart",
    ]);
    expect(plan.changes[0].reason).toContain("0.0.0.0/0");
    await up(fake, desired);
    expect(dbSg.ingress.map((x) => x.cidr)).toEqual([undefined]);
    expect(environmentProperties(env).DB_HOST).toMatch(/^my-app-prod-db\./);
    expect(r.cloudwatch.alarms.get("my-app-prod-db-high-cpu")!.input.EvaluationPeriods).toBe(2);
    fake.resetCalls();
    expect((await up(fake, desired)).changes).toEqual([]);
    expect(fake.countCalls({ mutating: true })).toBe(0);
  });

  it("moves from the client security group to the EB instances' own group, detaching and deleting the client group", async () => {
    const w = world();
    fake = w.fake;
    await up(fake, desiredOf());
    const ebSg = desiredOf({ accessMode: "eb-sg" });
    const { plan } = await planOf(fake, ebSg);
    expect(plan.changes.map(line)).toEqual([
      "update security-group-rule my-app-prod-db-sg ingressFrom: none",
      "update security-group-rule my-app-prod-db-sg extraRules: none",
      "delete security-group my-app-prod-db-client-sg: restart",
    ]);
    await up(fake, ebSg);
    const r = fake.state.region();
    const groups = [...r.ec2.securityGroups.values()];
    expect(groups.some((g) => g.GroupName === "my-app-prod-db-client-sg")).toBe(false);
    const dbSg = groups.find((g) => g.GroupName === "my-app-prod-db-sg")!;
    expect(dbSg.ingress.map((x) => x.sourceGroupId)).toEqual([w.env.instanceSecurityGroupId]);
    const env = [...r.eb.environments.values()][0];
    expect(env.options.get(`${EB_NAMESPACES.launch}|SecurityGroups`)).toBe(w.env.instanceSecurityGroupId);
    fake.resetCalls();
    expect((await up(fake, ebSg)).changes).toEqual([]);
    expect(fake.countCalls({ mutating: true })).toBe(0);
  });

  it("sets a new DB_MASTER_PASSWORD on the instance and in the secret", async () => {
    ({ fake } = world());
    await up(fake, desiredOf());
    const changed = desiredOf({ masterPassword: new Secret("New-Passw0rd-abcdef") });
    const { plan } = await planOf(fake, changed);
    // The secrets of EB's variables follow, and the application servers restart to load them.
    expect(plan.changes.map(line).sort()).toEqual(
      [
        "update instance my-app-prod-db masterPassword: none",
        "update secret my-app/prod/eb/DB_PASSWORD value: none",
        "update secret my-app/prod/eb/DATABASE_URL value: none",
        "update secret my-app/prod/eb/JDBC_DATABASE_URL value: none",
        "update eb-environment my-app-prod reload: restart",
      ].sort(),
    );
    expect(JSON.stringify(plan)).not.toContain("New-Passw0rd-abcdef");
    await up(fake, changed);
    const r = fake.state.region();
    expect(r.rds.instances.get("my-app-prod-db")!.masterPassword).toBe("New-Passw0rd-abcdef");
    expect(JSON.parse(currentValue(fake, "my-app/prod/db-password")).password).toBe("New-Passw0rd-abcdef");
    expect(fake.appEnvironment("my-app-prod").variables.DB_PASSWORD).toBe("New-Passw0rd-abcdef");
    fake.resetCalls();
    expect((await up(fake, changed)).changes).toEqual([]);
    expect(fake.countCalls({ mutating: true })).toBe(0);
  });
});
