import type { IoHost } from "../../io.js";
import type { Desired } from "../../model/desired-types.js";
import type { AwsClients, Clock } from "./clients.js";

/** What every step of the AWS target works with. */
export interface AwsCtx {
  aws: AwsClients;
  clock: Clock;
  desired: Desired;
  io: IoHost;
}

export interface Tag {
  Key: string;
  Value: string;
}

/** The ebdb:app, ebdb:env, ebdb:managed tags (plus any extra), as AWS tag lists want them. */
export function tagList(desired: Desired, extra: Record<string, string> = {}): Tag[] {
  return Object.entries({ ...desired.tags, ...extra }).map(([Key, Value]) => ({ Key, Value }));
}

/** Runs the tasks concurrently and waits for all; the first failure is thrown after every task settled. */
export async function all<T>(tasks: (() => Promise<T>)[]): Promise<T[]> {
  const results = await Promise.allSettled(tasks.map((t) => t()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}
