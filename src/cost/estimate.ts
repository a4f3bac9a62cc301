import { instanceClassInfo } from "../config/catalog/instance-classes.js";
import type { Config, StorageConfig } from "../model/config.js";
import { desiredAlarms, ebSecretsFor, replicaName } from "../model/desired.js";
import { gp3Baseline } from "../plan/diff-storage.js";
import {
  ALARM_PER_MONTH,
  BACKUP_PER_GIB_MONTH,
  GP3_THROUGHPUT_PER_MIBPS_MONTH,
  HOURS_PER_MONTH,
  hourlyPrice,
  IOPS_PER_MONTH,
  PRICE_REGION,
  PRICE_TABLE_DATE,
  PROXY_MIN_VCPU,
  PROXY_PER_VCPU_HOUR,
  SECRET_PER_MONTH,
  STORAGE_PER_GIB_MONTH,
} from "./prices.js";

/** One line of the estimate, in USD a month. null: not priced (and left out of the total). */
export interface CostLine {
  item: string;
  detail: string;
  monthlyMin: number | null;
  monthlyMax: number | null;
}

export interface CostEstimate {
  currency: "USD";
  /** Where the prices come from (always us-east-1 list prices) and their date. */
  priceRegion: string;
  priceDate: string;
  /** The configuration's region. */
  region: string;
  hoursPerMonth: number;
  lines: CostLine[];
  /** Sum of the priced lines: the least (minimum replicas, allocated storage) and the most (maximum replicas, storage at its autoscaling limit). */
  total: { min: number; max: number };
  /** Items not in the total, and why. */
  unpriced: string[];
  assumptions: string[];
}

const cents = (x: number) => Math.round(x * 100) / 100;
/** A unit price as written in price lists: $0.10, $0.115, $0.034. */
const usd = (x: number) => `$${x.toFixed(Math.max(2, (String(x).split(".")[1] ?? "").length))}`;

/** Provisioned IOPS and throughput beyond what the storage type includes, per volume-month. */
function performanceMonthly(s: StorageConfig): { iops: number; throughput: number; detail: string[] } {
  const detail: string[] = [];
  let iops = 0;
  let throughput = 0;
  if ((s.type === "io1" || s.type === "io2") && s.iops) {
    iops = s.iops * IOPS_PER_MONTH[s.type];
    detail.push(`${s.iops} IOPS × ${usd(IOPS_PER_MONTH[s.type])}`);
  }
  if (s.type === "gp3") {
    const base = gp3Baseline(s.allocatedGiB);
    const extraIops = Math.max(0, (s.iops ?? base.iops) - base.iops);
    const extraTp = Math.max(0, (s.throughputMiBps ?? base.throughputMiBps) - base.throughputMiBps);
    if (extraIops > 0) {
      iops = extraIops * IOPS_PER_MONTH.gp3;
      detail.push(`${extraIops} IOPS over the ${base.iops} included × ${usd(IOPS_PER_MONTH.gp3)}`);
    }
    if (extraTp > 0) {
      throughput = extraTp * GP3_THROUGHPUT_PER_MIBPS_MONTH;
      detail.push(
        `${extraTp} MiB/s over the ${base.throughputMiBps} included × ${usd(GP3_THROUGHPUT_PER_MIBPS_MONTH)}`,
      );
    }
  }
  return { iops, throughput, detail };
}

/**
 * The monthly cost of a configuration on RDS, from the built-in us-east-1 list prices: the primary
 * (twice when Multi-AZ), read replicas at their minimum and maximum count, storage (each replica has
 * its own volume; Multi-AZ stores twice) from the allocated size up to the autoscaling limit,
 * provisioned IOPS and throughput, backup storage, Performance Insights, alarms, the secret, and RDS
 * Proxy. Pure.
 */
