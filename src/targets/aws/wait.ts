import { systemError } from "../../errors.js";
import type { IoHost } from "../../io.js";
import type { Clock } from "./clients.js";

export interface PollResult<T> {
  done: boolean;
  /** What the resource says now (e.g. `creating`, `backing-up`), shown in progress events. */
  status: string;
  value?: T;
}

export interface WaitOptions<T> {
  clock: Clock;
  io: IoHost;
  /** What is waited for, e.g. "my-app-prod-db to be available". */
  what: string;
  resource?: string;
  poll: () => Promise<PollResult<T>>;
  intervalMs?: number;
  timeoutMs?: number;
}

/** How often to look: RDS and EB state changes take minutes, and each look is one API call. */
export const POLL_MS = 10_000;
const TIMEOUT_MS = 3 * 60 * 60 * 1000;
/** A progress line at least this often while the status stays the same. */
const HEARTBEAT_MS = 60_000;

/**
 * Polls until `poll` says done, on the injectable clock, telling the IoHost what it waits for, the
 * current status and the elapsed time whenever the status changes (and every minute meanwhile).
 */
export async function waitFor<T>(opts: WaitOptions<T>): Promise<T> {
  const start = opts.clock.now().getTime();
  const interval = opts.intervalMs ?? POLL_MS;
  const timeout = opts.timeoutMs ?? TIMEOUT_MS;
  let lastStatus: string | null = null;
  let lastReport = start;
  for (;;) {
    const r = await opts.poll();
    const now = opts.clock.now().getTime();
    if (r.done) {
      if (lastStatus !== null) {
        opts.io.event({
          type: "progress",
          message: `${opts.what}: ${r.status}`,
          resource: opts.resource,
          elapsedMs: now - start,
        });
      }
      return r.value as T;
    }
    if (r.status !== lastStatus || now - lastReport >= HEARTBEAT_MS) {
      opts.io.event({
        type: "progress",
        message: `waiting for ${opts.what}: ${r.status}`,
        resource: opts.resource,
        elapsedMs: now - start,
      });
      lastStatus = r.status;
      lastReport = now;
    }
    if (now - start >= timeout) {
      throw systemError(
        "AWS_WAIT_TIMEOUT",
        `Gave up waiting for ${opts.what} after ${Math.round((now - start) / 60000)} minutes (status: ${r.status}).`,
        "Check the resource in the AWS console; running the command again resumes where it stopped.",
      );
    }
    await opts.clock.sleep(interval);
  }
}
