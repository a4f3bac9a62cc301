import type { DecisionRecord, ScalingActivity } from "../../autoscale/runner-types.js";

/**
 * What the AWS runner remembers between its runs, kept in tags on the RDS instances (it has no state
 * of its own): on the primary, the last scaling times, the desired count, how long replicas took to be
 * ready, and two rings of records (recent decisions, scaling activities); on each replica, when the
 * runner first saw it available, why it is in the reader record or not, and whether it is draining.
 * Pure.
 *
 * RDS's tag rules (RDS API Reference, Tag; "Tagging Amazon RDS resources"): at most 50 tags a
 * resource; keys 1-128 and values 0-256 characters of Unicode letters, digits, white space and
 * `_ . : / = + - @`; no `aws:` or `rds:` prefix. So free text is escaped (`=XX` per UTF-8 byte of
 * any other character, `=` and `@` included), a record may take two tags (`<key>` and `<key>:more`,
 * 512 characters; longer text is cut), and the rings shrink when other tags leave less room.
 */

export interface Tag {
  Key: string;
  Value: string;
}

/** RDS's tag limits. */
export const MAX_TAGS = 50;
export const MAX_VALUE = 256;

export const TAG = {
  lastScaleOut: "ebdb:autoscale:last-scale-out",
  lastScaleIn: "ebdb:autoscale:last-scale-in",
  desired: "ebdb:autoscale:desired",
  provisionMinutes: "ebdb:autoscale:provision-minutes",
  lastStep: "ebdb:autoscale:last-step",
  decision: "ebdb:autoscale:decision:",
  activity: "ebdb:autoscale:activity:",
  /** On a replica: when the runner first saw it available and replicating. */
  availableSince: "ebdb:autoscale:available-since",
  /** On a replica: why it is in the reader record or not, at the last run. */
  why: "ebdb:autoscale:why",
  /** On a replica the runner is removing: out of the reader record since then, deleted a minute later. */
  draining: "ebdb:autoscale:draining-since",
  /** On a replica the runner made: when it asked for it. */
  createdAt: "ebdb:autoscale:created-at",
} as const;

/** Ring sizes when there is room (each slot up to two tags). */
export const DECISION_SLOTS = 6;
export const ACTIVITY_SLOTS = 5;
/** The primary's fixed state tags above. */
const STATE_TAGS = 5;

const PLAIN = /[\p{L}\p{N} _.:/+-]/u;

