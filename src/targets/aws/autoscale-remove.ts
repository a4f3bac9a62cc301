import { DeleteLogGroupCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DeleteRoleCommand, DeleteRolePolicyCommand, ListRolePoliciesCommand } from "@aws-sdk/client-iam";
import { DeleteFunctionCommand } from "@aws-sdk/client-lambda";
import {
  type Change,
  ChangeResourceRecordSetsCommand,
  DeleteHostedZoneCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
} from "@aws-sdk/client-route-53";
import { DeleteScheduleCommand } from "@aws-sdk/client-scheduler";
import { isAwsCode } from "./aws-errors.js";
import { dnsName } from "./autoscale-io.js";
import { autoscaleNames } from "./autoscale-names.js";
import { findZone } from "./autoscale-observe.js";
import type { AwsClients } from "./clients.js";

async function gone(p: Promise<unknown>, ...codes: string[]): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!isAwsCode(e, ...codes)) throw e;
  }
}

/**
 * Stops and removes the runner: the schedule first (no run starts), then the function, its log group
 * and the two roles. Each piece already gone is skipped, so an interrupted removal finishes on the
 * next run. The zone is separate (removeReaderZone): `destroy` removes it after the replicas.
 */
export async function removeAutoscaler(aws: AwsClients, identifier: string): Promise<void> {
  const n = autoscaleNames(identifier);
  await gone(aws.scheduler(new DeleteScheduleCommand({ Name: n.scheduleName })), "ResourceNotFoundException");
  await gone(
    aws.lambda(new DeleteFunctionCommand({ FunctionName: n.functionName })),
    "ResourceNotFoundException",
  );
  await gone(aws.logs(new DeleteLogGroupCommand({ logGroupName: n.logGroup })), "ResourceNotFoundException");
  for (const role of [n.roleName, n.schedulerRoleName]) {
    try {
      const names = (await aws.iam(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames ?? [];
      for (const p of names) await aws.iam(new DeleteRolePolicyCommand({ RoleName: role, PolicyName: p }));
      await aws.iam(new DeleteRoleCommand({ RoleName: role }));
    } catch (e) {
      if (!isAwsCode(e, "NoSuchEntity", "NoSuchEntityException")) throw e;
    }
  }
}

/** Deletes the private hosted zone of the reader record, with every record set in it but its own NS and SOA. */
export async function removeReaderZone(aws: AwsClients, identifier: string): Promise<void> {
  const n = autoscaleNames(identifier);
  const zoneId = await findZone(aws, n.zoneName);
  if (!zoneId) return;
  const sets: ResourceRecordSet[] = [];
  let start: { name?: string; type?: string; id?: string } = {};
  for (;;) {
    const r = await aws.route53(
      new ListResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        StartRecordName: start.name,
        StartRecordType: start.type as never,
        StartRecordIdentifier: start.id,
      }),
    );
    sets.push(...(r.ResourceRecordSets ?? []));
    if (!r.IsTruncated) break;
    start = { name: r.NextRecordName, type: r.NextRecordType, id: r.NextRecordIdentifier };
  }
  const apex = dnsName(n.zoneName);
  const changes: Change[] = sets
    .filter((s) => !(dnsName(s.Name ?? "") === apex && (s.Type === "NS" || s.Type === "SOA")))
    .map((s) => ({ Action: "DELETE", ResourceRecordSet: s }));
  if (changes.length > 0)
    await aws.route53(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: { Comment: "ebdb destroy", Changes: changes },
      }),
    );
  await gone(aws.route53(new DeleteHostedZoneCommand({ Id: zoneId })), "NoSuchHostedZone");
}
