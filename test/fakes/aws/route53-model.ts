/**
 * Route 53's model (global, as the service is): hosted zones and their record sets, and the rules
 * a change batch is checked by (Route 53 API Reference, ChangeResourceRecordSets and
 * ResourceRecordSet; Developer Guide, "Choosing a routing policy" and "Working with private hosted
 * zones"). Pure: the handlers in route53.ts read and write it.
 */

/** One record set as the API shapes it (names stored lower case with the trailing dot). */
export interface RecordSet {
  Name: string;
  Type: string;
  SetIdentifier?: string;
  Weight?: number;
  MultiValueAnswer?: boolean;
  TTL?: number;
  ResourceRecords?: { Value: string }[];
  HealthCheckId?: string;
}

export interface HostedZone {
  /** `Z` and 13 more characters (the API's Id is `/hostedzone/<id>`). */
  id: string;
  /** Lower case, trailing dot. */
  name: string;
  callerReference: string;
  comment: string | undefined;
  privateZone: boolean;
  vpcs: { VPCRegion: string; VPCId: string }[];
  records: RecordSet[];
  tags: { Key: string; Value: string }[];
  createdAt: number;
}

export interface Route53State {
  zones: Map<string, HostedZone>;
  /** Change id -> when it was submitted (INSYNC CHANGE_SECONDS later). */
  changes: Map<string, number>;
}

/** Seconds until a change is INSYNC on Route 53's name servers ("generally within 60 seconds"). */
export const CHANGE_SECONDS = 60;

export const emptyRoute53 = (): Route53State => ({ zones: new Map(), changes: new Map() });

export const TYPES = [
  "A",
  "AAAA",
  "CAA",
  "CNAME",
  "DS",
  "MX",
  "NAPTR",
  "NS",
  "PTR",
  "SOA",
  "SPF",
  "SRV",
  "TXT",
];

/** A DNS name as Route 53 stores and returns it: lower case, with the trailing dot. */
export const fqdn = (n: string) => `${n.toLowerCase().replace(/\.$/, "")}.`;

