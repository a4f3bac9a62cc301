/**
 * A simulated clock for the AWS fake. Time only moves when someone sleeps or advances it, so no test
 * waits in real time. Concurrent sleepers overlap as they would in real time: `sleep()` registers a
 * wake-up and the clock jumps to the earliest one only once every task has had its turn (after the
 * pending microtasks and a few event-loop turns), so two tasks each sleeping 30 s cost 30 s, not 60 s.
 */
export interface SimClock {
  now(): Date;
  /** Waits `ms` of simulated time; scheduled AWS transitions that fall due meanwhile run at their time. */
  sleep(ms: number): Promise<void>;
  /** Moves time forward by `ms` at once, running due transitions and waking due sleepers. */
  advance(ms: number): void;
}

interface Sleeper {
  due: number;
  seq: number;
  resolve: () => void;
}

interface Timer {
  at: number;
  seq: number;
  run: () => void;
}

/** Quiet event-loop turns to wait before jumping time, so tasks doing short real I/O still get their turn. */
const QUIET_TURNS = 3;
/** A task busy without sleeping must not stop time for ever. */
const MAX_RESTARTS = 50;

export class FakeClock implements SimClock {
  private t: number;
  private seq = 0;
  private sleepers: Sleeper[] = [];
  private timers: Timer[] = [];
  private tickScheduled = false;
  private activity = 0;

  constructor(start: Date) {
    this.t = start.getTime();
  }

  now(): Date {
    return new Date(this.t);
  }

  /** Current time in epoch ms. */
  ms(): number {
    return this.t;
  }

  sleep(ms: number): Promise<void> {
    const due = this.t + Math.max(0, Number.isFinite(ms) ? ms : 0);
    return new Promise<void>((resolve) => {
      this.sleepers.push({ due, seq: this.seq++, resolve });
      this.activity++;
      this.scheduleTick(QUIET_TURNS);
    });
  }

  advance(ms: number): void {
    this.advanceTo(this.t + Math.max(0, ms));
  }

  /** Runs `run` when simulated time reaches `at` (epoch ms); used by the fake's status transitions. */
  schedule(at: number, run: () => void): void {
    this.timers.push({ at: Math.max(at, this.t), seq: this.seq++, run });
  }

  /** Runs every timer due up to `target` in time order (timers may schedule more), then wakes sleepers. */
  advanceTo(target: number): void {
    for (;;) {
      const next = this.nextTimer();
      if (!next || next.at > target) break;
      this.timers.splice(this.timers.indexOf(next), 1);
      this.t = Math.max(this.t, next.at);
      next.run();
    }
    this.t = Math.max(this.t, target);
    const due = this.sleepers.filter((s) => s.due <= this.t).sort((a, b) => a.due - b.due || a.seq - b.seq);
    this.sleepers = this.sleepers.filter((s) => s.due > this.t);
    for (const s of due) s.resolve();
  }

  /** Number of scheduled transitions not yet run (for tests of the fake). */
  pendingTimers(): number {
    return this.timers.length;
  }

  private nextTimer(): Timer | undefined {
    let best: Timer | undefined;
    for (const tm of this.timers) {
      if (!best || tm.at < best.at || (tm.at === best.at && tm.seq < best.seq)) best = tm;
    }
    return best;
  }

  /** Marks activity (a call to the fake): the clock waits for quiet before jumping. */
  touch(): void {
    this.activity++;
  }

  private scheduleTick(turns: number): void {
    if (this.tickScheduled) return;
    this.tickScheduled = true;
    let seen = this.activity;
    let restarts = 0;
    const step = (left: number) => {
      setImmediate(() => {
        if (this.activity !== seen && restarts < MAX_RESTARTS) {
          seen = this.activity;
          restarts++;
          return step(turns);
        }
        if (left > 1) return step(left - 1);
        this.tickScheduled = false;
        this.tick();
      });
    };
    step(turns);
  }

  private tick(): void {
    if (this.sleepers.length === 0) return;
    const earliest = Math.min(...this.sleepers.map((s) => s.due));
    this.advanceTo(earliest);
    if (this.sleepers.length > 0) this.scheduleTick(QUIET_TURNS);
  }
}
