/** The configuration files ebdb writes into each local data directory (pure text rendering). */

export interface ServerSettings {
  name: string;
  port: number;
  role: "primary" | "replica" | "restored";
  /** WAL archive directory; null turns archiving off (backups disabled, replicas, restored instances). */
  archiveDir: string | null;
  major: number;
  /** max_slot_wal_keep_size in MB (PostgreSQL 13+): the most WAL a replication slot may hold. */
  maxSlotWalKeepMB?: number;
  /**
   * Replicas: how to reach the primary; with `archiveDir`, the WAL archive to catch up from when the
   * primary no longer has the WAL (a slot lost past max_slot_wal_keep_size).
   */
  standby?: {
    primaryPort: number;
    user: string;
    passfile: string;
    slot: string;
    /** The project's CA certificate, as the replica's server user reads it. */
    rootcert: string;
    archiveDir?: string;
  };
  /** Restored instances: where recovery reads WAL from, and where it stops. */
  recovery?: { archiveDir: string; target: RecoveryTarget };
}

export type RecoveryTarget =
  | { kind: "time"; time: string }
  | { kind: "lsn"; lsn: string; inclusive: boolean }
  | { kind: "immediate" }
  | { kind: "latest" };

/** An ISO-8601 time as PostgreSQL's recovery_target_time reads it (UTC, microseconds kept when given). */
export function pgTimestamp(iso: string): string {
  const d = new Date(iso);
  return `${d.toISOString().replace("T", " ").replace("Z", "")}+00`;
}

/**
 * The share of the allocated storage (DB_ALLOCATED_STORAGE) that one replication slot may hold as
 * WAL. A tenth: a replica stopped for a while (at ordinary write rates, hours of WAL on the 20 GiB
 * minimum) resumes streaming from the primary's pg_wal, yet a replica stopped for good can never
 * take more than a tenth of the volume, the free margin under which the low-storage alarm fires (so
 * it cannot fill the disk of a primary that is not nearly full already). Past that the slot is lost:
 * the replica catches up from the WAL archive (backups on), or `up` rebuilds it.
 */
export const SLOT_WAL_SHARE = 0.1;

/** max_slot_wal_keep_size in MB for `allocatedGiB` of storage (see SLOT_WAL_SHARE); at least 64 MB. */
export function slotWalKeepMB(allocatedGiB: number): number {
  return Math.max(64, Math.floor(allocatedGiB * 1024 * SLOT_WAL_SHARE));
}

/** A postgresql.conf string literal. */
export function q(v: string): string {
  return `'${v.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

/** Quotes a path for restore_command, which PostgreSQL runs with sh. */
export function sh(v: string): string {
  return `'${v.replace(/'/g, "'\\''")}'`;
}

