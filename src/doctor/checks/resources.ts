import { bytes, pct } from "../format.js";
import type { HealthObservation } from "../observation.js";
import { LIMITS } from "../thresholds.js";
import { type Check, graded, green, red, skipped, type Verdict, yellow } from "./common.js";

function storage(o: HealthObservation): Verdict {
  const s = o.storage;
  if (!s || s.freeBytes === null) return skipped("free space could not be read");
  const capacity =
    s.allocatedBytes ?? s.fileSystemBytes ?? (s.usedBytes !== null ? s.usedBytes + s.freeBytes : null);
  const share = capacity ? s.freeBytes / capacity : null;
  const headroom =
    s.maxAllocatedBytes !== null && s.allocatedBytes !== null
      ? Math.max(0, s.maxAllocatedBytes - s.allocatedBytes)
      : 0;
  const days =
    s.growthBytesPerDay && s.growthBytesPerDay > 0 ? (s.freeBytes + headroom) / s.growthBytesPerDay : null;
  const observed = {
    ...s,
    freeShare: share,
    daysUntilFull: days === null ? null : Math.round(days * 10) / 10,
  };
  const where = o.target === "local" ? ` on the file system holding ${s.path ?? "the data"}` : "";
  const grow =
    o.target === "local"
      ? "Free space on that disk, or move the project to a larger one; on AWS the same database grows its storage by itself up to DB_MAX_ALLOCATED_STORAGE."
      : `Grow it now: \`ebdb scale --storage <GiB> --apply-immediately\`; ${
          s.maxAllocatedBytes === null
            ? "set DB_MAX_ALLOCATED_STORAGE so RDS grows it by itself"
            : headroom === 0
              ? `raise DB_MAX_ALLOCATED_STORAGE (now ${bytes(s.maxAllocatedBytes)}, reached) so RDS grows it by itself`
              : `RDS storage autoscaling grows it up to ${bytes(s.maxAllocatedBytes)} once free space stays under 10% for 5 minutes, at most every 6 hours`
        }.`;
  const rate =
    days === null
      ? s.growthBytesPerDay === null
        ? "no growth rate yet"
        : "not growing"
      : `full in ${days < 1 ? `${Math.round(days * 24)} h` : `${Math.round(days)} days`} at ${bytes(s.growthBytesPerDay)}/day over ${s.growthWindowHours} h`;
  const text = `${bytes(s.freeBytes)} free${capacity ? ` of ${bytes(capacity)} (${pct(share ?? 0)})` : ""}${where}${headroom > 0 ? `, and autoscaling may add ${bytes(headroom)}` : ""}; ${rate}`;
  const low = share !== null && share < LIMITS.storageFreeRed;
  const veryLow = share !== null && share < LIMITS.storageFreeRed / 2;
  if ((low && headroom === 0) || veryLow || (days !== null && days < LIMITS.storageDaysRed))
    return red(text, observed, grow);
  if (low && headroom > 0)
    return yellow(
      text,
      observed,
      "RDS storage autoscaling grows it when free space stays under 10% for 5 minutes (at most every 6 hours); grow it yourself if it cannot wait: `ebdb scale --storage <GiB>`.",
    );
  if (
    (share !== null && share < LIMITS.storageFreeYellow) ||
    (days !== null && days < LIMITS.storageDaysYellow)
  )
    return yellow(text, observed, grow);
  return green(text, observed);
}

function cpu(o: HealthObservation): Verdict {
  const c = o.cpu;
  if (!c || c.utilization === null) return skipped(c ? `no ${c.source} figure` : "CPU could not be measured");
  const u = Math.round(c.utilization * 10) / 10;
  const level = u >= LIMITS.cpuRed ? "red" : u >= LIMITS.cpuYellow ? "yellow" : "green";
  return graded(
    level,
    `${u}% CPU (${c.source})`,
    { utilization: u, source: c.source },
    "Find the statements that use it (top-queries), add the indexes they lack; move reads to replicas; a bigger instance class if the queries are right.",
  );
}

function credits(o: HealthObservation): Verdict {
  const c = o.cpu?.credits;
  const cls = o.instance.instanceClass ?? "";
  if (o.target === "local") return skipped("local: no CPU credits");
  if (!/^db\.t/.test(cls)) return skipped(`${cls || "this class"} is not burstable: no CPU credits`);
  if (!c || c.balance === null) return skipped("no CPUCreditBalance figure yet");
  const observed = { balance: c.balance, hourAgo: c.hourAgo, instanceClass: cls };
  const fix = `A burstable class runs at its baseline once its credits are spent: move to a fixed-performance class (e.g. \`ebdb scale --instance-class ${cls.replace(/^db\.t\dg?/, "db.m6g")}\`) if the load is steady.`;
  if (c.balance < 1)
    return red(`CPU credits exhausted (${c.balance.toFixed(1)}): ${cls} runs at its baseline`, observed, fix);
  if (c.hourAgo !== null && c.balance < c.hourAgo - 1)
    return yellow(
      `spending CPU credits: ${c.balance.toFixed(0)} left, ${c.hourAgo.toFixed(0)} an hour ago`,
      observed,
      fix,
    );
  return green(`${c.balance.toFixed(0)} CPU credits`, observed);
}

export const RESOURCE_CHECKS: Check[] = [
  { id: "storage", title: "Storage", run: storage },
  { id: "cpu", title: "CPU", run: cpu },
  { id: "cpu-credits", title: "CPU credits", run: credits },
];
