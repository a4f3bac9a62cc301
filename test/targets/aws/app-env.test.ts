import { ElasticBeanstalkClient, RestartAppServerCommand } from "@aws-sdk/client-elastic-beanstalk";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CommandContext } from "../../../src/api/context.js";
import { env as envCommand } from "../../../src/api/env.js";
import { up as upCommand } from "../../../src/api/up.js";
import { RecordingIoHost } from "../../../src/io.js";
import { Secret } from "../../../src/model/secret.js";
import { createAwsTarget } from "../../../src/targets/aws/index.js";
import {
  EB_NAMESPACES,
  EB_TIMES,
  environmentProperties,
  type FakeAws,
  isSimulatedCrash,
  MODERN_PLATFORM_RELEASE,
} from "../../fakes/aws/index.js";
import { currentValue, EB_CA_PATH, expectAppSees, expectConverged, RDS_CA } from "./converged.js";
import { desiredOf, planOf, targetOn, up, world } from "./harness.js";

let fake: FakeAws;
const dirs: string[] = [];
afterEach(() => {
  fake?.uninstall();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const MIN = 60_000;
const JSON_SECRET = "my-app/prod/db-password";

/** "Restart app servers" from the console: EB loads the variables anew. */
async function restartAppServers(f: FakeAws): Promise<void> {
  const eb = new ElasticBeanstalkClient({
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "y" },
  });
  await eb.send(new RestartAppServerCommand({ EnvironmentName: "my-app-prod" }));
  f.clock.advance(EB_TIMES.restartAppServer);
}

function envState(f: FakeAws) {
  return [...f.state.region().eb.environments.values()].find((e) => e.name === "my-app-prod")!;
}

/** A project whose config.env is the fixture's (my-app / prod on PostgreSQL 16.4), plus `extra` lines. */
function project(extra: string[] = []): CommandContext {
  const dir = mkdtempSync(join(tmpdir(), "ebdb-aws-app-"));
  dirs.push(dir);
  writeFileSync(
    join(dir, "config.env"),
    ['APP_NAME="my-app"', 'ENV_NAME="prod"', 'DB_ENGINE_VERSION="16.4"', ...extra, ""].join("\n"),
  );
  return { cwd: dir, env: {}, io: new RecordingIoHost(true), target: "aws" };
}

describe("what the EB application gets, read the way it reads it", () => {
  it("is exactly what `env --target aws` prints: every name, every value (RDS_* too with EB_RDS_PROPERTIES)", async () => {
    ({ fake } = world());
    const ctx = project([
      'EB_RDS_PROPERTIES="true"',
      'DB_READ_REPLICA_ENABLED="true"',
      'DB_READ_REPLICA_COUNT="1"',
    ]);
    const target = createAwsTarget(ctx, { clock: fake.clock });
    const result = await upCommand(ctx, { target });
    expect(result.plan.refused).toEqual([]);
    const app = fake.appEnvironment("my-app-prod");
    expect(app.errors).toEqual([]);
    const { NODE_ENV, ...given } = app.variables;
    expect(NODE_ENV).toBe("production");
    const printed = await envCommand({ ...ctx, io: new RecordingIoHost() }, { format: "json", target });
    expect(printed.vars).toEqual(given);
    expect(Object.keys(given)).toEqual(
      expect.arrayContaining(["RDS_HOSTNAME", "RDS_PORT", "RDS_DB_NAME", "RDS_USERNAME", "RDS_PASSWORD"]),
    );
    expect(given.RDS_PASSWORD).toBe(given.DB_PASSWORD);
    expect(given.DB_REPLICA_HOSTS).toMatch(/^my-app-prod-db-replica-1\..*:5432$/);
    // The password ones are references to the secret that holds the password alone.
    const refs = environmentProperties(envState(fake), EB_NAMESPACES.secrets);
    expect(refs.RDS_PASSWORD).toBe(refs.DB_PASSWORD);
    expect(environmentProperties(envState(fake)).RDS_PASSWORD).toBeUndefined();
    expect(currentValue(fake, "my-app/prod/eb/DB_PASSWORD")).toBe(given.DB_PASSWORD);
    // The text formats carry the same values (no escape the application would keep).
    const dotenv = await envCommand({ ...ctx, io: new RecordingIoHost() }, { format: "dotenv", target });
    expect(dotenv.vars).toEqual(given);
  });

  it("on a platform without environment secrets gets no password (nothing secret in plain properties), then all of it once the platform is updated", async () => {
    ({ fake } = world({ legacyPlatform: true }));
    const desired = desiredOf();
    const io = new RecordingIoHost();
    const plan = await up(fake, desired, { io });
    expect(plan.refused.map((c) => c.field)).toEqual(["secretVariables"]);
    const before = fake.appEnvironment("my-app-prod");
    const password = JSON.parse(currentValue(fake, JSON_SECRET)).password;
    expect(before.variables.DB_PASSWORD).toBeUndefined();
    expect(before.variables.DATABASE_URL).toBeUndefined();
    expect(before.variables.DB_HOST).toMatch(/^my-app-prod-db\./);
    expect(JSON.stringify(before.variables)).not.toContain(password);
    expect(JSON.stringify(environmentProperties(envState(fake)))).not.toContain(password);

    // The user updates the platform (eb upgrade): the next up wires the secrets; the app reads them.
    envState(fake).platformArn = fake.seed.platform({ released: MODERN_PLATFORM_RELEASE });
    const after = await up(fake, desired);
    expect(after.refused).toEqual([]);
    expect(after.changes.map((c) => `${c.kind} ${c.field ?? c.action}`)).toContain(
      "eb-environment properties",
    );
    expectConverged(fake, desired);
    fake.resetCalls();
    expect((await up(fake, desired)).changes).toEqual([]);
    expect(fake.countCalls({ mutating: true })).toBe(0);
  });

  it("a plain DB_PASSWORD an earlier ebdb left on an old platform is named, left, then replaced by a reference", async () => {
    ({ fake } = world({ legacyPlatform: true }));
    const desired = desiredOf();
    await up(fake, desired);
    const password = JSON.parse(currentValue(fake, JSON_SECRET)).password;
    // What ebdb 0.1 did on such a platform.
    envState(fake).options.set(`${EB_NAMESPACES.env}|DB_PASSWORD`, password);
    const { plan } = await planOf(fake, desired);
    expect(plan.changes).toEqual([]);
    expect(plan.refused[0].reason).toMatch(
      /DB_PASSWORD is a plain property left by an earlier ebdb: left as it is, no longer kept in step/,
    );
    envState(fake).platformArn = fake.seed.platform({ released: MODERN_PLATFORM_RELEASE });
    await up(fake, desired);
    expect(environmentProperties(envState(fake)).DB_PASSWORD).toBeUndefined();
    expectConverged(fake, desired);
  });

  it("fixes what an earlier ebdb left: DB_PASSWORD pointing at the JSON secret (the application got the whole JSON)", async () => {
    ({ fake } = world());
    const desired = desiredOf();
    await up(fake, desired);
    // The wiring ebdb 0.1 made: DB_PASSWORD referenced the RDS-layout secret; no other variable.
    const r = fake.state.region();
    const env = envState(fake);
    for (const key of [...env.options.keys()]) {
      if (key.startsWith(`${EB_NAMESPACES.secrets}|`) || /\|(PG|JDBC_|DATABASE_URL)/.test(key))
        env.options.delete(key);
    }
    const json = [...r.secrets.values()].find((x) => x.name === JSON_SECRET)!;
    env.options.set(`${EB_NAMESPACES.secrets}|DB_PASSWORD`, json.arn);
    for (const [k, x] of [...r.secrets]) if (x.name !== JSON_SECRET) r.secrets.delete(k);
    await restartAppServers(fake);
    const broken = fake.appEnvironment("my-app-prod").variables.DB_PASSWORD;
    expect(JSON.parse(broken)).toMatchObject({ username: "dbadmin", engine: "postgres" });

    const { plan } = await planOf(fake, desired);
    expect(plan.changes.find((c) => c.kind === "eb-environment")?.reason).toMatch(
      /^Sets DATABASE_URL, PGHOST, .* as environment secrets: .*; it also corrects DB_PASSWORD$/,
    );
    await up(fake, desired);
    expectConverged(fake, desired);
    expect(fake.appEnvironment("my-app-prod").variables.DB_PASSWORD).toBe(JSON.parse(broken).password);
  });

  it("follows an edited DB_MASTER_PASSWORD after one up, in every secret; set back, the old one is current again", async () => {
    ({ fake } = world());
    const first = desiredOf({ masterPassword: new Secret("First-passw0rd-aaaa") });
    await up(fake, first);
    expect(fake.appEnvironment("my-app-prod").variables.DB_PASSWORD).toBe("First-passw0rd-aaaa");
    // Characters that need escaping in a URL (a hand-set password may have them).
    const second = desiredOf({ masterPassword: new Secret("Sec0nd%pa:ss#w?rd&=$'`!") });
    await up(fake, second);
    expectConverged(fake, second);
    const seen = expectAppSees(fake, second);
    expect(seen.DB_PASSWORD).toBe("Sec0nd%pa:ss#w?rd&=$'`!");
    expect(fake.countCalls({ command: "RestartAppServer" })).toBe(1);
    await up(fake, first);
    expectConverged(fake, first);
    expect(fake.appEnvironment("my-app-prod").variables.DB_PASSWORD).toBe("First-passw0rd-aaaa");
  });

  it("carries a password rotated outside ebdb (instance and RDS-layout secret) to the application at the next up", async () => {
    ({ fake } = world());
    const desired = desiredOf();
    await up(fake, desired);
    const r = fake.state.region();
    // What a Secrets Manager rotation function does: a new password on the instance and in the secret.
    const rotated = "Rotated-by-lambda-0123456789";
    r.rds.instances.get("my-app-prod-db")!.masterPassword = rotated;
    const secret = [...r.secrets.values()].find((s) => s.name === JSON_SECRET)!;
    const doc = JSON.parse(currentValue(fake, JSON_SECRET));
    for (const v of secret.versions) v.stages = v.stages.filter((x) => x !== "AWSCURRENT");
    secret.versions.push({
      id: "rotation-0000-0000-0000-000000000001",
      value: JSON.stringify({ ...doc, password: rotated }),
      binary: undefined,
      stages: ["AWSCURRENT"],
      createdAt: fake.clock.now().getTime(),
    });
    expect(fake.appEnvironment("my-app-prod").variables.DB_PASSWORD).toBe(doc.password);
    const { plan } = await planOf(fake, desired);
    expect(plan.changes.map((c) => `${c.kind} ${c.resource} ${c.field}`).sort()).toEqual(
      [
        "eb-environment my-app-prod reload",
        "secret my-app/prod/eb/DATABASE_URL value",
        "secret my-app/prod/eb/DB_PASSWORD value",
        "secret my-app/prod/eb/JDBC_DATABASE_URL value",
      ].sort(),
    );
    await up(fake, desired);
    expectConverged(fake, desired);
    expect(fake.appEnvironment("my-app-prod").variables.DB_PASSWORD).toBe(rotated);
  });

  it("converges after an interruption at each mutating step of a password change", async () => {
    const base = desiredOf({ masterPassword: new Secret("Base-passw0rd-1234") });
    const changed = desiredOf({ masterPassword: new Secret("Changed-passw0rd-5678") });
    const fresh = async () => {
      ({ fake } = world());
      await up(fake, base);
      fake.resetCalls();
    };
    await fresh();
    await up(fake, changed);
    const steps = fake.countCalls({ mutating: true });
    expect(fake.calls.filter((c) => c.mutating).map((c) => c.command)).toEqual([
      "ModifyDBInstance",
      "PutSecretValue",
      "PutSecretValue",
      "PutSecretValue",
      "PutSecretValue",
      "RestartAppServer",
      "TagResource",
      "TagResource",
      "TagResource",
    ]);
    fake.uninstall();
    for (let n = 1; n <= steps; n++) {
      await fresh();
      fake.faults.crashAfter(n);
      const crash = await up(fake, changed).then(
        () => null,
        (e) => e,
      );
      expect(isSimulatedCrash(crash), `crash after step ${n}`).toBe(true);
      fake.faults.reset();
      await up(fake, changed);
      expectConverged(fake, changed);
      expect(fake.appEnvironment("my-app-prod").variables.DB_PASSWORD).toBe("Changed-passw0rd-5678");
      fake.resetCalls();
      expect((await up(fake, changed)).changes, `after a crash at step ${n}`).toEqual([]);
      expect(fake.countCalls({ mutating: true })).toBe(0);
      fake.uninstall();
    }
  }, 60_000);

  it("follows a restore switched in: DATABASE_URL names the restored instance, which has the CA set", async () => {
    ({ fake } = world());
    const desired = desiredOf();
    await up(fake, desired);
    fake.clock.advance(60 * MIN);
    const io = new RecordingIoHost();
    const target = targetOn(fake, io);
    const restored = await target.restore(desired, { kind: "latest" }, "my-app-prod-db-pitr", io, {
      switch: true,
    });
    const r = fake.state.region();
    expect(r.rds.instances.get("my-app-prod-db-pitr")!.caCert).toBe(RDS_CA);
    const app = fake.appEnvironment("my-app-prod").variables;
    expect(app.DB_HOST).toBe(restored.host);
    expect(new URL(app.DATABASE_URL).hostname).toBe(restored.host);
    expect(app.PGHOST).toBe(restored.host);
    // The new host came by a configuration update; the URLs, already referenced, by a restart.
    expect(fake.countCalls({ command: "RestartAppServer" })).toBe(1);
  });
});

describe("the RDS CA on every instance", () => {
  it("is rds-ca-rsa2048-g1 on the primary, replicas and restores, whatever the account's default, and plan shows it", async () => {
    ({ fake } = world());
    fake.state.region().rds.caOverride = "rds-ca-ecc384-g1";
    const desired = desiredOf({ replicas: { enabled: true, count: 2 } });
    const { plan } = await planOf(fake, desired);
    expect(plan.changes.find((c) => c.kind === "instance" && c.action === "create")?.reason).toMatch(
      /TLS certificate from CA rds-ca-rsa2048-g1$/,
    );
    await up(fake, desired);
    for (const i of fake.state.region().rds.instances.values()) expect(i.caCert, i.id).toBe(RDS_CA);
    const io = new RecordingIoHost();
    await targetOn(fake, io).replicas.add(desired, io);
    expect(fake.state.region().rds.instances.get("my-app-prod-db-replica-3")!.caCert).toBe(RDS_CA);
  });

  it("moves an existing instance with another CA: planned with a restart, in the maintenance window or now", async () => {
    ({ fake } = world());
    const desired = desiredOf();
    await up(fake, desired);
    const db = () => fake.state.region().rds.instances.get("my-app-prod-db")!;
    db().caCert = "rds-ca-rsa4096-g1";
    const { plan } = await planOf(fake, desired);
    expect(plan.changes).toEqual([
      expect.objectContaining({
        resource: "my-app-prod-db",
        field: "caCertificateIdentifier",
        from: "rds-ca-rsa4096-g1",
        to: RDS_CA,
        impact: "restart",
      }),
    ]);
    // Without --apply-immediately RDS holds it for the maintenance window, and the next plan says so.
    await up(fake, desired);
    expect(db().caCert).toBe("rds-ca-rsa4096-g1");
    expect(db().pending.CACertificateIdentifier).toBe(RDS_CA);
    const waiting = await planOf(fake, desired);
    expect(waiting.plan.changes).toEqual([]);
    expect(waiting.plan.notes.join("\n")).toMatch(
      /caCertificateIdentifier → rds-ca-rsa2048-g1 is already pending/,
    );
    fake.clock.advance(8 * 24 * 60 * MIN);
    expect(db().caCert).toBe(RDS_CA);
    expect((await planOf(fake, desired)).plan.changes).toEqual([]);

    // With --apply-immediately it is set at once.
    db().caCert = "rds-ca-ecc384-g1";
    await up(fake, desired, { applyImmediately: true });
    expect(db().caCert).toBe(RDS_CA);
    expect(db().pending).toEqual({});
  });
});

describe("the URL the EB application gets", () => {
  it("names the CA file the eb-files install", async () => {
    ({ fake } = world());
    const desired = desiredOf();
    await up(fake, desired);
    const url = new URL(fake.appEnvironment("my-app-prod").variables.DATABASE_URL);
    expect(url.searchParams.get("sslrootcert")).toBe(EB_CA_PATH);
    expect(url.searchParams.get("sslmode")).toBe("verify-full");
  });
});
