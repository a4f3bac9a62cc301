import type {
  ChangeResourceRecordSetsCommandInput,
  ChangeTagsForResourceCommandInput,
  CreateHostedZoneCommandInput,
  DeleteHostedZoneCommandInput,
  GetChangeCommandInput,
  GetHostedZoneCommandInput,
  ListHostedZonesByNameCommandInput,
  ListResourceRecordSetsCommandInput,
  ListTagsForResourceCommandInput,
} from "@aws-sdk/client-route-53";
import { type Ctx, type Handlers, read, write } from "./kit.js";
import {
  applyBatch,
  bareId,
  CHANGE_SECONDS,
  compareSets,
  fqdn,
  type HostedZone,
  normalise,
  type RecordSet,
  reversedName,
} from "./route53-model.js";
import { mergeTags } from "./world.js";

/**
 * Route 53 (global): hosted zones, public or private to VPCs, their record sets and changes. Rules
 * from the Route 53 API Reference; see SPEC.md.
 */

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

function zoneOf(ctx: Ctx, id: string | undefined): HostedZone {
  const z = ctx.w.route53.zones.get(bareId(id));
  if (!z) throw ctx.err("NoSuchHostedZone", `No hosted zone found with ID: ${bareId(id)}`, 404);
  return z;
}

function zoneShape(z: HostedZone) {
  return {
    Id: `/hostedzone/${z.id}`,
    Name: z.name,
    CallerReference: z.callerReference,
    Config: { ...(z.comment !== undefined ? { Comment: z.comment } : {}), PrivateZone: z.privateZone },
    ResourceRecordSetCount: z.records.length,
  };
}

function changeInfo(ctx: Ctx, comment?: string) {
  const id = `C${ctx.w.chars(20, ALNUM)}`;
  ctx.w.route53.changes.set(id, ctx.w.now());
  return {
    Id: `/change/${id}`,
    Status: "PENDING" as const,
    SubmittedAt: new Date(ctx.w.now()),
    ...(comment ? { Comment: comment } : {}),
  };
}

/** A page size: what the caller asked (at most `max`), never more than the fake's page size. */
function pageSize(ctx: Ctx, asked: number | string | undefined, max: number): number {
  const n = asked === undefined ? max : Number(asked);
  if (!(Number.isInteger(n) && n >= 1)) throw ctx.err("InvalidInput", `Invalid MaxItems ${asked}`);
  return Math.min(n, max, ctx.w.pageSize);
}

function validDomain(name: string): boolean {
  const labels = fqdn(name).slice(0, -1).split(".");
  return name.length > 0 && fqdn(name).length <= 255 && labels.every((l) => l.length >= 1 && l.length <= 63);
}

