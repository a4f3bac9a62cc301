/** The configuration files ebdb writes into each local data directory (pure text rendering). */

export interface ServerSettings {
  name: string;
  port: number;
  role: "primary" | "replica" | "restored";
  /** WAL archive directory; null turns archiving off (backups disabled, replicas, restored instances). */
  archiveDir: string | null;
  /**
   * The tool that compresses archived segments (and so reads them back); absent or null: segments
   * are archived as they are, with basic_archive. Reading back handles every form, whichever wrote.
   */
  compressor?: Compressor | null;
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

/** A compression tool by absolute path: zstd (fast, about 4× on WAL) or gzip (everywhere). */
export interface Compressor {
  kind: "zstd" | "gzip";
  path: string;
}

/** The suffix an archived segment compressed by `kind` has in the archive. */
export const ARCHIVE_SUFFIX = { zstd: ".zst", gzip: ".gz" } as const;

/** An archived WAL file's name as it appears in the archive: the segment (or .history/.backup) name, then how it is compressed. */
export const ARCHIVED_RE =
  /^([0-9A-F]{24}|[0-9A-F]{8}\.history|[0-9A-F]{24}\.[0-9A-F]{8}\.backup)(\.zst|\.gz)?$/;

/** The segment name of an archived file of a WAL segment (not a .history or .backup file); null otherwise. */
export function archivedSegment(file: string): string | null {
  const m = /^([0-9A-F]{24})(\.zst|\.gz)?$/.exec(file);
  return m ? m[1] : null;
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

/**
 * max_connections of every local server. Fixed rather than RDS's memory formula for the class: a
 * change needs a restart of every node (replicas no lower than their primary), and the pool sizing
 * reads this figure on the local target, so its arithmetic is true of the servers that run here.
 */
export const MAX_CONNECTIONS = 100;

/**
 * archive_command compressing each segment into `dir` (run by sh as the server's user, from its data
 * directory): to a temporary file, fsynced (`sync FILE`, coreutils 8.24+), then renamed, as
 * basic_archive does. An archived file that exists already is success only when it holds the same
 * WAL (the archiver may retry a segment it archived just before a crash), as the PostgreSQL
 * documentation asks of an archive command ("Setting Up WAL Archiving"). A failure says why in one
 * line of the server log, `could not archive <file> to <dir>: <the tool's error>`.
 */
export function archiveCommand(dir: string, c: Compressor): string {
  const d = sh(dir);
  const tool = sh(c.path);
  const f = `${d}/%f${ARCHIVE_SUFFIX[c.kind]}`;
  const compress = c.kind === "zstd" ? `${tool} -q -1 -f -o "$t" -- "%p"` : `${tool} -1 -c -- "%p" > "$t"`;
  return [
    `f=${f}; t="$f.tmp"`,
    `if [ -e "$f" ]; then ${tool} -dc -- "$f" | cmp -s - "%p"; exit $?; fi`,
    `e=$( { ${compress} && sync "$t" && mv -f "$t" "$f" && sync ${d}; } 2>&1 ) || { echo "could not archive %f to ${dir.replace(/["$`\\]/g, "")}: $e" >&2; rm -f "$t"; exit 1; }`,
  ].join("; ");
}

/** Where a restore's WAL segments are unpacked ahead of replay, relative to the data directory. */
export const PREFETCH_DIR = "pg_wal/ebdb-prefetch";

/**
 * restore_command reading a file back from the archive `dir`, whichever form it was archived in
 * (zstd, gzip or as it is, by the tools' paths or names). A file not in the archive fails quietly
 * (exit 1, nothing on stderr): a standby then goes on to streaming, a recovery ends.
 */
export function restoreCommand(
  dir: string,
  tools: { zstd?: string; gzip?: string } = {},
  opts: { prefetched?: boolean } = {},
): string {
  const f = `${sh(dir)}/%f`;
  const zstd = sh(tools.zstd ?? "zstd");
  const gzip = sh(tools.gzip ?? "gzip");
  return [
    // A restore's segments that ebdb already unpacked (restore-prefetch.ts, PREFETCH_DIR): a rename.
    ...(opts.prefetched
      ? [`if [ -f "${PREFETCH_DIR}/%f" ]; then mv -f -- "${PREFETCH_DIR}/%f" "%p"; exit $?; fi`]
      : []),
    `f=${f}`,
    `if [ -f "$f.zst" ]; then ${zstd} -q -d -f -o "%p" -- "$f.zst"`,
    `elif [ -f "$f.gz" ]; then ${gzip} -dc -- "$f.gz" > "%p"`,
    `elif [ -f "$f" ]; then cp -- "$f" "%p"`,
    "else exit 1; fi",
  ].join("; ");
}

/** postgresql.conf: everything ebdb manages, except the slow-query threshold (postgresql.auto.conf, ALTER SYSTEM). */
export function postgresqlConf(s: ServerSettings): string {
  const lines: [string, string | number][] = [
    ["cluster_name", q(s.name)],
    ["listen_addresses", q("127.0.0.1")],
    ["port", s.port],
    // No Unix socket: nothing to collide with a system PostgreSQL's /var/run/postgresql, no path-length limit.
    ["unix_socket_directories", q("")],
    ["max_connections", MAX_CONNECTIONS],
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
    // A server started from a copy (a restore, a new replica, a crash) syncs its data directory
    // before recovery. syncfs() does that in one call per file system instead of opening and
    // fsyncing every file: 0.26-0.31 s instead of 0.55-0.98 s for a 0.1 GB copy here (PostgreSQL
    // docs, recovery_init_sync_method; Linux only, PostgreSQL 14+).
    ...(process.platform === "linux" && s.major >= 14
      ? [["recovery_init_sync_method", "syncfs"] as [string, string]]
      : []),
  ];
  if (s.archiveDir) {
    lines.push(
      ["archive_mode", "on"],
      ...(s.compressor
        ? [["archive_command", q(archiveCommand(s.archiveDir, s.compressor))] as [string, string]]
        : [
            ["archive_library", q("basic_archive")] as [string, string],
            ["basic_archive.archive_directory", q(s.archiveDir)] as [string, string],
          ]),
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
    if (s.standby.archiveDir)
      lines.push(["restore_command", q(restoreCommand(s.standby.archiveDir, toolsOf(s.compressor)))]);
  }
  if (s.recovery) {
    lines.push(
      [
        "restore_command",
        q(restoreCommand(s.recovery.archiveDir, toolsOf(s.compressor), { prefetched: true })),
      ],
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

function toolsOf(c: Compressor | null | undefined): { zstd?: string; gzip?: string } {
  return c ? { [c.kind]: c.path } : {};
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
