import { afterEach, describe, expect, it } from "vitest";
import { RecordingIoHost } from "../../../src/io.js";
import type { Desired } from "../../../src/model/desired-types.js";
import {
  EB_NAMESPACES,
  environmentProperties,
  type FakeAws,
  isSimulatedCrash,
} from "../../fakes/aws/index.js";
import { expectAppSees, parseOnInstance } from "./converged.js";
import { desiredOf, planOf, targetOn, up, world } from "./harness.js";

let fake: FakeAws;
afterEach(() => fake?.uninstall());

const PROXY = "my-app-prod-db-proxy";
const ROLE = "my-app-prod-db-proxy-role";
const PROXY_SG = "my-app-prod-db-proxy-sg";
const POOL_SECRET = "my-app/prod/eb/DATABASE_POOL_URL";
const withProxy = (extra: Parameters<typeof desiredOf>[0] = {}) =>
  desiredOf({ rdsProxy: true, deletionProtection: false, ...extra });
const withoutProxy = () => desiredOf({ rdsProxy: false, deletionProtection: false });

function envState(f: FakeAws) {
  return [...f.state.region().eb.environments.values()].find((e) => e.name === "my-app-prod")!;
}

function groupNamed(f: FakeAws, name: string) {
  return [...f.state.region().ec2.securityGroups.values()].find((g) => g.GroupName === name);
}

/**
 * The proxy as RDS and the application see it: available, TLS required, the RDS-layout secret its one
 * login (read with a role RDS assumes that may read that secret and nothing else), the primary its
 * target and healthy; the application's pooled address is the proxy's, its direct one the primary's.
 */
async function expectProxyServes(f: FakeAws, desired: Desired): Promise<void> {
  const r = f.state.region();
  const proxy = r.rds.proxies.get(PROXY)!;
  expect(proxy).toBeDefined();
  const jsonSecret = [...r.secrets.values()].find((s) => s.name === desired.secret.name)!;
  expect({
    status: proxy.status,
    requireTls: proxy.requireTls,
    auth: proxy.auth.map((a) => [a.secretArn, a.iamAuth, a.clientPasswordAuthType]),
    targets: proxy.targets.map((t) => t.instanceId),
  }).toEqual({
    status: "available",
    requireTls: true,
    auth: [[jsonSecret.arn, "DISABLED", "POSTGRES_SCRAM_SHA_256"]],
    targets: [desired.identifier],
  });
  const role = f.state.iam.roles.get(ROLE)!;
  expect(proxy.roleArn).toBe(role.arn);
  expect(JSON.parse(role.assumeRolePolicy).Statement[0].Principal).toEqual({ Service: "rds.amazonaws.com" });
  const statements = [...role.policies.values()].flatMap((d) => JSON.parse(d).Statement);
  expect(statements.map((s) => [s.Effect, s.Action, s.Resource])).toEqual([
    ["Allow", "secretsmanager:GetSecretValue", jsonSecret.arn],
  ]);

  // status: the target is healthy (the fake works this out from the role, the secret and the groups).
  const status = await targetOn(f).status(desired);
  expect(status.pooler).toMatchObject({
    kind: "rds-proxy",
    name: PROXY,
    state: "available",
    host: proxy.endpoint,
    port: 5432,
  });
  expect(status.pooler?.note).toMatch(
    /^Target my-app-prod-db: available\. RDS Proxy serves the primary only/,
  );

  // What the application reads: the pooled URL through the proxy, the direct one to the primary.
  const v = expectAppSees(f, desired);
  expect({ host: v.DB_POOL_HOST, port: v.DB_POOL_PORT }).toEqual({ host: proxy.endpoint, port: "5432" });
  const pooled = parseOnInstance(v.DATABASE_POOL_URL);
  expect({
    host: pooled.host,
    port: pooled.port,
    user: pooled.user,
    password: pooled.password,
    sslmode: pooled.sslmode,
  }).toEqual({
    host: proxy.endpoint,
    port: "5432",
    user: desired.config.masterUsername,
    password: r.rds.instances.get(desired.identifier)!.masterPassword,
    sslmode: "verify-full",
  });
  expect(parseOnInstance(v.DATABASE_URL).host).toBe(
    r.rds.instances.get(desired.identifier)!.id + v.DB_HOST.slice(desired.identifier.length),
  );
  // DATABASE_POOL_URL carries the password: an environment secret, never a plain property.
  const env = envState(f);
  expect(environmentProperties(env)).not.toHaveProperty("DATABASE_POOL_URL");
  expect(env.options.get(`${EB_NAMESPACES.secrets}|DATABASE_POOL_URL`)).toBe(
    [...r.secrets.values()].find((s) => s.name === POOL_SECRET)!.arn,
  );
  // `ebdb env` gives the same pooled address.
  expect((await targetOn(f).connection(desired)).pooler).toEqual({ host: proxy.endpoint, port: 5432 });
}

