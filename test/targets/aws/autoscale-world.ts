import { CreateDBInstanceCommand, CreateDBInstanceReadReplicaCommand } from "@aws-sdk/client-rds";
import { CreateHostedZoneCommand, Route53Client, type VPCRegion } from "@aws-sdk/client-route-53";
import type { ControllerConfig } from "../../../src/targets/aws/autoscale-controller.js";
import { autoscaleNames, METRIC, READER_TTL } from "../../../src/targets/aws/autoscale-names.js";
import { TAG, tagOf } from "../../../src/targets/aws/autoscale-tags.js";
import type { DbInstance, FakeAws } from "../../fakes/aws/index.js";
import { installFakeAws } from "../../fakes/aws/index.js";
import { credentials, instanceRequest, rdsClient, rdsWorld } from "../../fakes/aws/test-helpers.js";

/**
 * A database the AWS autoscaling runner works on, in the fake: the primary `my-app-prod-db`, one
 * replica made by `up` (not the runner's), the private hosted zone of the reader record, and the
 * controller's configuration as `up` gives it. Plus the world outside the API: an application whose
 * read demand (vCPUs) goes to the replicas the reader record holds, which RDS reports as their
 * CPUUtilization each minute.
 */

export const PRIMARY = "my-app-prod-db";
export const MINUTE = 60_000;

export interface RunnerWorld {
  fake: FakeAws;
  cfg: ControllerConfig;
  zoneId: string;
}

export async function runnerWorld(policy: Partial<ControllerConfig["policy"]> = {}): Promise<RunnerWorld> {
  const fake = installFakeAws();
  const env = await rdsWorld(fake);
  const rds = rdsClient();
  await rds.send(new CreateDBInstanceCommand(instanceRequest(env.subnetGroup, PRIMARY)));
  fake.clock.advance(12 * MINUTE);
  await rds.send(
    new CreateDBInstanceReadReplicaCommand({
      DBInstanceIdentifier: `${PRIMARY}-replica-1`,
      SourceDBInstanceIdentifier: PRIMARY,
      DBInstanceClass: "db.t3.small",
      Tags: [{ Key: "ebdb:role", Value: "replica" }],
    }),
  );
  fake.clock.advance(13 * MINUTE);
  const names = autoscaleNames(PRIMARY);
  const zone = await new Route53Client({ region: fake.region, credentials }).send(
    new CreateHostedZoneCommand({
      Name: names.zoneName,
      CallerReference: `ebdb-${PRIMARY}`,
      VPC: { VPCRegion: fake.region as VPCRegion, VPCId: env.vpcId },
      HostedZoneConfig: { PrivateZone: true, Comment: "ebdb reader endpoint" },
    }),
  );
  const r = fake.state.region();
  const zones = [...new Set(env.privateSubnetIds.map((s) => r.ec2.subnets.get(s)!.AvailabilityZone))];
  const cfg: ControllerConfig = {
    identifier: PRIMARY,
    policy: {
      minCapacity: 1,
      maxCapacity: 3,
      targetCpuPercent: 60,
      scaleInCooldownSeconds: 600,
      scaleOutCooldownSeconds: 300,
      replicaVcpus: 2,
      provisionMinutes: 15,
      ...policy,
    },
    maxLagSeconds: 10,
    metric: { ...METRIC },
    zoneId: zone.HostedZone!.Id!,
    readerHost: names.readerHost,
    ttl: READER_TTL,
    replica: {
      request: { DBInstanceClass: "db.t3.small" },
      zones,
      tags: [{ Key: "ebdb:role", Value: "replica" }],
    },
  };
  // Start on a whole minute, as EventBridge Scheduler's runs are.
  fake.clock.advanceTo(Math.ceil(fake.clock.now().getTime() / MINUTE) * MINUTE);
  return { fake, cfg, zoneId: zone.HostedZone!.Id!.replace("/hostedzone/", "") };
}

/** The primary's replicas in the fake (any status but gone), by identifier. */
export function replicasOf(fake: FakeAws): DbInstance[] {
  return [...fake.state.region().rds.instances.values()]
    .filter((i) => i.replicaSource === PRIMARY)
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** The reader record as Route 53 holds it: replica set identifiers with weight > 0, and the fallback. */
export function readerRecord(w: RunnerWorld): { members: string[]; fallback: string | null } {
  const zone = w.fake.state.route53.zones.get(w.zoneId)!;
  const sets = zone.records.filter((s) => s.Name === `${w.cfg.readerHost}.` && s.Type === "CNAME");
  return {
    members: sets
      .filter((s) => (s.Weight ?? 0) > 0)
      .map((s) => s.SetIdentifier!)
      .sort(),
    fallback: sets.find((s) => s.Weight === 0)?.ResourceRecords?.[0]?.Value ?? null,
  };
}

export const draining = (i: DbInstance) => tagOf(i.tags, TAG.draining) !== null;

/**
 * RDS's CPUUtilization and DatabaseConnections of the minute starting at `atMs` for every available
 * replica: the application's `demandVcpu` spread over the reader record's members (capped at 100%),
 * an idle 3% on the others. With no member the reads go to the primary (the fallback).
 */
export function reportLoad(w: RunnerWorld, members: string[], demandVcpu: number, atMs: number): void {
  const vcpu = w.cfg.policy.replicaVcpus;
  for (const inst of replicasOf(w.fake)) {
    if (inst.status !== "available") continue;
    const serving = members.includes(inst.id);
    const cpu = serving ? Math.min(100, (100 * demandVcpu) / (members.length * vcpu)) : 3;
    const dims = { DBInstanceIdentifier: inst.id };
    const at = new Date(atMs + 30_000);
    w.fake.putMetric({
      namespace: "AWS/RDS",
      metricName: "CPUUtilization",
      dimensions: dims,
      value: cpu,
      at,
    });
    w.fake.putMetric({
      namespace: "AWS/RDS",
      metricName: "DatabaseConnections",
      dimensions: dims,
      value: serving ? 20 : 0,
      at,
    });
  }
}
