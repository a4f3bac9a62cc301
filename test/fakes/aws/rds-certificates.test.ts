import {
  CertificateNotFoundFault,
  CreateDBInstanceCommand,
  CreateDBInstanceReadReplicaCommand,
  DescribeCertificatesCommand,
  DescribeDBEngineVersionsCommand,
  DescribeDBInstancesCommand,
  ModifyCertificatesCommand,
  ModifyDBInstanceCommand,
  RestoreDBInstanceToPointInTimeCommand,
} from "@aws-sdk/client-rds";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeAws, installFakeAws, RDS_TIMES } from "./index.js";
import { instanceRequest, rdsClient, rdsWorld } from "./test-helpers.js";

let fake: FakeAws;
beforeEach(() => {
  fake = installFakeAws();
});
afterEach(() => fake.uninstall());

const MIN = 60_000;

async function describe1(id: string) {
  const out = await rdsClient().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
  return out.DBInstances![0];
}

/** Watches instances' statuses on the simulated clock, every 30 s for `ms`: each one's sequence. */
async function watch(ids: string[], ms: number): Promise<Record<string, string[]>> {
  const seen: Record<string, string[]> = Object.fromEntries(ids.map((id) => [id, []]));
  for (let t = 0; t <= ms; t += 30_000) {
    for (const id of ids) {
      const s = (await describe1(id)).DBInstanceStatus!;
      if (seen[id][seen[id].length - 1] !== s) seen[id].push(s);
    }
    fake.clock.advance(30_000);
  }
  return seen;
}

async function statuses(id: string, ms: number): Promise<string[]> {
  return (await watch([id], ms))[id];
}

