import { fmt } from "../../autoscale/common.js";
import { bounded } from "../../autoscale/runner-clock.js";
import type { RunnerEvent, ScalingActivity } from "../../autoscale/runner-types.js";
import { isEbdbError, systemError } from "../../errors.js";
import { checkReplicaCapacity } from "../../model/replica-capacity.js";
import { explained } from "./failures.js";
import { withLock } from "./lock.js";
import { listMetas } from "./meta.js";
import { ACTIVITIES_KEPT, type AutoscaleState } from "./autoscale-state.js";
import { addReplica, nextReplicaName, removeReplica } from "./replicas.js";
import type { Session } from "./session.js";

/**
 * The local autoscaler's two actions: the local target's own replica add and remove, under the
 * project's lock (so they wait for, and never overlap, `up`, `replica add` or another command), with
 * the bounds checked again under it: others may have added or removed replicas since the decision.
 */

async function locked<T>(s: Session, what: string, fn: () => Promise<T>): Promise<T> {
  return withLock(s.layout.lockFile, s.config.identifier, what, () => explained(s, what, fn), {
    io: s.ctx.io,
  });
}

/**
 * Adds one replica marked `createdBy: "autoscaler"` in its node.json; `named` is told its name before
 * the copy starts. Errors: REPLICA_MAX_CAPACITY when the maximum was reached meanwhile; whatever
 * replica add fails with (a full disk, the primary down...); BUSY when another command holds the lock.
 */
export async function autoscalerAdd(s: Session, named: (name: string) => void): Promise<string> {
  return locked(s, "autoscale: replica add", async () => {
    const replicas = (await listMetas(s.layout)).filter((m) => m.role === "replica");
    checkReplicaCapacity(
      s.desired,
      replicas.map((m) => m.name),
    );
    const name = await nextReplicaName(s);
    named(name);
    await addReplica(s, name, { createdBy: "autoscaler" });
    return name;
  });
}

/**
 * Removes a replica the autoscaler made. Refused (NOT_AUTOSCALED, REPLICA_MIN_CAPACITY) when it was
 * not made by the autoscaler or when the minimum would be crossed, as things stand under the lock.
 */
export async function autoscalerRemove(s: Session, name: string): Promise<void> {
  await locked(s, "autoscale: replica remove", async () => {
    const replicas = (await listMetas(s.layout)).filter((m) => m.role === "replica");
    const meta = replicas.find((m) => m.name === name);
    if (!meta) throw systemError("REPLICA_NOT_FOUND", `${name} is gone already.`);
    if (meta.createdBy !== "autoscaler")
      throw systemError("NOT_AUTOSCALED", `${name} was not made by the autoscaler: it stays.`);
    const min = s.config.replicas.min;
    if (replicas.length - 1 < min)
      throw systemError(
        "REPLICA_MIN_CAPACITY",
        `Removing ${name} would leave ${replicas.length - 1} replica(s), below DB_READ_REPLICA_MIN_CAPACITY=${min}.`,
      );
    await removeReplica(s, name);
  });
}

/** What the actions need of the runner that starts them. */
export interface ActionHost {
  s: Session;
  state: AutoscaleState;
  stopped(): boolean;
  emit(kind: RunnerEvent["kind"], message: string, data?: Record<string, unknown>): void;
  save(): void;
  /** The name of the replica being added, once known. */
  adding(name: string): void;
  /** Takes a replica out of the reader endpoint before its removal (until the action ends). */
  drain(name: string): void;
}

/** A scaling activity in the state's log, and how to end it. */
function activity(host: ActionHost, description: string, cause: string) {
  const a: ScalingActivity = {
    description,
    cause,
    startTime: new Date().toISOString(),
    endTime: null,
    statusCode: "InProgress",
    statusMessage: null,
  };
  host.state.activities = bounded(host.state.activities, a, ACTIVITIES_KEPT);
  const end = (ok: boolean, msg: string) => {
    a.endTime = new Date().toISOString();
    a.statusCode = ok ? "Successful" : "Failed";
    a.statusMessage = msg;
  };
  return { a, end };
}

/**
 * Adds `count` replicas one after another, each a scaling activity; stops at the first failure (the
 * next step decides again, after the cooldown: the scale-out's time is when it started).
 */
export async function scaleOut(host: ActionHost, count: number, reason: string): Promise<void> {
  host.state.lastScaleOutAt = Date.now();
  for (let i = 0; i < count && !host.stopped(); i++) {
    const { a, end } = activity(host, "Adding a replica", reason);
    const started = Date.now();
    try {
      const name = await autoscalerAdd(host.s, (n) => {
        a.description = `Adding replica ${n}`;
        host.adding(n);
        host.state.provisioning[n] = started;
        host.save();
      });
      const secs = fmt((Date.now() - started) / 1000);
      end(true, `${name} created in ${secs} s; it joins the reader endpoint once caught up and warmed.`);
      host.emit("scale-out", `Added ${name} (${secs} s): ${reason}.`, { replica: name, reason });
    } catch (e) {
      end(false, message(e));
      host.emit("scaling-failed", `Adding a replica failed: ${message(e)}`, { reason, error: errorCode(e) });
      break;
    }
  }
}

/** Removes the replicas named, each a scaling activity, each out of the reader endpoint first. */
export async function scaleIn(host: ActionHost, names: string[], reason: string): Promise<void> {
  host.state.lastScaleInAt = Date.now();
  for (const name of names) {
    const { end } = activity(host, `Removing replica ${name}`, reason);
    host.drain(name);
    try {
      await autoscalerRemove(host.s, name);
      end(true, `${name} removed.`);
      host.emit("scale-in", `Removed ${name}: ${reason}.`, { replica: name, reason });
    } catch (e) {
      end(false, message(e));
      host.emit("scaling-failed", `Removing ${name} failed: ${message(e)}`, { reason, error: errorCode(e) });
    }
  }
}

export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function errorCode(e: unknown): string | null {
  return isEbdbError(e) ? e.code : null;
}