/** postgresql.conf: everything ebdb manages, except the slow-query threshold (postgresql.auto.conf, ALTER SYSTEM). */
export function postgresqlConf(s: ServerSettings): string {
  const lines: [string, string | number][] = [
    ["cluster_name", q(s.name)],
    ["listen_addresses", q("127.0.0.1")],
    ["port", s.port],
    // No Unix socket: nothing to collide with a system PostgreSQL's /var/run/postgresql, no path-length limit.
    ["unix_socket_directories", q("")],
    ["max_connections", 100],
    // As on RDS: the application (not a superuser) cannot take the last slots, so ebdb's own
    // superuser can always connect, e.g. for `status` while the application uses every other slot.
    ["superuser_reserved_connections", 3],
    ["password_encryption", q("scram-sha-256")],
    ["ssl", "on"],
    ["ssl_cert_file", q("server.crt")],
    ["ssl_key_file", q("server.key")],
    ["shared_preload_libraries", q("pg_stat_statements")],
    ["pg_stat_statements.track", q("all")],
    ["wal_level", "replica"],
    ["max_wal_senders", 10],
    ["max_replication_slots", 10],
    // The first replica may start from a copy older than its slot; keep a little WAL for it.
    ["wal_keep_size", q("64MB")],
    // A slot of a stopped replica must not fill the disk (PostgreSQL 13+; see SLOT_WAL_SHARE).
    ...(s.maxSlotWalKeepMB !== undefined && s.major >= 13
      ? [["max_slot_wal_keep_size", q(`${s.maxSlotWalKeepMB}MB`)] as [string, string]]
      : []),
    ["hot_standby", "on"],
    ["hot_standby_feedback", "on"],
    ["wal_retrieve_retry_interval", q("500ms")],
    ["timezone", q("UTC")],
    ["log_timezone", q("UTC")],
    ["datestyle", q("iso, mdy")],
    ["lc_messages", q("C")],
    ["default_text_search_config", q("pg_catalog.english")],
    ["log_line_prefix", q("%m [%p] %q%u@%d ")],
    ["log_checkpoints", "off"],
  ];
  if (s.archiveDir) {
    lines.push(
      ["archive_mode", "on"],
      ["archive_library", q("basic_archive")],
      ["basic_archive.archive_directory", q(s.archiveDir)],
      // WAL reaches the archive at least once a minute, so the restorable window trails by at most that.
      ["archive_timeout", 60],
    );
  } else {
    lines.push(["archive_mode", "off"]);
  }
  if (s.standby) {
    const conninfo = [
      "host=127.0.0.1",
      `port=${s.standby.primaryPort}`,
      `user=${s.standby.user}`,
      `passfile=${s.standby.passfile}`,
      `application_name=${s.standby.slot}`,
      // Verified against the project's CA, and SCRAM bound to the TLS channel: a program that took a
      // stopped primary's port gets neither a connection nor the password (it would ask for it in clear).
      "sslmode=verify-full",
      `sslrootcert=${s.standby.rootcert}`,
      "channel_binding=require",
    ].join(" ");
    lines.push(["primary_conninfo", q(conninfo)], ["primary_slot_name", q(s.standby.slot)]);
    // A standby tries the archive, then pg_wal, then streaming, in turn (PostgreSQL docs, "Standby
    // Server Operation"): with this it catches up from the archive when the primary removed WAL it
    // still needed. A segment not (yet) archived fails quietly, without a line in the log.
    if (s.standby.archiveDir) {
      const f = `${sh(s.standby.archiveDir)}/%f`;
      lines.push(["restore_command", q(`[ -f ${f} ] && cp ${f} "%p"`)]);
    }
  }
  if (s.recovery) {
    lines.push(
      ["restore_command", q(`cp ${sh(s.recovery.archiveDir)}/%f "%p"`)],
      ["recovery_target_timeline", q("current")],
    );
    const t = s.recovery.target;
    // PostgreSQL reads "YYYY-MM-DD HH:MM:SS.fff+00" here, not ISO-8601 with T and Z.
    if (t.kind === "time") lines.push(["recovery_target_time", q(pgTimestamp(t.time))]);
    if (t.kind === "lsn")
      lines.push(
        ["recovery_target_lsn", q(t.lsn)],
        ["recovery_target_inclusive", t.inclusive ? "on" : "off"],
      );
    if (t.kind === "immediate") lines.push(["recovery_target", q("immediate")]);
    if (t.kind !== "latest") lines.push(["recovery_target_action", q("promote")]);
  }
  return `# Written by ebdb for ${s.name} (${s.role}); ebdb rewrites it. Use ALTER SYSTEM for your own settings.\n${lines
    .map(([k, v]) => `${k} = ${v}`)
    .join("\n")}\n`;
}

/** Only TLS connections from this machine, with SCRAM passwords: as RDS with rds.force_ssl. */
export function pgHbaConf(): string {
  return [
    "# Written by ebdb. TYPE DATABASE USER ADDRESS METHOD",
    "hostssl all         all 127.0.0.1/32 scram-sha-256",
    "hostssl replication all 127.0.0.1/32 scram-sha-256",
    "",
  ].join("\n");
}

/** postgresql.auto.conf as ALTER SYSTEM writes it. */
export function autoConf(settings: Record<string, string>): string {
  const body = Object.entries(settings)
    .map(([k, v]) => `${k} = ${q(v)}`)
    .join("\n");
  return `# Do not edit this file manually!\n# It will be overwritten by the ALTER SYSTEM command.\n${body}\n`;
}

/**
 * The settings a postgresql.conf (or postgresql.auto.conf) assigns, the last assignment of each
 * winning, as PostgreSQL reads them: `name = value` or `name value`, `#` comments, quoted values with
 * '' and \\ escapes. Names are lower-cased. Good for the files ebdb and ALTER SYSTEM write.
 */
export function parseConf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const m = /^\s*([A-Za-z_][\w.]*)\s*=?\s*(.*)$/.exec(raw);
    if (!m) continue;
    let rest = m[2];
    let value: string;
    if (rest.startsWith("'")) {
      let v = "";
      let i = 1;
      for (; i < rest.length; i++) {
        const c = rest[i];
        if (c === "\\" && i + 1 < rest.length) v += rest[++i];
        else if (c === "'" && rest[i + 1] === "'") {
          v += "'";
          i++;
        } else if (c === "'") break;
        else v += c;
      }
      value = v;
    } else {
      rest = rest.replace(/#.*$/, "");
      value = rest.trim();
    }
    out.set(m[1].toLowerCase(), value);
  }
  return out;
}