/** `/hostedzone/Z123` or `Z123` -> `Z123` (the SDK strips the prefix; the mock bypasses it). */
export const bareId = (id: string | undefined) => (id ?? "").replace(/^\/(hostedzone|change)\//, "");

/** ListResourceRecordSets' and ListHostedZonesByName's order: the name with its labels reversed. */
export const reversedName = (n: string) => `${fqdn(n).slice(0, -1).split(".").reverse().join(".")}.`;

const ascii = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Record sets in ListResourceRecordSets' order: reversed name, then type, then set identifier. */
export function compareSets(a: RecordSet, b: RecordSet): number {
  return (
    ascii(reversedName(a.Name), reversedName(b.Name)) ||
    ascii(a.Type, b.Type) ||
    ascii(a.SetIdentifier ?? "", b.SetIdentifier ?? "")
  );
}

const label = (s: RecordSet) =>
  `[name='${s.Name}', type='${s.Type}'${s.SetIdentifier !== undefined ? `, set-identifier='${s.SetIdentifier}'` : ""}]`;

const same = (a: RecordSet, b: RecordSet) =>
  a.Name === b.Name && a.Type === b.Type && (a.SetIdentifier ?? "") === (b.SetIdentifier ?? "");

/** The routing policy a set uses (sets of one name and type must all use the same one). */
const policyOf = (s: RecordSet) =>
  s.Weight !== undefined ? "weighted" : s.MultiValueAnswer !== undefined ? "multivalue" : "simple";

/** A record set from a request, normalised; throws InvalidInput's message for a malformed one. */
export function normalise(s: RecordSet, action: string): RecordSet {
  const name = fqdn(s.Name ?? "");
  const where = `Change with [Action=${action}, Name=${name}, Type=${s.Type}${s.SetIdentifier !== undefined ? `, SetIdentifier=${s.SetIdentifier}` : ""}]`;
  if (!TYPES.includes(s.Type))
    throw new Error(`Invalid request: Unsupported record type ${s.Type} in ${where}`);
  if (s.TTL === undefined || !s.ResourceRecords?.length)
    throw new Error(
      `Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in ${where}`,
    );
  if (!(Number.isInteger(s.TTL) && s.TTL >= 0 && s.TTL <= 2_147_483_647))
    throw new Error(`Invalid request: TTL ${s.TTL} is out of range in ${where}`);
  const routed = s.Weight !== undefined || s.MultiValueAnswer !== undefined;
  if (s.SetIdentifier !== undefined && !routed)
    throw new Error(
      `Invalid request: Missing field 'Weight', 'Region', 'Failover', 'GeoLocation' or 'MultiValueAnswer' in ${where}`,
    );
  if (routed && !s.SetIdentifier)
    throw new Error(`Invalid request: Missing field 'SetIdentifier' in ${where}`);
  if (s.SetIdentifier !== undefined && s.SetIdentifier.length > 128)
    throw new Error(`Invalid request: SetIdentifier is longer than 128 characters in ${where}`);
  if (s.Weight !== undefined && !(Number.isInteger(s.Weight) && s.Weight >= 0 && s.Weight <= 255))
    throw new Error(`Invalid request: Weight must be from 0 to 255 in ${where}`);
  return {
    Name: name,
    Type: s.Type,
    ...(s.SetIdentifier !== undefined ? { SetIdentifier: s.SetIdentifier } : {}),
    ...(s.Weight !== undefined ? { Weight: s.Weight } : {}),
    ...(s.MultiValueAnswer !== undefined ? { MultiValueAnswer: s.MultiValueAnswer } : {}),
    TTL: s.TTL,
    ResourceRecords: s.ResourceRecords.map((r) => ({ Value: r.Value })),
    ...(s.HealthCheckId ? { HealthCheckId: s.HealthCheckId } : {}),
  };
}

const equalSets = (a: RecordSet, b: RecordSet) =>
  a.TTL === b.TTL &&
  a.Weight === b.Weight &&
  a.MultiValueAnswer === b.MultiValueAnswer &&
  (a.HealthCheckId ?? "") === (b.HealthCheckId ?? "") &&
  JSON.stringify((a.ResourceRecords ?? []).map((r) => r.Value.toLowerCase()).sort()) ===
    JSON.stringify((b.ResourceRecords ?? []).map((r) => r.Value.toLowerCase()).sort());

/**
 * Applies a change batch to a copy of the zone's records, as Route 53 does: in order, all or none.
 * Returns the new records, or the InvalidChangeBatch messages (one per rejected change).
 */
export function applyBatch(
  zone: HostedZone,
  changes: { Action: string; set: RecordSet }[],
): { records: RecordSet[] } | { errors: string[] } {
  const records = zone.records.map((r) => structuredClone(r));
  const errors: string[] = [];
  for (const { Action, set } of changes) {
    if (set.Name !== zone.name && !set.Name.endsWith(`.${zone.name}`)) {
      errors.push(`RRSet with DNS name ${set.Name} is not permitted in zone ${zone.name}`);
      continue;
    }
    if (set.Type === "CNAME" && set.Name === zone.name) {
      errors.push(
        `RRSet of type CNAME with DNS name ${set.Name} is not permitted at apex in zone ${zone.name}`,
      );
      continue;
    }
    if (set.Type === "CNAME" && (set.ResourceRecords?.length ?? 0) !== 1) {
      errors.push(`RRSet of type CNAME with DNS name ${set.Name} must have exactly one ResourceRecord`);
      continue;
    }
    const i = records.findIndex((r) => same(r, set));
    if (Action === "DELETE") {
      if (i < 0) errors.push(`Tried to delete resource record set ${label(set)} but it was not found`);
      else if (!equalSets(records[i], set))
        errors.push(
          `Tried to delete resource record set ${label(set)} but the values provided do not match the current values`,
        );
      else if (set.Name === zone.name && (set.Type === "SOA" || set.Type === "NS"))
        errors.push(
          `A HostedZone must contain exactly one SOA record and at least one NS record at its apex.`,
        );
      else records.splice(i, 1);
      continue;
    }
    if (Action === "CREATE" && i >= 0) {
      errors.push(`Tried to create resource record set ${label(set)} but it already exists`);
      continue;
    }
    const others = records.filter((r, k) => k !== i && r.Name === set.Name);
    if (
      set.Type === "CNAME" ? others.some((r) => r.Type !== "CNAME") : others.some((r) => r.Type === "CNAME")
    ) {
      errors.push(
        `RRSet of type ${set.Type} with DNS name ${set.Name} is not permitted because a conflicting RRSet of type ${set.Type === "CNAME" ? others.find((r) => r.Type !== "CNAME")?.Type : "CNAME"} with the same DNS name already exists in zone ${zone.name}`,
      );
      continue;
    }
    const sameType = others.filter((r) => r.Type === set.Type);
    if (sameType.some((r) => policyOf(r) !== policyOf(set) || policyOf(set) === "simple")) {
      errors.push(
        `RRSet with DNS name ${set.Name}, type ${set.Type}${set.SetIdentifier ? ` and SetIdentifier ${set.SetIdentifier}` : ""} cannot be created as other RRSets exist with the same name and type`,
      );
      continue;
    }
    if (i >= 0) records[i] = set;
    else records.push(set);
  }
  return errors.length ? { errors } : { records: records.sort(compareSets) };
}