/** Nothing of the proxy is left: no proxy, role, group, pooled variables; the URL secret awaits deletion. */
function expectNoProxy(f: FakeAws): void {
  const r = f.state.region();
  expect([...r.rds.proxies.keys()]).toEqual([]);
  expect(f.state.iam.roles.has(ROLE)).toBe(false);
  expect(groupNamed(f, PROXY_SG)).toBeUndefined();
  const names = Object.keys(f.appEnvironment("my-app-prod").variables);
  expect(names.filter((n) => n.includes("POOL"))).toEqual([]);
  const secret = [...r.secrets.values()].find((s) => s.name === POOL_SECRET);
  if (secret) expect(secret.deletedAt).toBeDefined();
}

async function expectNothingPlanned(f: FakeAws, desired: Desired): Promise<void> {
  f.resetCalls();
  const plan = await up(f, desired);
  expect(plan.changes.map((c) => `${c.kind} ${c.resource} ${c.field ?? c.action}`)).toEqual([]);
  expect(f.countCalls({ mutating: true })).toBe(0);
}

describe("RDS Proxy on AWS (DB_RDS_PROXY_ENABLED)", () => {
  it("up creates it in front of the primary and gives the application its address; a second up plans nothing; off removes it", async () => {
    ({ fake } = world());
    const desired = withProxy();
    const plan = await up(fake, desired);
    expect(plan.changes.filter((c) => c.kind === "proxy").map((c) => `${c.action} ${c.resource}`)).toEqual([
      `create ${PROXY}`,
    ]);
    await expectProxyServes(fake, desired);
    await expectNothingPlanned(fake, desired);

    // Changed by hand: TLS no longer required, the role's policy gone, the primary deregistered.
    const r = fake.state.region();
    r.rds.proxies.get(PROXY)!.requireTls = false;
    r.rds.proxies.get(PROXY)!.targets = [];
    fake.state.iam.roles.get(ROLE)!.policies.clear();
    fake.state.iam.roles.get(ROLE)!.assumeRolePolicy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [],
    });
    const { plan: drifted } = await planOf(fake, desired);
    expect(drifted.changes.map((c) => `${c.kind} ${c.field}`).sort()).toEqual([
      "proxy role",
      "proxy settings",
      "proxy target",
    ]);
    await up(fake, desired);
    await expectProxyServes(fake, desired);
    await expectNothingPlanned(fake, desired);

    // Turned off: the application loses the pooled names first, then the proxy and what it had go.
    const off = withoutProxy();
    const { plan: offPlan } = await planOf(fake, off);
    expect(
      offPlan.changes.filter((c) => c.kind === "proxy").map((c) => `${c.action} ${c.resource} ${c.impact}`),
    ).toEqual([`delete ${PROXY} restart`]);
    await up(fake, off);
    expectNoProxy(fake);
    expectAppSees(fake, off);
    await expectNothingPlanned(fake, off);

    // And on again: made anew, the URL secret restored.
    await up(fake, desired);
    await expectProxyServes(fake, desired);
    await expectNothingPlanned(fake, desired);
  }, 60_000);

  it("destroy removes it with its role and group", async () => {
    ({ fake } = world());
    const desired = withProxy();
    await up(fake, desired);
    const io = new RecordingIoHost();
    await targetOn(fake, io).destroy(desired, { skipFinalSnapshot: true }, io);
    expectNoProxy(fake);
    expect([...fake.state.region().rds.instances.keys()]).toEqual([]);
    expect(groupNamed(fake, "my-app-prod-db-sg")).toBeUndefined();
  }, 30_000);

  it("an up interrupted at any step of making the proxy converges on the next up", async () => {
    const desired = withProxy();
    const fresh = async () => {
      ({ fake } = world());
      await up(fake, withoutProxy());
      fake.resetCalls();
    };
    await fresh();
    await up(fake, desired);
    const steps = fake.calls.filter((c) => c.mutating).map((c) => `${c.service}:${c.command}`);
    expect(steps).toEqual(
      expect.arrayContaining([
        "iam:CreateRole",
        "iam:PutRolePolicy",
        "ec2:CreateSecurityGroup",
        "rds:CreateDBProxy",
        "rds:RegisterDBProxyTargets",
      ]),
    );
    // The read-replica autoscaler's clean-up (another part of up, not the proxy's) is left out.
    const proxySteps = /^(rds|iam|ec2|secretsmanager|elasticbeanstalk):/;
    fake.uninstall();
    for (let n = 1; n <= steps.length; n++) {
      if (!proxySteps.test(steps[n - 1])) continue;
      await fresh();
      fake.faults.crashAfter(n);
      const crash = await up(fake, desired).then(
        () => null,
        (e) => e,
      );
      expect(isSimulatedCrash(crash), `crash after step ${n} (${steps[n - 1]})`).toBe(true);
      fake.faults.reset();
      await up(fake, desired);
      await expectProxyServes(fake, desired);
      await expectNothingPlanned(fake, desired);
      expect(fake.state.region().rds.proxies.size, `after a crash at step ${n}`).toBe(1);
      fake.uninstall();
    }
  }, 120_000);
});
