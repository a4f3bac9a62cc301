import type { Change } from "../../model/change.js";
import type { AwsCtx } from "./context.js";

/**
 * Reports the plan's changes as the steps that make them run: `change-start` when a step begins work
 * on a change, `change-done` (with its simulated or real duration) when the step has finished.
 */
export class Tracker {
  private readonly done = new Set<Change>();
  private readonly started = new Map<Change, number>();

  constructor(
    private readonly ctx: AwsCtx,
    readonly changes: Change[],
  ) {}

  matching(pred: (c: Change) => boolean): Change[] {
    return this.changes.filter((c) => pred(c) && !this.done.has(c));
  }

  /** Runs `work` as the step making the matching changes. */
  async run<T>(pred: (c: Change) => boolean, work: () => Promise<T>): Promise<T> {
    const mine = this.matching(pred);
    const now = this.ctx.clock.now().getTime();
    for (const c of mine) {
      if (this.started.has(c)) continue;
      this.started.set(c, now);
      this.ctx.io.event({ type: "change-start", change: c });
    }
    const result = await work();
    this.finish(mine);
    return result;
  }

  finish(changes: Change[]): void {
    const now = this.ctx.clock.now().getTime();
    for (const c of changes) {
      if (this.done.has(c)) continue;
      this.done.add(c);
      this.ctx.io.event({ type: "change-done", change: c, ms: now - (this.started.get(c) ?? now) });
    }
  }

  /** Changes no step claimed. */
  rest(): Change[] {
    return this.changes.filter((c) => !this.done.has(c));
  }
}
