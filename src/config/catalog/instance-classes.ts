import type { Engine } from "../../model/config.js";

/** What ebdb knows about an RDS instance class. */
export interface InstanceClassInfo {
  name: string;
  vcpu: number;
  memoryGiB: number;
  architecture: "x86_64" | "arm64";
  /** Burstable (T) classes: CPU credits, fine for development and light production. */
  burstable: boolean;
}

type Arch = InstanceClassInfo["architecture"];

const BURSTABLE_SIZES: ReadonlyArray<[string, number, number]> = [
  ["micro", 2, 1],
  ["small", 2, 2],
  ["medium", 2, 4],
  ["large", 2, 8],
  ["xlarge", 4, 16],
  ["2xlarge", 8, 32],
];

function burstable(family: string, architecture: Arch): InstanceClassInfo[] {
  return BURSTABLE_SIZES.map(([size, vcpu, memoryGiB]) => ({
    name: `db.${family}.${size}`,
    vcpu,
    memoryGiB,
    architecture,
    burstable: true,
  }));
}

/** Fixed-performance families: vCPUs follow the size (large = 2, xlarge = 4, Nxlarge = 4N). */
function fixed(
  family: string,
  architecture: Arch,
  gibPerVcpu: number,
  sizes: readonly string[],
): InstanceClassInfo[] {
  return sizes.map((size) => {
    const vcpu = size === "large" ? 2 : size === "xlarge" ? 4 : 4 * Number.parseInt(size, 10);
    return {
      name: `db.${family}.${size}`,
      vcpu,
      memoryGiB: vcpu * gibPerVcpu,
      architecture,
      burstable: false,
    };
  });
}

const M5_SIZES = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"];
const GRAVITON_SIZES = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"];
const INTEL6_SIZES = [...M5_SIZES, "32xlarge"];

/**
 * The spec's catalog (db.t3.micro ... db.r5.2xlarge) and the current general-purpose and
 * memory-optimized families around it. Any other well-formed class passes with a warning.
 */
export const INSTANCE_CLASSES: ReadonlyMap<string, InstanceClassInfo> = new Map(
  [
    ...burstable("t3", "x86_64"),
    ...burstable("t4g", "arm64"),
    ...fixed("m5", "x86_64", 4, M5_SIZES),
    ...fixed("m6i", "x86_64", 4, INTEL6_SIZES),
    ...fixed("m6g", "arm64", 4, GRAVITON_SIZES),
    ...fixed("m7g", "arm64", 4, GRAVITON_SIZES),
    ...fixed("r5", "x86_64", 8, M5_SIZES),
    ...fixed("r6i", "x86_64", 8, INTEL6_SIZES),
    ...fixed("r6g", "arm64", 8, GRAVITON_SIZES),
    ...fixed("r7g", "arm64", 8, GRAVITON_SIZES),
  ].map((c) => [c.name, c]),
);

/** `db.<family>.<size>`, e.g. db.t3.micro, db.m6gd.4xlarge, db.x2iedn.metal. */
const WELL_FORMED = /^db\.[a-z][a-z0-9]*\.(nano|micro|small|medium|large|xlarge|[1-9][0-9]*xlarge|metal)$/;

export function isWellFormedInstanceClass(name: string): boolean {
  return WELL_FORMED.test(name);
}

export function instanceClassInfo(name: string): InstanceClassInfo | undefined {
  return INSTANCE_CLASSES.get(name);
}

/**
 * RDS's default max_connections for a class, from its parameter-group formula:
 * PostgreSQL LEAST(DBInstanceClassMemory/9531392, 5000), MySQL and MariaDB
 * DBInstanceClassMemory/12582880. DBInstanceClassMemory is the memory less what the OS and RDS
 * processes keep (about 300 MiB), so this is an estimate; null for a class not in the catalog.
 */
export function maxConnectionsEstimate(name: string, engine: Engine): number | null {
  const info = INSTANCE_CLASSES.get(name);
  if (!info) return null;
  const bytes = (info.memoryGiB * 1024 - 300) * 1024 * 1024;
  return engine === "postgres"
    ? Math.min(Math.floor(bytes / 9_531_392), 5000)
    : Math.min(Math.floor(bytes / 12_582_880), 16_000);
}

/** Classes on which RDS for MySQL and MariaDB offers no Performance Insights. */
export function insightsUnsupported(name: string, engine: Engine): boolean {
  return engine !== "postgres" && /^db\.t[234]g?\.(micro|small)$/.test(name);
}
