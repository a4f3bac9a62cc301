import type { FakeClock } from "./clock.js";
import { awsError, type ServiceName } from "./errors.js";
import { emptyRoute53 } from "./route53-model.js";
import { emptyServerless } from "./serverless-model.js";
import { emptyRegion, type IamState, type RegionState, type Tag } from "./state.js";

/** Kinds of resources that eventual-consistency faults can hide right after their creation. */
export type ResourceKind =
  | "DBInstance"
  | "DBSnapshot"
  | "DBParameterGroup"
  | "DBSubnetGroup"
  | "SecurityGroup"
  | "Secret"
  | "SNSTopic"
  | "Alarm"
  | "IAMRole";

export interface HideRule {
  kinds: ResourceKind[] | undefined;
  calls: number | undefined;
  ms: number | undefined;
}

interface Hidden {
  calls: number | undefined;
  until: number | undefined;
}

/** Everything the fake knows: the clock, ids, per-region state and the visibility faults. */
export class World {
  readonly regions = new Map<string, RegionState>();
  readonly iam: IamState = { roles: new Map(), instanceProfiles: new Map() };
  /** Route 53 is global, as IAM. */
  readonly route53 = emptyRoute53();
  /** Lambda functions, Scheduler schedules and log groups of every region. */
  readonly serverless = emptyServerless();
  hideRule: HideRule | undefined;
  private readonly hidden = new Map<string, Hidden>();
  private rngState: number;

  constructor(
    readonly clock: FakeClock,
    readonly accountId: string,
    readonly defaultRegion: string,
    readonly pageSize: number,
    seed: number,
  ) {
    this.rngState = seed >>> 0 || 1;
  }

  /** The state of `name` (created empty on first use). */
  region(name: string = this.defaultRegion): RegionState {
    let r = this.regions.get(name);
    if (!r) {
      r = emptyRegion(name, `c${this.chars(11, "abcdefghijklmnopqrstuvwxyz0123456789")}`);
      this.regions.set(name, r);
    }
    return r;
  }

  now(): number {
    return this.clock.ms();
  }

  /** Deterministic pseudo-random number in [0, 1) (mulberry32). */
  random(): number {
    this.rngState = (this.rngState + 0x6d2b79f5) >>> 0;
    let t = this.rngState;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  chars(n: number, alphabet: string): string {
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.random() * alphabet.length)];
    return s;
  }

  hex(n: number): string {
    return this.chars(n, "0123456789abcdef");
  }

  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  /** Registers a new resource with the active eventual-consistency rule, if any. */
  created(kind: ResourceKind, region: string, id: string): void {
    const rule = this.hideRule;
    if (!rule || (rule.kinds && !rule.kinds.includes(kind))) return;
    this.hidden.set(`${kind}:${region}:${id}`, {
      calls: rule.calls,
      until: rule.ms === undefined ? undefined : this.now() + rule.ms,
    });
  }

  /**
   * Whether a Describe/Get may see the resource yet. Each look while hidden counts as one call of the
   * `calls` budget; the resource shows once the calls are used up or the time has passed.
   */
  visible(kind: ResourceKind, region: string, id: string): boolean {
    const key = `${kind}:${region}:${id}`;
    const h = this.hidden.get(key);
    if (!h) return true;
    const timeOk = h.until === undefined || this.now() >= h.until;
    const callsOk = h.calls === undefined || h.calls <= 0;
    if ((h.until === undefined || timeOk) && (h.calls === undefined || callsOk)) {
      this.hidden.delete(key);
      return true;
    }
    if (h.calls !== undefined) h.calls--;
    return false;
  }

  clearHidden(): void {
    this.hidden.clear();
  }

  /**
   * One page of `items`. The page is the smaller of what the caller asked and the fake's page size, so
   * callers must follow the token. Tokens are opaque strings; a token the fake did not give is refused.
   */
  page<T>(
    service: ServiceName,
    items: T[],
    token: string | undefined,
    max: number | undefined,
    limits: { min: number; max: number; param: string; badToken?: string },
  ): { items: T[]; next: string | undefined } {
    if (max !== undefined && (max < limits.min || max > limits.max)) {
      throw awsError(
        service,
        service === "rds" || service === "elasticbeanstalk" ? "InvalidParameterValue" : "ValidationException",
        `${limits.param} must be between ${limits.min} and ${limits.max}.`,
      );
    }
    let start = 0;
    if (token) {
      const m = /^fake-page-(\d+)$/.exec(Buffer.from(token, "base64").toString("utf8"));
      if (!m)
        throw awsError(service, limits.badToken ?? "InvalidParameterValue", "Invalid pagination token.");
      start = Number(m[1]);
    }
    const size = Math.min(max ?? limits.max, this.pageSize);
    const slice = items.slice(start, start + size);
    const end = start + slice.length;
    const next = end < items.length ? Buffer.from(`fake-page-${end}`).toString("base64") : undefined;
    return { items: slice, next };
  }
}

/** Copies tags, replacing existing keys (the semantics of every AWS tagging API). */
export function mergeTags(
  existing: Tag[],
  added: readonly { Key?: string; Value?: string }[] | undefined,
): Tag[] {
  const out = existing.map((t) => ({ ...t }));
  for (const t of added ?? []) {
    if (!t.Key) continue;
    const i = out.findIndex((o) => o.Key === t.Key);
    const tag = { Key: t.Key, Value: t.Value ?? "" };
    if (i >= 0) out[i] = tag;
    else out.push(tag);
  }
  return out;
}

export function isoDate(ms: number): Date {
  return new Date(ms);
}
