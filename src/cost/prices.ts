import type { Engine, StorageType } from "../model/config.js";

/**
 * Amazon RDS on-demand LIST prices in US East (N. Virginia, us-east-1), in USD, as published on
 * aws.amazon.com/rds/{postgresql,mysql,mariadb}/pricing. They leave out discounts (Reserved
 * Instances, Savings Plans, the free tier), taxes, data transfer and RDS Extended Support; other
 * regions cost more or less. Check the pricing pages before relying on a figure.
 */
export const PRICE_TABLE_DATE = "2025-06-01";
export const PRICE_REGION = "us-east-1";
/** AWS's own convention for a month of instance hours. */
export const HOURS_PER_MONTH = 730;

/** Single-AZ hourly price per class: [PostgreSQL, MySQL and MariaDB]. Multi-AZ (one standby) is twice this. */
const HOURLY: Record<string, readonly [number, number]> = {
  "db.t3.micro": [0.018, 0.017],
  "db.t3.small": [0.036, 0.034],
  "db.t3.medium": [0.072, 0.068],
  "db.t3.large": [0.145, 0.136],
  "db.t3.xlarge": [0.29, 0.272],
  "db.t3.2xlarge": [0.579, 0.544],
  "db.t4g.micro": [0.016, 0.016],
  "db.t4g.small": [0.032, 0.032],
  "db.t4g.medium": [0.065, 0.065],
  "db.t4g.large": [0.129, 0.129],
  "db.t4g.xlarge": [0.258, 0.258],
  "db.t4g.2xlarge": [0.517, 0.517],
  "db.m5.large": [0.178, 0.171],
  "db.m5.xlarge": [0.356, 0.342],
  "db.m5.2xlarge": [0.712, 0.684],
  "db.m5.4xlarge": [1.424, 1.368],
  "db.m6i.large": [0.178, 0.171],
  "db.m6i.xlarge": [0.356, 0.342],
  "db.m6i.2xlarge": [0.712, 0.684],
  "db.m6i.4xlarge": [1.424, 1.368],
  "db.m6g.large": [0.159, 0.152],
  "db.m6g.xlarge": [0.318, 0.304],
  "db.m6g.2xlarge": [0.636, 0.608],
  "db.m6g.4xlarge": [1.272, 1.216],
  "db.r5.large": [0.25, 0.24],
  "db.r5.xlarge": [0.5, 0.48],
  "db.r5.2xlarge": [1.0, 0.96],
  "db.r5.4xlarge": [2.0, 1.92],
  "db.r6i.large": [0.25, 0.24],
  "db.r6i.xlarge": [0.5, 0.48],
  "db.r6i.2xlarge": [1.0, 0.96],
  "db.r6i.4xlarge": [2.0, 1.92],
  "db.r6g.large": [0.225, 0.216],
  "db.r6g.xlarge": [0.45, 0.432],
  "db.r6g.2xlarge": [0.899, 0.864],
  "db.r6g.4xlarge": [1.798, 1.728],
};

/** Single-AZ on-demand hourly price of a class, or null when the table does not have it. */
export function hourlyPrice(instanceClass: string, engine: Engine): number | null {
  const p = HOURLY[instanceClass];
  if (!p) return null;
  return engine === "postgres" ? p[0] : p[1];
}

/** Classes in the table, for messages. */
export function pricedClasses(): string[] {
  return Object.keys(HOURLY);
}

/** Storage, per GiB-month and Single-AZ (Multi-AZ storage is billed twice: the standby has its own volume). */
export const STORAGE_PER_GIB_MONTH: Record<StorageType, number> = {
  gp2: 0.115,
  gp3: 0.115,
  io1: 0.125,
  io2: 0.125,
};

/** Provisioned IOPS per IOPS-month: io1 and io2 for every IOPS; gp3 only above its included baseline. */
export const IOPS_PER_MONTH: Record<StorageType, number> = { gp2: 0, gp3: 0.02, io1: 0.1, io2: 0.1 };

/** gp3 throughput above the included baseline, per MiB/s-month. */
export const GP3_THROUGHPUT_PER_MIBPS_MONTH = 0.08;

/** Backup storage beyond the free allowance (100% of the provisioned storage), per GiB-month. */
export const BACKUP_PER_GIB_MONTH = 0.095;

/** A standard-resolution CloudWatch alarm, per month. */
export const ALARM_PER_MONTH = 0.1;

/** A Secrets Manager secret, per month (API calls at $0.05 per 10,000 are left out). */
export const SECRET_PER_MONTH = 0.4;

/** RDS Proxy for a provisioned instance: per vCPU-hour of the instance, at least 2 vCPUs. */
export const PROXY_PER_VCPU_HOUR = 0.015;
export const PROXY_MIN_VCPU = 2;
