import { CloudWatchClient, GetMetricDataCommand, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
  type Change,
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
} from "@aws-sdk/client-route-53";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeAws, installFakeAws, seedDefaultEnvironment } from "./index.js";
import { credentials } from "./test-helpers.js";

let fake: FakeAws;
let r53: Route53Client;
let vpcId: string;

beforeEach(() => {
  fake = installFakeAws();
  vpcId = seedDefaultEnvironment(fake, { app: "a", env: "a-prod" }).vpcId;
  r53 = new Route53Client({ region: "us-east-1", credentials });
});
afterEach(() => fake.uninstall());

const zone = async (name = "db.ebdb.internal") =>
  (
    await r53.send(
      new CreateHostedZoneCommand({
        Name: name,
        CallerReference: name,
        VPC: { VPCRegion: "us-east-1", VPCId: vpcId },
      }),
    )
  ).HostedZone!.Id!;
const weighted = (id: string, target: string, weight = 1, ttl = 5): ResourceRecordSet => ({
  Name: "reader.db.ebdb.internal",
  Type: "CNAME",
  SetIdentifier: id,
  Weight: weight,
  TTL: ttl,
  ResourceRecords: [{ Value: target }],
});
const change = (zoneId: string, ...changes: Change[]) =>
  r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: changes } }));

