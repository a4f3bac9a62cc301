import { bytes, clean, duration, listOf } from "../format.js";
import type { HealthObservation } from "../observation.js";
import { LIMITS } from "../thresholds.js";
import { type Check, graded, green, red, skipped, type Verdict, yellow } from "./common.js";

const RUNNING = new Set(["running", "available"]);

function replicas(o: HealthObservation): Verdict {
  if (o.instance.role !== "primary")
    return skipped(`${o.instance.name} is a ${o.instance.role}: replication is read on the primary`);
  if (!o.replication) return skipped("the primary could not be asked about its replicas");
  const list = o.replication.replicas;
  if (list.length === 0) return green("no read replicas", { replicas: [] });
  const observed = { replicas: list };
  const down = list.filter((r) => !RUNNING.has(r.state));
  if (down.length > 0)
    return red(
      `${listOf(down.map((r) => `${r.name} is ${r.state}`))}: it serves no reads${o.target === "local" ? " and its slot keeps WAL on the primary" : ""}`,
      observed,
      o.target === "local"
        ? "Run `ebdb up`: it starts it, and it catches up from its slot (or the WAL archive)."
        : "Wait for it, or see its events: aws rds describe-events --source-type db-instance",
    );
  const notStreaming = list.filter((r) => r.streaming === false);
  if (notStreaming.length > 0)
    return red(
      `${listOf(notStreaming.map((r) => r.name))} runs but does not stream from the primary`,
      observed,
      `See why in its log: \`ebdb logs --node ${notStreaming[0].name}\`; \`ebdb up\` repairs a lost slot.`,
    );
  const lagging = list
    .filter(
      (r) =>
        r.lagSeconds !== null && r.lagSeconds >= LIMITS.replicaLagYellowSeconds && r.primaryIdle !== true,
    )
    .sort((a, b) => (b.lagSeconds ?? 0) - (a.lagSeconds ?? 0));
  const lagText = (r: (typeof list)[number]) =>
    `${r.name} ${r.lagSeconds === null ? "?" : duration(r.lagSeconds)}${r.lagBytes !== null ? ` (${bytes(r.lagBytes)})` : ""}${r.primaryIdle ? ", the primary idle" : ""}`;
  if (lagging.length === 0)
    return green(`${list.length} replica(s) keeping up: ${listOf(list.map(lagText))}`, observed);
  const level = (lagging[0].lagSeconds ?? 0) >= LIMITS.replicaLagRedSeconds ? "red" : "yellow";
  return graded(
    level,
    `replica lag: ${listOf(lagging.map(lagText))}`,
    observed,
    "A replica falls behind when it replays slower than the primary writes (its class is smaller, or long queries on it conflict with replay) or its network is slow: give it the primary's class, and keep heavy reads short.",
  );
}