export const route53Handlers: Handlers = {
  CreateHostedZone: write<CreateHostedZoneCommandInput>((ctx, input) => {
    const r53 = ctx.w.route53;
    if (!input.Name || !validDomain(input.Name))
      throw ctx.err("InvalidDomainName", `${input.Name ?? ""} is not a valid domain name.`);
    const ref = input.CallerReference ?? "";
    if (ref.length < 1 || ref.length > 128)
      throw ctx.err("InvalidInput", "CallerReference must be 1 to 128 characters.");
    if ([...r53.zones.values()].some((z) => z.callerReference === ref))
      throw ctx.err(
        "HostedZoneAlreadyExists",
        `A hosted zone has already been created with the specified caller reference: ${ref}`,
        409,
      );
    const vpc = input.VPC;
    if (input.HostedZoneConfig?.PrivateZone && !vpc?.VPCId)
      throw ctx.err(
        "InvalidInput",
        "When you're creating a private hosted zone (when you specify true for PrivateZone), you must also specify values for VPCId and VPCRegion.",
      );
    const name = fqdn(input.Name);
    if (vpc) {
      const region = vpc.VPCRegion ?? "";
      if (!vpc.VPCId || !ctx.w.regions.get(region)?.ec2.vpcs.has(vpc.VPCId))
        throw ctx.err("InvalidVPCId", `The VPC ID '${vpc.VPCId}' in region '${region}' is invalid.`);
      const clash = [...r53.zones.values()].find(
        (z) => z.privateZone && z.name === name && z.vpcs.some((v) => v.VPCId === vpc.VPCId),
      );
      if (clash)
        throw ctx.err(
          "ConflictingDomainExists",
          `The VPC ${vpc.VPCId} in region ${region} is already associated with another private hosted zone that has an overlapping name space, ${name}.`,
        );
    }
    const id = `Z${ctx.w.chars(20, ALNUM)}`;
    const ns = ["ns-1.awsdns-00.com.", "ns-2.awsdns-00.net.", "ns-3.awsdns-00.org.", "ns-4.awsdns-00.co.uk."];
    const zone: HostedZone = {
      id,
      name,
      callerReference: ref,
      comment: input.HostedZoneConfig?.Comment,
      privateZone: Boolean(vpc),
      vpcs: vpc ? [{ VPCRegion: vpc.VPCRegion ?? "", VPCId: vpc.VPCId ?? "" }] : [],
      records: [
        { Name: name, Type: "NS", TTL: 172800, ResourceRecords: ns.map((Value) => ({ Value })) },
        {
          Name: name,
          Type: "SOA",
          TTL: 900,
          ResourceRecords: [{ Value: `${ns[0]} awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400` }],
        },
      ],
      tags: [],
      createdAt: ctx.w.now(),
    };
    r53.zones.set(id, zone);
    return {
      Location: `https://route53.amazonaws.com/2013-04-01/hostedzone/${id}`,
      HostedZone: zoneShape(zone),
      ChangeInfo: changeInfo(ctx),
      ...(vpc ? { VPC: zone.vpcs[0] } : { DelegationSet: { NameServers: ns.map((n) => n.slice(0, -1)) } }),
    };
  }),

  GetHostedZone: read<GetHostedZoneCommandInput>((ctx, input) => {
    const z = zoneOf(ctx, input.Id);
    return { HostedZone: zoneShape(z), ...(z.privateZone ? { VPCs: z.vpcs } : {}) };
  }),

  ListHostedZonesByName: read<ListHostedZonesByNameCommandInput>((ctx, input) => {
    if (input.HostedZoneId && !input.DNSName) throw ctx.err("InvalidInput", "HostedZoneId requires DNSName.");
    const all = [...ctx.w.route53.zones.values()].sort(
      (a, b) => reversedName(a.name).localeCompare(reversedName(b.name)) || a.id.localeCompare(b.id),
    );
    const from = input.DNSName ? reversedName(input.DNSName) : "";
    const start = all.findIndex(
      (z) =>
        reversedName(z.name) > from ||
        (reversedName(z.name) === from && (!input.HostedZoneId || z.id >= bareId(input.HostedZoneId))),
    );
    const size = pageSize(ctx, input.MaxItems, 100);
    const rest = start < 0 ? [] : all.slice(start);
    const page = rest.slice(0, size);
    const next = rest[size];
    return {
      HostedZones: page.map(zoneShape),
      ...(input.DNSName ? { DNSName: input.DNSName } : {}),
      ...(input.HostedZoneId ? { HostedZoneId: input.HostedZoneId } : {}),
      IsTruncated: Boolean(next),
      ...(next ? { NextDNSName: next.name, NextHostedZoneId: next.id } : {}),
      MaxItems: size,
    };
  }),

  DeleteHostedZone: write<DeleteHostedZoneCommandInput>((ctx, input) => {
    const z = zoneOf(ctx, input.Id);
    if (z.records.some((r) => !(r.Name === z.name && (r.Type === "NS" || r.Type === "SOA"))))
      throw ctx.err(
        "HostedZoneNotEmpty",
        "The specified hosted zone contains non-required resource record sets and so cannot be deleted.",
      );
    ctx.w.route53.zones.delete(z.id);
    return { ChangeInfo: changeInfo(ctx) };
  }),

  ChangeResourceRecordSets: write<ChangeResourceRecordSetsCommandInput>((ctx, input) => {
    const z = zoneOf(ctx, input.HostedZoneId);
    const changes = input.ChangeBatch?.Changes ?? [];
    if (changes.length === 0 || changes.length > 1000)
      throw ctx.err("InvalidInput", "A ChangeBatch must contain 1 to 1000 changes.");
    const parsed = changes.map((c) => {
      if (!["CREATE", "DELETE", "UPSERT"].includes(c.Action ?? ""))
        throw ctx.err("InvalidInput", `Invalid request: unknown Action ${c.Action}`);
      try {
        return {
          Action: c.Action as string,
          set: normalise(c.ResourceRecordSet as RecordSet, c.Action ?? ""),
        };
      } catch (e) {
        throw ctx.err("InvalidInput", (e as Error).message);
      }
    });
    const keys = parsed.map((p) => `${p.set.Name}|${p.set.Type}|${p.set.SetIdentifier ?? ""}`);
    const dup = keys.find((k, i) => keys.indexOf(k) !== i);
    if (dup)
      throw ctx.err(
        "InvalidChangeBatch",
        `[The request contains an invalid set of changes for a resource record set '${dup.split("|").slice(0, 2).join(" ")}']`,
      );
    const out = applyBatch(z, parsed);
    if ("errors" in out) {
      const e = ctx.err("InvalidChangeBatch", `[${out.errors.join(", ")}]`);
      (e as unknown as { messages: string[] }).messages = out.errors;
      throw e;
    }
    z.records = out.records;
    return { ChangeInfo: changeInfo(ctx, input.ChangeBatch?.Comment) };
  }),

  ListResourceRecordSets: read<ListResourceRecordSetsCommandInput>((ctx, input) => {
    const z = zoneOf(ctx, input.HostedZoneId);
    if (input.StartRecordType && !input.StartRecordName)
      throw ctx.err("InvalidInput", "The input is not valid: StartRecordType requires StartRecordName.");
    if (input.StartRecordIdentifier && !input.StartRecordType)
      throw ctx.err(
        "InvalidInput",
        "The input is not valid: StartRecordIdentifier requires StartRecordType.",
      );
    const records = [...z.records].sort(compareSets);
    const from: RecordSet = {
      Name: fqdn(input.StartRecordName ?? ""),
      Type: input.StartRecordType ?? "",
      SetIdentifier: input.StartRecordIdentifier ?? "",
    };
    const start = input.StartRecordName ? records.findIndex((r) => compareSets(r, from) >= 0) : 0;
    const size = pageSize(ctx, input.MaxItems, 300);
    const rest = start < 0 ? [] : records.slice(start);
    const next = rest[size];
    return {
      ResourceRecordSets: rest.slice(0, size),
      IsTruncated: Boolean(next),
      ...(next
        ? {
            NextRecordName: next.Name,
            NextRecordType: next.Type,
            ...(next.SetIdentifier !== undefined ? { NextRecordIdentifier: next.SetIdentifier } : {}),
          }
        : {}),
      MaxItems: size,
    };
  }),

  GetChange: read<GetChangeCommandInput>((ctx, input) => {
    const at = ctx.w.route53.changes.get(bareId(input.Id));
    if (at === undefined)
      throw ctx.err("NoSuchChange", `A change with the specified change ID does not exist.`, 404);
    return {
      ChangeInfo: {
        Id: `/change/${bareId(input.Id)}`,
        Status: ctx.w.now() - at >= CHANGE_SECONDS * 1000 ? "INSYNC" : "PENDING",
        SubmittedAt: new Date(at),
      },
    };
  }),

  ChangeTagsForResource: write<ChangeTagsForResourceCommandInput>((ctx, input) => {
    if (input.ResourceType !== "hostedzone")
      throw ctx.err("InvalidInput", `The fake models tags of hosted zones only, not ${input.ResourceType}.`);
    const z = zoneOf(ctx, input.ResourceId);
    const keep = z.tags.filter((t) => !(input.RemoveTagKeys ?? []).includes(t.Key));
    const tags = mergeTags(keep, input.AddTags);
    if (tags.length > 50) throw ctx.err("InvalidInput", "A resource can have at most 50 tags.");
    z.tags = tags;
    return {};
  }),

  ListTagsForResource: read<ListTagsForResourceCommandInput>((ctx, input) => {
    const z = zoneOf(ctx, input.ResourceId);
    return { ResourceTagSet: { ResourceType: "hostedzone", ResourceId: z.id, Tags: z.tags } };
  }),
};
