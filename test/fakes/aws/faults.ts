import { awsError, SimulatedCrash, type ServiceName, THROTTLE_ERROR } from "./errors.js";
import type { ResourceKind, World } from "./world.js";

interface Rule {
  service: ServiceName | undefined;
  command: string | undefined;
  left: number;
  make(service: ServiceName, command: string): Error;
  throttle: boolean;
}

const bare = (c: string | undefined) => c?.replace(/Command$/, "");

/**
 * Injected failures. Each rule applies to the next N matching calls (by command and/or service) and
 * is used up by them; `crashAfter(n)` kills the "process" after the n-th mutating call that succeeds.
 */
export class Faults {
  private rules: Rule[] = [];
  private crashAt: number | undefined;
  private mutatingSeen = 0;
  private crashedAfter: string | undefined;

  constructor(private readonly world: World) {}

  /**
   * The next `times` calls (default 1) of `command` (or of every command of `service`, or of all)
   * fail with the service's throttling error (Throttling, ThrottlingException, RequestLimitExceeded).
   * The SDK's retry is emulated, so a client with maxAttempts > times still succeeds.
   */
  throttle(opts: { command?: string; service?: ServiceName; times?: number } = {}): void {
    this.rules.push({
      service: opts.service,
      command: bare(opts.command),
      left: opts.times ?? 1,
      throttle: true,
      make: (svc) => {
        const t = THROTTLE_ERROR[svc];
        return awsError(svc, t.name, t.message, t.status);
      },
    });
  }

  /** The next `times` calls of `command` fail with the AWS error `error` (its SDK name, e.g. DBInstanceNotFoundFault). */
  fail(opts: {
    command: string;
    error: string;
    message?: string;
    status?: number;
    service?: ServiceName;
    times?: number;
  }): void {
    this.rules.push({
      service: opts.service,
      command: bare(opts.command),
      left: opts.times ?? 1,
      throttle: false,
      make: (svc) => awsError(svc, opts.error, opts.message ?? `Injected ${opts.error}`, opts.status ?? 400),
    });
  }

  /** The next ModifyDBInstance (or `command`) fails with InvalidDBInstanceState, as when RDS is busy. */
  invalidDBInstanceState(opts: { command?: string; times?: number } = {}): void {
    this.fail({
      service: "rds",
      command: opts.command ?? "ModifyDBInstance",
      error: "InvalidDBInstanceStateFault",
      message: "Database instance is not in available state.",
      times: opts.times,
    });
  }

  /**
   * Eventual consistency: resources created from now on stay invisible to Describe/Get/List for
   * `calls` looks and/or `ms` of simulated time (both must pass when both are given).
   */
  hideAfterCreate(opts: { calls?: number; ms?: number; kinds?: ResourceKind[] }): void {
    this.world.hideRule = { calls: opts.calls, ms: opts.ms, kinds: opts.kinds };
  }

  /** After the n-th mutating call from now has taken effect, throw SimulatedCrash, and on every call after. */
  crashAfter(n: number): void {
    this.crashAt = n;
    this.mutatingSeen = 0;
    this.crashedAfter = undefined;
  }

  /** Whether a crash was triggered (and not yet cleared by reset()). */
  get crashed(): boolean {
    return this.crashedAfter !== undefined;
  }

  /** Clears every fault (and a triggered crash): a new process may start. */
  reset(): void {
    this.rules = [];
    this.crashAt = undefined;
    this.mutatingSeen = 0;
    this.crashedAfter = undefined;
    this.world.hideRule = undefined;
    this.world.clearHidden();
  }

  /** @internal Throws if the process has crashed. */
  checkCrashed(): void {
    if (this.crashedAfter) throw new SimulatedCrash(this.crashedAfter);
  }

  /** @internal The injected error for this call, if any (uses up one). */
  take(service: ServiceName, command: string): { error: Error; throttle: boolean } | undefined {
    const rule = this.rules.find(
      (r) => r.left > 0 && (!r.service || r.service === service) && (!r.command || r.command === command),
    );
    if (!rule) return undefined;
    rule.left--;
    this.rules = this.rules.filter((r) => r.left > 0);
    return { error: rule.make(service, command), throttle: rule.throttle };
  }

  /** @internal Counts a mutating call that took effect; throws SimulatedCrash on the n-th. */
  afterMutation(label: string): void {
    if (this.crashAt === undefined) return;
    this.mutatingSeen++;
    if (this.mutatingSeen >= this.crashAt) {
      this.crashAt = undefined;
      this.crashedAfter = label;
      throw new SimulatedCrash(label);
    }
  }
}