/** Free text as an RDS tag value may hold it: any character but letters, digits, space and `_.:/+-` as `=XX` per byte. */
export function escapeTag(text: string): string {
  let out = "";
  for (const ch of text) {
    if (PLAIN.test(ch)) out += ch;
    else
      for (const b of new TextEncoder().encode(ch))
        out += `=${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** The inverse of escapeTag. */
export function unescapeTag(value: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; ) {
    const m = /^=([0-9A-F]{2})/.exec(value.slice(i, i + 3));
    if (m) {
      bytes.push(Number.parseInt(m[1], 16));
      i += 3;
    } else {
      const cp = value.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      bytes.push(...new TextEncoder().encode(ch));
      i += ch.length;
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** Whether a tag value meets RDS's rules (length and characters). */
export function validTagValue(v: string): boolean {
  return [...v].length <= MAX_VALUE && /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u.test(v);
}

/** Escaped fields joined by `@` (escaped text never holds one), cut to fit two tags. */
function pack(fields: string[]): string {
  let s = fields.map(escapeTag).join("@");
  if (s.length > 2 * MAX_VALUE) {
    s = s.slice(0, 2 * MAX_VALUE - 3).replace(/=[0-9A-F]?$/, "");
    s += "...";
  }
  return s;
}

function unpack(s: string): string[] {
  return s.split("@").map(unescapeTag);
}

function tagValue(tags: readonly Tag[], key: string): string | undefined {
  return tags.find((t) => t.Key === key)?.Value;
}

/** A record stored in slot `key` (and `key:more`), or undefined. */
function slotText(tags: readonly Tag[], key: string): string | undefined {
  const head = tagValue(tags, key);
  return head === undefined ? undefined : head + (tagValue(tags, `${key}:more`) ?? "");
}

function slotTags(key: string, text: string): Tag[] {
  return [
    { Key: key, Value: text.slice(0, MAX_VALUE) },
    { Key: `${key}:more`, Value: text.slice(MAX_VALUE) },
  ];
}

/** A decision as the runner keeps it, with its place in the ring. */
export interface StoredDecision extends DecisionRecord {
  seq: number;
}

/** A scaling activity as the runner keeps it: the replica it is about, to update it later. */
export interface StoredActivity extends ScalingActivity {
  seq: number;
  replica: string;
}

/** Everything the runner remembers, as read from the primary's tags. */
export interface RunnerMemory {
  lastScaleOutAt: string | null;
  lastScaleInAt: string | null;
  desired: number | null;
  /** Minutes the last replica the runner added took from its creation to the reader record. */
  provisionMinutes: number | null;
  lastStepAt: string | null;
  /** Oldest first. */
  decisions: StoredDecision[];
  activities: StoredActivity[];
}

const isoOrNull = (v: string | undefined) => (v && !Number.isNaN(Date.parse(v)) ? v : null);
const numOrNull = (v: string | undefined) =>
  v !== undefined && v !== "" && Number.isFinite(Number(v)) ? Number(v) : null;

function decodeDecision(text: string): StoredDecision | null {
  const f = unpack(text);
  if (f[0] !== "d1" || f.length < 8) return null;
  const [, seq, at, action, what, current, desired, ...reason] = f;
  if (action !== "none" && action !== "add" && action !== "remove") return null;
  return {
    seq: Number(seq),
    at,
    action,
    ...(action === "add" ? { count: Number(what) } : {}),
    ...(action === "remove" ? { replicas: what ? what.split(" ") : [] } : {}),
    current: Number(current),
    desired: Number(desired),
    reason: reason.join("@"),
  };
}

function encodeDecision(d: StoredDecision): string {
  const what =
    d.action === "add" ? String(d.count ?? 0) : d.action === "remove" ? (d.replicas ?? []).join(" ") : "";
  return pack(["d1", String(d.seq), d.at, d.action, what, String(d.current), String(d.desired), d.reason]);
}

function decodeActivity(text: string): StoredActivity | null {
  const f = unpack(text);
  if (f[0] !== "a1" || f.length < 9) return null;
  const [, seq, replica, start, end, status, description, cause, ...message] = f;
  if (status !== "InProgress" && status !== "Successful" && status !== "Failed") return null;
  const msg = message.join("@");
  return {
    seq: Number(seq),
    replica,
    startTime: start,
    endTime: end || null,
    statusCode: status,
    description,
    cause,
    statusMessage: msg || null,
  };
}

function encodeActivity(a: StoredActivity): string {
  return pack([
    "a1",
    String(a.seq),
    a.replica,
    a.startTime,
    a.endTime ?? "",
    a.statusCode,
    a.description,
    a.cause,
    a.statusMessage ?? "",
  ]);
}

function ring<T>(tags: readonly Tag[], prefix: string, decode: (s: string) => T | null): T[] {
  const out: T[] = [];
  for (const t of tags) {
    if (!t.Key.startsWith(prefix) || t.Key.endsWith(":more")) continue;
    const text = slotText(tags, t.Key);
    const r = text === undefined ? null : decode(text);
    if (r) out.push(r);
  }
  return out;
}

/** The runner's memory from the primary's tags (missing or unreadable parts are empty). */
export function readMemory(sdkTags: readonly { Key?: string; Value?: string }[]): RunnerMemory {
  const tags = sdkTags.map((t) => ({ Key: t.Key ?? "", Value: t.Value ?? "" }));
  return {
    lastScaleOutAt: isoOrNull(tagValue(tags, TAG.lastScaleOut)),
    lastScaleInAt: isoOrNull(tagValue(tags, TAG.lastScaleIn)),
    desired: numOrNull(tagValue(tags, TAG.desired)),
    provisionMinutes: numOrNull(tagValue(tags, TAG.provisionMinutes)),
    lastStepAt: isoOrNull(tagValue(tags, TAG.lastStep)),
    decisions: ring(tags, TAG.decision, decodeDecision).sort((a, b) => a.seq - b.seq),
    activities: ring(tags, TAG.activity, decodeActivity).sort((a, b) => a.seq - b.seq),
  };
}

/**
 * A decision added to the memory's ring: a "none" after a "none" takes its place (the ring keeps
 * the actions and the latest no-change step between them, not a minute-by-minute log).
 */
export function withDecision(m: RunnerMemory, d: DecisionRecord): RunnerMemory {
  const last = m.decisions.at(-1);
  const seq = last && last.action === "none" && d.action === "none" ? last.seq : (last?.seq ?? 0) + 1;
  return { ...m, decisions: [...m.decisions.filter((x) => x.seq !== seq), { ...d, seq }] };
}

/** A new scaling activity about `replica`. */
export function withActivity(m: RunnerMemory, a: Omit<StoredActivity, "seq">): RunnerMemory {
  const seq = (m.activities.at(-1)?.seq ?? 0) + 1;
  return { ...m, activities: [...m.activities, { ...a, seq }] };
}

/** The tags that store `m` on a primary that has `tags` now: what to put and what to remove. */
export function memoryTags(tags: readonly Tag[], m: RunnerMemory): { put: Tag[]; remove: string[] } {
  const ours = (k: string) => k.startsWith("ebdb:autoscale:");
  const others = tags.filter((t) => !ours(t.Key)).length;
  // Two tags a slot; the rings share what RDS's 50 leave, decisions first.
  const room = Math.max(0, Math.floor((MAX_TAGS - others - STATE_TAGS) / 2));
  const dSlots = Math.min(DECISION_SLOTS, Math.ceil(room / 2));
  const aSlots = Math.min(ACTIVITY_SLOTS, room - dSlots);
  const want: Tag[] = [];
  const state: [string, string | number | null][] = [
    [TAG.lastScaleOut, m.lastScaleOutAt],
    [TAG.lastScaleIn, m.lastScaleInAt],
    [TAG.desired, m.desired],
    [TAG.provisionMinutes, m.provisionMinutes],
    [TAG.lastStep, m.lastStepAt],
  ];
  for (const [k, v] of state) if (v !== null) want.push({ Key: k, Value: String(v) });
  if (dSlots > 0)
    for (const d of m.decisions.slice(-dSlots))
      want.push(...slotTags(`${TAG.decision}${d.seq % dSlots}`, encodeDecision(d)));
  if (aSlots > 0)
    for (const a of m.activities.slice(-aSlots))
      want.push(...slotTags(`${TAG.activity}${a.seq % aSlots}`, encodeActivity(a)));
  const put = want.filter((w) => tagValue(tags, w.Key) !== w.Value);
  const remove = tags.filter((t) => ours(t.Key) && !want.some((w) => w.Key === t.Key)).map((t) => t.Key);
  return { put, remove };
}

/** A tag's value on an instance, or null. */
export function tagOf(
  tags: readonly { Key?: string; Value?: string }[] | undefined,
  key: string,
): string | null {
  return tags?.find((t) => t.Key === key)?.Value ?? null;
}