describe("Route 53 in the fake", () => {
  it("makes private zones on an existing VPC, once per name and VPC", async () => {
    const id = await zone();
    expect(id).toMatch(/^\/hostedzone\/Z[A-Z0-9]+$/);
    await expect(
      r53.send(
        new CreateHostedZoneCommand({
          Name: "x.internal",
          CallerReference: "x",
          HostedZoneConfig: { PrivateZone: true },
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(
      r53.send(
        new CreateHostedZoneCommand({
          Name: "db.ebdb.internal",
          CallerReference: "again",
          VPC: { VPCRegion: "us-east-1", VPCId: vpcId },
        }),
      ),
    ).rejects.toMatchObject({ name: "ConflictingDomainExists" });
    await expect(
      r53.send(
        new CreateHostedZoneCommand({
          Name: "y.internal",
          CallerReference: "y",
          VPC: { VPCRegion: "us-east-1", VPCId: "vpc-0nope" },
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidVPCId" });
  });

  it("applies a change batch all or none, with Route 53's rules for weighted CNAMEs", async () => {
    const id = await zone();
    await change(id, { Action: "CREATE", ResourceRecordSet: weighted("r1", "r1.rds.amazonaws.com") });
    // The second change fails, so the first (valid) one is not applied either.
    const err = await change(
      id,
      { Action: "UPSERT", ResourceRecordSet: weighted("r2", "r2.rds.amazonaws.com") },
      { Action: "CREATE", ResourceRecordSet: weighted("r1", "other.rds.amazonaws.com") },
    ).catch((e) => e);
    expect(err.name).toBe("InvalidChangeBatch");
    expect(err.message).toContain("set-identifier='r1'] but it already exists");
    const sets = fake.state.route53.zones
      .get(id.replace("/hostedzone/", ""))!
      .records.filter((r) => r.Type === "CNAME");
    expect(sets.map((s) => s.SetIdentifier)).toEqual(["r1"]);
    // A DELETE must name the set's current values; a simple set cannot join weighted ones.
    await expect(
      change(id, { Action: "DELETE", ResourceRecordSet: weighted("r1", "r1.rds.amazonaws.com", 1, 60) }),
    ).rejects.toThrow(/do not match the current values/);
    const simple = {
      Name: "reader.db.ebdb.internal",
      Type: "CNAME" as const,
      TTL: 5,
      ResourceRecords: [{ Value: "p" }],
    };
    await expect(change(id, { Action: "CREATE", ResourceRecordSet: simple })).rejects.toThrow(
      /other RRSets exist/,
    );
    await expect(
      change(id, {
        Action: "CREATE",
        ResourceRecordSet: { ...simple, Type: "A", ResourceRecords: [{ Value: "10.0.0.1" }] },
      }),
    ).rejects.toThrow(/conflicting RRSet of type CNAME/);
    await expect(
      change(id, { Action: "CREATE", ResourceRecordSet: { ...simple, Name: "reader.elsewhere.com" } }),
    ).rejects.toThrow(/not permitted in zone db.ebdb.internal./);
    const ok = await change(id, {
      Action: "DELETE",
      ResourceRecordSet: weighted("r1", "r1.rds.amazonaws.com"),
    });
    expect(ok.ChangeInfo?.Status).toBe("PENDING");
    fake.clock.advance(60_000);
    expect((await r53.send(new GetChangeCommand({ Id: ok.ChangeInfo!.Id }))).ChangeInfo?.Status).toBe(
      "INSYNC",
    );
  });

  it("lists sets by reversed name, type and set identifier, paged from a start set", async () => {
    const id = await zone();
    await change(
      id,
      ...["c", "a", "b"].map((s) => ({
        Action: "CREATE" as const,
        ResourceRecordSet: weighted(s, `${s}.rds`),
      })),
    );
    const seen: string[] = [];
    let start: { n?: string; t?: string; i?: string } = {};
    for (let pages = 0; pages < 10; pages++) {
      const r = await r53.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: id,
          StartRecordName: start.n,
          StartRecordType: start.t as never,
          StartRecordIdentifier: start.i,
        }),
      );
      seen.push(
        ...(r.ResourceRecordSets ?? []).map((s) => `${s.Name} ${s.Type} ${s.SetIdentifier ?? ""}`.trim()),
      );
      if (!r.IsTruncated) break;
      start = { n: r.NextRecordName, t: r.NextRecordType, i: r.NextRecordIdentifier };
    }
    expect(seen).toEqual([
      "db.ebdb.internal. NS",
      "db.ebdb.internal. SOA",
      "reader.db.ebdb.internal. CNAME a",
      "reader.db.ebdb.internal. CNAME b",
      "reader.db.ebdb.internal. CNAME c",
    ]);
    await expect(r53.send(new DeleteHostedZoneCommand({ Id: id }))).rejects.toMatchObject({
      name: "HostedZoneNotEmpty",
    });
  });
});

describe("CloudWatch PutMetricData in the fake", () => {
  it("stores statistic sets that GetMetricData averages by their samples, and refuses AWS/ namespaces", async () => {
    const cw = new CloudWatchClient({ region: "us-east-1", credentials });
    const at = new Date(fake.clock.now().getTime() - 60_000);
    const datum = (sum: number, count: number) => ({
      MetricName: "RDSReaderAverageCPUUtilization",
      Dimensions: [{ Name: "DBInstanceIdentifier", Value: "db" }],
      Timestamp: at,
      Unit: "Percent" as const,
      StatisticValues: { SampleCount: count, Sum: sum, Minimum: 10, Maximum: 90 },
    });
    await cw.send(
      new PutMetricDataCommand({ Namespace: "ebdb/RDS", MetricData: [datum(150, 3), datum(50, 1)] }),
    );
    await expect(
      cw.send(new PutMetricDataCommand({ Namespace: "AWS/RDS", MetricData: [datum(1, 1)] })),
    ).rejects.toMatchObject({
      name: "InvalidParameterValue",
    });
    const old = { ...datum(1, 1), Timestamp: new Date(fake.clock.now().getTime() - 15 * 86_400_000) };
    await expect(
      cw.send(new PutMetricDataCommand({ Namespace: "ebdb/RDS", MetricData: [old] })),
    ).rejects.toThrow(/past two weeks/);
    const metric = {
      Namespace: "ebdb/RDS",
      MetricName: "RDSReaderAverageCPUUtilization",
      Dimensions: datum(0, 1).Dimensions,
    };
    const r = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(at.getTime()),
        EndTime: new Date(fake.clock.now().getTime()),
        MetricDataQueries: ["Average", "SampleCount", "Maximum"].map((Stat, k) => ({
          Id: `q${k}`,
          MetricStat: { Metric: metric, Period: 60, Stat },
        })),
      }),
    );
    expect(r.MetricDataResults?.map((x) => x.Values?.[0])).toEqual([50, 4, 90]);
  });
});
