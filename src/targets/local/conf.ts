/** The configuration files ebdb writes into each local data directory (pure text rendering). */

export interface ServerSettings {
  name: string;
  port: number;
  role: "primary" | "replica" | "restored";
  /** WAL archive directory; null turns archiving off (backups disabled, replicas, restored instances). */
  archiveDir: string | null;
  major: number;
  /** Replicas: how to reach the primary. */
  standby?: { primaryPort: number; user: string; passfile: string; slot: string };
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

/** A postgresql.conf string literal. */
export function q(v: string): string {
  return `'${v.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

/** Quotes a path for restore_command, which PostgreSQL runs with sh. */
function sh(v: string): string {
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
      "sslmode=require",
    ].join(" ");
    lines.push(["primary_conninfo", q(conninfo)], ["primary_slot_name", q(s.standby.slot)]);
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