function slots(o: HealthObservation): Verdict {
  if (o.instance.role !== "primary")
    return skipped(`${o.instance.name} is a ${o.instance.role}: slots are on the primary`);
  const list = o.replication?.slots;
  if (!list)
    return skipped(
      o.target === "aws" ? "RDS manages its replicas' replication slots" : "the primary could not be asked",
    );
  if (list.length === 0) return green("no replication slots", { slots: [] });
  const observed = { slots: list };
  const cap = list.find((s) => s.capBytes !== null)?.capBytes ?? null;
  const heavy = (s: (typeof list)[number]) => cap !== null && (s.heldBytes ?? 0) >= cap * LIMITS.slotHeldRed;
  const lost = list.filter((s) => s.lost || s.walStatus === "unreserved");
  if (lost.length > 0)
    return red(
      `${listOf(lost.map((s) => `slot ${s.name}${s.replica ? ` of ${s.replica}` : ""} is ${s.walStatus ?? "gone"}`))}: its replica cannot stream through it`,
      observed,
      "Run `ebdb up`: it makes a new slot, and the replica catches up from the WAL archive (or is rebuilt when backups are off).",
    );
  const orphans = list.filter((s) => s.replica === null);
  const idle = list.filter((s) => s.replica !== null && !s.active && (s.heldBytes ?? 0) > 0);
  const big = list.filter(heavy);
  const capText = cap === null ? "" : ` (max_slot_wal_keep_size ${bytes(cap)})`;
  if (big.length > 0)
    return red(
      `${listOf(big.map((s) => `slot ${s.name}${s.replica ? ` of ${s.replica}` : ""} holds ${bytes(s.heldBytes)} of WAL`))}${capText}: past the cap the slot is lost`,
      observed,
      big[0].replica
        ? `Start ${big[0].replica} (\`ebdb up\`) so it consumes the WAL.`
        : "Run `ebdb up`: it drops the slot no replica uses.",
    );
  if (orphans.length > 0)
    return yellow(
      `${listOf(orphans.map((s) => `slot ${s.name} serves no replica and holds ${bytes(s.heldBytes)}`))}`,
      observed,
      "Run `ebdb up`: it drops the slots no replica uses (they keep WAL forever).",
    );
  if (idle.length > 0)
    return yellow(
      `${listOf(idle.map((s) => `slot ${s.name} of ${s.replica} is inactive and holds ${bytes(s.heldBytes)} of WAL`))}${capText}`,
      observed,
      `Its replica is not streaming: start it with \`ebdb up\` (see \`ebdb logs --node ${idle[0].replica}\`).`,
    );
  return green(
    `${list.length} slot(s), all streaming: ${listOf(list.map((s) => `${s.name} holds ${bytes(s.heldBytes)}`))}`,
    observed,
  );
}

function archive(o: HealthObservation): Verdict {
  const a = o.archive;
  if (o.instance.role !== "primary")
    return skipped(`${o.instance.name} is a ${o.instance.role}: the primary archives WAL`);
  if (!a) return skipped("the archive's state could not be read");
  const observed = { ...a };
  if (!a.enabled)
    return yellow(
      "backups are off: no WAL archive, no point-in-time restore",
      observed,
      "Set DB_BACKUP_RETENTION_DAYS (7 to 35) in config.env and run `ebdb up`.",
    );
  if (a.state === "failing") {
    const full = /No space left on device/i.test(a.lastError ?? "");
    return red(
      `WAL archiving is failing${a.failingSince ? ` since ${a.failingSince}` : ""} (${a.failedCount} failure(s)${a.lastError ? `; last error: ${clean(a.lastError, 160)}` : ""}): nothing after ${a.lastArchivedAt ?? "the last archived segment"} can be restored`,
      observed,
      full
        ? "Free space on the disk holding the archive; the archiver retries by itself."
        : "See `ebdb logs` for the archiver's errors; once it succeeds it catches up by itself.",
    );
  }
  if (a.state === "stopped")
    return yellow(
      "the WAL archiver is not running (PostgreSQL restarts it within a minute)",
      observed,
      "Check again in a minute; `ebdb logs` says why it stopped.",
    );
  if (
    a.restorableLagSeconds !== undefined &&
    a.restorableLagSeconds !== null &&
    a.restorableLagSeconds > LIMITS.restorableLagRedSeconds
  )
    return red(
      `the latest restorable time is ${duration(a.restorableLagSeconds)} behind: transaction logs are not being backed up`,
      observed,
      "See the instance's events (aws rds describe-events); an instance that is not available backs up nothing.",
    );
  const last = a.lastArchivedAt ? ` at ${a.lastArchivedAt}` : "";
  return green(
    o.target === "aws"
      ? `continuous backup, latest restorable time ${a.lastArchivedAt ?? "not yet"}`
      : `archiving keeps up${a.lastArchived ? `: last ${a.lastArchived}${last}` : ""}`,
    observed,
  );
}

export const REPLICATION_CHECKS: Check[] = [
  { id: "replicas", title: "Read replicas", run: replicas },
  { id: "replication-slots", title: "Replication slots", run: slots },
  { id: "wal-archive", title: "WAL archive", run: archive },
];