describe("RDS CA certificates", () => {
  it("lists the CAs RDS offers, the default for new instances, and an account override", async () => {
    const rds = rdsClient();
    const out = await rds.send(new DescribeCertificatesCommand({ MaxRecords: 20 }));
    expect(out.DefaultCertificateForNewLaunches).toBe("rds-ca-rsa2048-g1");
    const ids: string[] = (out.Certificates ?? []).map((c) => c.CertificateIdentifier!);
    let marker = out.Marker;
    while (marker) {
      const next = await rds.send(new DescribeCertificatesCommand({ MaxRecords: 20, Marker: marker }));
      ids.push(...(next.Certificates ?? []).map((c) => c.CertificateIdentifier!));
      marker = next.Marker;
    }
    expect(ids.sort()).toEqual(["rds-ca-ecc384-g1", "rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1"]);
    const one = await rds.send(
      new DescribeCertificatesCommand({ CertificateIdentifier: "RDS-CA-RSA2048-G1" }),
    );
    expect(one.Certificates?.[0]).toMatchObject({
      CertificateIdentifier: "rds-ca-rsa2048-g1",
      CertificateType: "CA",
      ValidTill: new Date("2061-05-25T23:34:57Z"),
      CustomerOverride: false,
    });
    await expect(
      rds.send(new DescribeCertificatesCommand({ CertificateIdentifier: "rds-ca-2019" })),
    ).rejects.toBeInstanceOf(CertificateNotFoundFault);

    await rds.send(new ModifyCertificatesCommand({ CertificateIdentifier: "rds-ca-ecc384-g1" }));
    const after = await rds.send(
      new DescribeCertificatesCommand({ CertificateIdentifier: "rds-ca-ecc384-g1" }),
    );
    expect(after.DefaultCertificateForNewLaunches).toBe("rds-ca-ecc384-g1");
    expect(after.Certificates?.[0]?.CustomerOverride).toBe(true);
    await expect(rds.send(new ModifyCertificatesCommand({}))).rejects.toMatchObject({
      name: "InvalidParameterCombination",
    });
    await rds.send(new ModifyCertificatesCommand({ RemoveCustomerOverride: true }));
    expect((await rds.send(new DescribeCertificatesCommand({}))).DefaultCertificateForNewLaunches).toBe(
      "rds-ca-rsa2048-g1",
    );
  });

  it("gives new instances, replicas and restores the request's CA, else the account's default", async () => {
    const env = await rdsWorld(fake);
    const rds = rdsClient();
    await rds.send(new ModifyCertificatesCommand({ CertificateIdentifier: "rds-ca-rsa4096-g1" }));
    await rds.send(
      new CreateDBInstanceCommand({
        ...instanceRequest(env.subnetGroup),
        CACertificateIdentifier: "rds-ca-rsa2048-g1",
      }),
    );
    await rds.send(new CreateDBInstanceCommand(instanceRequest(env.subnetGroup, "other-db")));
    fake.clock.advance(RDS_TIMES.create + RDS_TIMES.initialBackup + 10 * MIN);
    expect((await describe1("my-app-prod-db")).CACertificateIdentifier).toBe("rds-ca-rsa2048-g1");
    expect((await describe1("my-app-prod-db")).CertificateDetails?.CAIdentifier).toBe("rds-ca-rsa2048-g1");
    expect((await describe1("other-db")).CACertificateIdentifier).toBe("rds-ca-rsa4096-g1");

    // A replica does not inherit its source's CA: the default, unless named.
    await rds.send(
      new CreateDBInstanceReadReplicaCommand({
        DBInstanceIdentifier: "rep-default",
        SourceDBInstanceIdentifier: "my-app-prod-db",
      }),
    );
    await rds.send(
      new CreateDBInstanceReadReplicaCommand({
        DBInstanceIdentifier: "rep-named",
        SourceDBInstanceIdentifier: "my-app-prod-db",
        CACertificateIdentifier: "rds-ca-rsa2048-g1",
      }),
    );
    await rds.send(
      new RestoreDBInstanceToPointInTimeCommand({
        SourceDBInstanceIdentifier: "my-app-prod-db",
        TargetDBInstanceIdentifier: "restored",
        UseLatestRestorableTime: true,
        DBSubnetGroupName: env.subnetGroup,
        CACertificateIdentifier: "rds-ca-rsa2048-g1",
      }),
    );
    expect((await describe1("rep-default")).CACertificateIdentifier).toBe("rds-ca-rsa4096-g1");
    expect((await describe1("rep-named")).CACertificateIdentifier).toBe("rds-ca-rsa2048-g1");
    expect((await describe1("restored")).CACertificateIdentifier).toBe("rds-ca-rsa2048-g1");

    await expect(
      rds.send(
        new CreateDBInstanceCommand({
          ...instanceRequest(env.subnetGroup, "bad-ca"),
          CACertificateIdentifier: "rds-ca-2015",
        }),
      ),
    ).rejects.toMatchObject({ name: "CertificateNotFoundFault", $metadata: { httpStatusCode: 404 } });
  });

  it("changes an instance's CA in the maintenance window, or now with ApplyImmediately", async () => {
    const env = await rdsWorld(fake);
    const rds = rdsClient();
    await rds.send(new ModifyCertificatesCommand({ CertificateIdentifier: "rds-ca-rsa4096-g1" }));
    await rds.send(new CreateDBInstanceCommand(instanceRequest(env.subnetGroup)));
    fake.clock.advance(RDS_TIMES.create + RDS_TIMES.initialBackup);
    await rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: "my-app-prod-db",
        CACertificateIdentifier: "rds-ca-rsa2048-g1",
      }),
    );
    const waiting = await describe1("my-app-prod-db");
    expect(waiting.CACertificateIdentifier).toBe("rds-ca-rsa4096-g1");
    expect(waiting.PendingModifiedValues?.CACertificateIdentifier).toBe("rds-ca-rsa2048-g1");
    await expect(
      rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: "my-app-prod-db",
          CACertificateIdentifier: "nope",
        }),
      ),
    ).rejects.toBeInstanceOf(CertificateNotFoundFault);
    // PostgreSQL rotates its certificate without a restart: modifying, then available.
    await rds.send(
      new ModifyDBInstanceCommand({ DBInstanceIdentifier: "my-app-prod-db", ApplyImmediately: true }),
    );
    expect(await statuses("my-app-prod-db", RDS_TIMES.modify + RDS_TIMES.reboot + MIN)).toEqual([
      "modifying",
      "available",
    ]);
    const done = await describe1("my-app-prod-db");
    expect(done.CACertificateIdentifier).toBe("rds-ca-rsa2048-g1");
    expect(done.PendingModifiedValues).toEqual({});
  });

  it("restarts an engine that cannot rotate without one, unless CertificateRotationRestart is false", async () => {
    const env = await rdsWorld(fake);
    const rds = rdsClient();
    const engines = await rds.send(
      new DescribeDBEngineVersionsCommand({ Engine: "mysql", EngineVersion: "8.0.42" }),
    );
    expect(engines.DBEngineVersions?.[0]?.SupportsCertificateRotationWithoutRestart).toBe(false);
    const mysql = (id: string) => ({
      ...instanceRequest(env.subnetGroup, id),
      Engine: "mysql",
      EngineVersion: "8.0.42",
      CACertificateIdentifier: "rds-ca-rsa4096-g1",
    });
    await rds.send(new CreateDBInstanceCommand(mysql("m1")));
    await rds.send(new CreateDBInstanceCommand(mysql("m2")));
    fake.clock.advance(RDS_TIMES.create + RDS_TIMES.initialBackup);
    await rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: "m1",
        CACertificateIdentifier: "rds-ca-rsa2048-g1",
        ApplyImmediately: true,
      }),
    );
    await rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: "m2",
        CACertificateIdentifier: "rds-ca-rsa2048-g1",
        ApplyImmediately: true,
        CertificateRotationRestart: false,
      }),
    );
    expect(await watch(["m1", "m2"], RDS_TIMES.modify + RDS_TIMES.reboot + MIN)).toEqual({
      m1: ["modifying", "rebooting", "available"],
      m2: ["modifying", "available"],
    });
    expect((await describe1("m2")).DBInstanceStatus).toBe("available");
    expect((await describe1("m2")).CACertificateIdentifier).toBe("rds-ca-rsa2048-g1");
  });
});