export function estimateCost(config: Config): CostEstimate {
  const lines: CostLine[] = [];
  const unpriced: string[] = [];
  const assumptions: string[] = [
    `${HOURS_PER_MONTH} hours a month; on-demand list prices of ${PRICE_TABLE_DATE} (no Reserved Instances, Savings Plans or free tier; no tax, data transfer or Extended Support).`,
  ];
  if (config.region !== PRICE_REGION) {
    assumptions.push(`Prices are ${PRICE_REGION}'s; ${config.region} may cost more or less.`);
  }
  const az = config.multiAz ? 2 : 1;
  const r = config.replicas;
  const [minReplicas, maxReplicas] = r.enabled ? [r.min, r.max] : [0, 0];
  const line = (item: string, detail: string, min: number | null, max: number | null = min) =>
    lines.push({
      item,
      detail,
      monthlyMin: min === null ? null : cents(min),
      monthlyMax: max === null ? null : cents(max),
    });

  const primaryHourly = hourlyPrice(config.instanceClass, config.engine);
  const azText = config.multiAz ? "Multi-AZ: primary + standby" : "Single-AZ";
  if (primaryHourly === null) {
    line("Primary instance", `${config.instanceClass} (${azText}): not in the price table`, null);
    unpriced.push(`${config.instanceClass}: not in the built-in price table`);
  } else {
    line(
      "Primary instance",
      `${config.instanceClass}, ${azText}: ${az > 1 ? "2 × " : ""}${usd(primaryHourly)}/h`,
      primaryHourly * az * HOURS_PER_MONTH,
    );
  }

  if (r.enabled) {
    const hourly = hourlyPrice(r.instanceClass, config.engine);
    const count = minReplicas === maxReplicas ? `${minReplicas}` : `${minReplicas} to ${maxReplicas}`;
    if (hourly === null) {
      line("Read replicas", `${count} × ${r.instanceClass}: not in the price table`, null);
      unpriced.push(`${r.instanceClass} (replicas): not in the built-in price table`);
    } else {
      line(
        "Read replicas",
        `${count} × ${r.instanceClass} at ${usd(hourly)}/h each (Single-AZ)`,
        minReplicas * hourly * HOURS_PER_MONTH,
        maxReplicas * hourly * HOURS_PER_MONTH,
      );
    }
  }

  const s = config.storage;
  const perGiB = STORAGE_PER_GIB_MONTH[s.type];
  const maxGiB = s.autoscaling && s.maxAllocatedGiB ? s.maxAllocatedGiB : s.allocatedGiB;
  const sizeText =
    maxGiB > s.allocatedGiB ? `${s.allocatedGiB} to ${maxGiB} GiB (autoscaling)` : `${s.allocatedGiB} GiB`;
  line(
    "Primary storage",
    `${s.type} ${sizeText} at ${usd(perGiB)}/GiB-month${az > 1 ? ", × 2 for the standby" : ""}`,
    s.allocatedGiB * perGiB * az,
    maxGiB * perGiB * az,
  );
  if (r.enabled && maxReplicas > 0) {
    line(
      "Replica storage",
      `${s.type} ${sizeText} on each replica at ${usd(perGiB)}/GiB-month`,
      minReplicas * s.allocatedGiB * perGiB,
      maxReplicas * maxGiB * perGiB,
    );
  }

  const perf = performanceMonthly(s);
  if (perf.iops > 0 || perf.throughput > 0) {
    const volumes = (n: number) => az + n;
    const each = perf.iops + perf.throughput;
    line(
      "Provisioned IOPS / throughput",
      `${perf.detail.join("; ")} per volume (${az > 1 ? "primary, standby" : "primary"}${r.enabled ? " and each replica" : ""})`,
      each * volumes(minReplicas),
      each * volumes(maxReplicas),
    );
  }

  line(
    "Backup storage",
    config.backup.retentionDays > 0
      ? `beyond the free allowance (100% of provisioned storage) at ${usd(BACKUP_PER_GIB_MONTH)}/GiB-month: assumed none`
      : "backups off",
    0,
  );
  if (config.backup.retentionDays > 0) {
    assumptions.push(
      `Automated backups are incremental; with ${config.backup.retentionDays} days of retention and moderate change they usually fit in the free allowance (as much backup storage as provisioned storage). Heavy daily churn or manual snapshots cost ${usd(BACKUP_PER_GIB_MONTH)}/GiB-month beyond it.`,
    );
  }

  const pi = config.performanceInsights;
  if (pi.enabled) {
    if (pi.retentionDays <= 7) line("Performance Insights", "7 days of history: free", 0);
    else {
      line(
        "Performance Insights",
        `${pi.retentionDays} days of history: billed per vCPU-month, not priced here`,
        null,
      );
      unpriced.push(`Performance Insights beyond 7 days (${pi.retentionDays} days): billed per vCPU-month`);
    }
  }

  const alarmCount = (n: number) =>
    desiredAlarms(
      config,
      Array.from({ length: n }, (_, i) => replicaName(config.identifier, i + 1)),
    ).length;
  const [alarmsMin, alarmsMax] = [alarmCount(minReplicas), alarmCount(maxReplicas)];
  // DB_ALARMS_ENABLED=false: no alarms, no topic.
  if (config.alarms)
    line(
      "CloudWatch alarms",
      `${alarmsMin === alarmsMax ? alarmsMin : `${alarmsMin} to ${alarmsMax}`} alarms at ${usd(ALARM_PER_MONTH)} each (one lag alarm per replica); SNS e-mail free`,
      alarmsMin * ALARM_PER_MONTH,
      alarmsMax * ALARM_PER_MONTH,
    );
  // RDS's JSON secret, and one per value the EB variables take (EB puts a secret's whole value in one).
  const secrets = 1 + new Set(Object.values(ebSecretsFor(config))).size;
  line(
    "Secrets Manager",
    `${secrets} secrets (the master password in RDS's JSON layout, and the values of EB's ${Object.keys(ebSecretsFor(config)).join(", ")}) at ${usd(SECRET_PER_MONTH)}/month each`,
    secrets * SECRET_PER_MONTH,
  );

  if (config.rdsProxy) {
    const vcpu = instanceClassInfo(config.instanceClass)?.vcpu;
    if (vcpu === undefined) {
      line("RDS Proxy", `${config.instanceClass}: vCPUs unknown`, null);
      unpriced.push("RDS Proxy: the instance class's vCPU count is unknown");
    } else {
      const billed = Math.max(vcpu, PROXY_MIN_VCPU);
      line(
        "RDS Proxy",
        `${billed} vCPU × ${usd(PROXY_PER_VCPU_HOUR)}/vCPU-h (the primary's vCPUs, at least ${PROXY_MIN_VCPU})`,
        billed * PROXY_PER_VCPU_HOUR * HOURS_PER_MONTH,
      );
    }
  }

  const sum = (k: "monthlyMin" | "monthlyMax") => cents(lines.reduce((t, l) => t + (l[k] ?? 0), 0));
  return {
    currency: "USD",
    priceRegion: PRICE_REGION,
    priceDate: PRICE_TABLE_DATE,
    region: config.region,
    hoursPerMonth: HOURS_PER_MONTH,
    lines,
    total: { min: sum("monthlyMin"), max: sum("monthlyMax") },
    unpriced,
    assumptions,
  };
}
