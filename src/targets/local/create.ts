import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { systemError, userError } from "../../errors.js";
import type { IoHost } from "../../io.js";
import { type BackupMeta, backupDir, stampedId, writeBackup } from "./backups.js";
import type { PgBinaries } from "./binaries.js";
import { faultPoint } from "./fault.js";
import { archiveTree, copyDir, ensureDir, extractArchive, readFileSafe, removeTree } from "./fs-safe.js";
import { backupArchive } from "./backup-data.js";
import { fillTemplateCache } from "./template-cache.js";
import { takeTemplate } from "./template-prefetch.js";
import { nodeDir, passMode, pgdataOf } from "./layout.js";
import { listMetas, type NodeMeta, slotName, writeMeta } from "./meta.js";
import { projectCertificate, tlsFiles, writeNodeFiles } from "./node-files.js";
import { ident, loadPg, withClient } from "./pg-client.js";
import { stopServersUnder } from "./orphans.js";
import { choosePort } from "./ports.js";
import { inspect, stopServer } from "./process.js";
import {
  ADMIN_USER,
  createMasterSql,
  REPLICATION_USER,
  setPasswordSql,
  statementsGrantSql,
} from "./roles.js";
import type { Session } from "./session.js";
import { settingsFor } from "./settings.js";
import { moveTemplate, refillSpares, releaseTemplate, TEMPLATE_DB, takeSpare } from "./template.js";
import { reservedPorts, rewriteConf, startNode, syncInBackground } from "./nodes.js";
import { removeNodeDir } from "./sweep.js";

export interface CreateResult {
  primary: NodeMeta;
  replicas: NodeMeta[];
  backup: BackupMeta | null;
  binaries: PgBinaries;
  templateBuilt: boolean;
}

/**
 * Creates the primary (and the replicas named) from the initdb template. Everything is a copy of
 * the same cleanly shut down template, so the copies are made in parallel: the primary's, each
 * replica's (a cold copy is a valid standby: it streams everything after the template's checkpoint),
 * and the first automated base backup's (consistent once the primary's setup is replayed). Then the
 * primary starts, gets its password, database name and replication slots, and the replicas start.
 */
export async function createCluster(s: Session, replicaNames: string[], io: IoHost): Promise<CreateResult> {
  const existing = (await listMetas(s.layout)).find((m) => m.role === "primary");
  if (existing?.state === "ready") throw systemError("ALREADY_CREATED", `${existing.name} exists already.`);
  if (existing) {
    await refuseIfHoldsTables(s, existing);
    await removeHalfCreated(s);
    io.event({
      type: "info",
      message: `Removed ${existing.name}, left half-created by an interrupted run (it held no data of yours); making it again.`,
    });
  }
  const { config, layout, user } = s;
  const bins = await s.binaries();
  const [password, internal, cert, template, reserved] = await Promise.all([
    s.password(),
    s.internal(),
    projectCertificate(layout),
    takeTemplate(bins, s.templateUser(), s.cache, s.ctx.env).then((t) => {
      if (t.fillCache)
        io.event({
          type: "info",
          message: `Ran initdb for PostgreSQL ${bins.version}; its template is cached in the background, so the next project starts from a copy.`,
        });
      return t;
    }),
    reservedPorts(s),
  ]);
  // The CA that signed `cert`: ebdb verifies its own servers too.
  const caPem = (await readFileSafe(tlsFiles(layout).caCert)) ?? "";
  const strict = config.local.port !== null;
  const primaryPort = await choosePort(config.local.port ?? config.port, reserved, {
    strict,
    what: `the primary ${config.identifier}`,
  });
  reserved.add(primaryPort);
  const now = new Date().toISOString();
  const primary: NodeMeta = {
    name: config.identifier,
    role: "primary",
    port: primaryPort,
    state: "creating",
    createdAt: now,
    pgVersion: bins.version,
    retentionDays: config.backup.retentionDays,
  };
  const replicas: NodeMeta[] = [];
  for (const [i, name] of replicaNames.entries()) {
    const port = await choosePort(primaryPort + i + 1, reserved, { what: `replica ${name}` });
    reserved.add(port);
    replicas.push({
      name,
      role: "replica",
      port,
      state: "creating",
      createdAt: now,
      pgVersion: bins.version,
      source: primary.name,
      slot: slotName(name),
    });
  }
  await Promise.all(
    [primary, ...replicas].map(async (m) => {
      await ensureDir(nodeDir(layout, m.name), passMode(user));
      await writeMeta(layout, m);
    }),
  );
  faultPoint("up:nodes-recorded");

  // With a template built for this run (none cached), the primary is made from the build itself
  // (a rename: no copy of its ~1,300 files) and the first automated backup is one tar of it,
  // written before the primary starts; the replicas unpack that tar. (Replicas without backups,
  // which RDS does not allow, copy the build as before.)
  const retention = config.backup.retentionDays;
  const fresh = template.temporary && (replicas.length === 0 || retention > 0);
  let archive: string | null = null;
  let backupBytes = template.sizeBytes;
  const configure = (m: NodeMeta) =>
    writeNodeFiles(pgdataOf(layout, m.name), settingsFor(s, m, bins.major, primaryPort), user, {
      cert,
      auto: { log_min_duration_statement: String(config.slowQueryMs) },
      password: m.role === "replica" ? { user: REPLICATION_USER, secret: internal.replication } : undefined,
    });
  const copyNode = async (m: NodeMeta) => {
    const pgdata = pgdataOf(layout, m.name);
    if (archive) await extractArchive(archive, pgdata, user);
    else if (!(await takeSpare(template, pgdata, user))) await copyDir(template.pgdata, pgdata, user);
    await configure(m);
  };
  let backup: BackupMeta | null = null;
  const recordBackup = async (): Promise<BackupMeta | null> => {
    if (retention <= 0) return null;
    const id = stampedId(`${config.identifier}-auto`);
    backup = {
      id,
      kind: "automated",
      method: "cold",
      status: "creating",
      createdAt: now,
      startWal: "",
      consistentLsn: "",
      sizeBytes: null,
      pgVersion: bins.version,
    };
    await writeBackup(s, backup);
    return backup;
  };
  const makePrimary = async () => {
    if (fresh) {
      const b = await recordBackup();
      if (b) {
        archive = backupArchive(s, b.id);
        backupBytes = await archiveTree(template.pgdata, archive);
        faultPoint("up:backup-archived");
      }
      if (await moveTemplate(template, pgdataOf(layout, primary.name), user)) return configure(primary);
    }
    await copyNode(primary);
  };
  const copyBackup = async () => {
    // The fresh build's backup is its tar, written already.
    if (fresh) return;
    const b = await recordBackup();
    // Hard links: neither the template nor a backup is ever written to (a restore copies).
    if (b) await copyDir(template.pgdata, join(backupDir(s, b.id), "data"), user, { link: true });
  };
  const primaryCopy = makePrimary();
  // The other copies start once the primary's server is spawned, so they do not delay it.
  let others: { replicas: Promise<void>[]; backup: Promise<void> } | null = null;
  const copyOthers = () => {
    others ??= { replicas: replicas.map((r) => copyNode(r)), backup: copyBackup() };
    return others;
  };
  try {
    await primaryCopy;
    faultPoint("up:primary-copied");
    void loadPg();
    const started = await startNode(s, bins, primary, { onSpawn: copyOthers });
    faultPoint("up:primary-started");
    Object.assign(primary, started);
    const { replicas: replicaCopies, backup: backupCopy } = copyOthers();
    // As the template's rdsadmin (whose statements are neither tracked nor logged): ebdb's own
    // passwords, the master user as RDS makes it, and the application database it owns.
    const setup = await withClient(
      primary.port,
      ADMIN_USER,
      template.password,
      "postgres",
      caPem,
      async (c) => {
        await c.query(setPasswordSql(ADMIN_USER, internal.admin));
        await c.query(setPasswordSql(REPLICATION_USER, internal.replication));
        await c.query(createMasterSql(config.masterUsername, password, bins.major));
        if (config.dbName === "postgres") {
          await c.query(`DROP DATABASE ${TEMPLATE_DB}`);
          await c.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements SCHEMA public");
          await c.query(statementsGrantSql());
        } else if (config.dbName !== TEMPLATE_DB) {
          await c.query(`ALTER DATABASE ${TEMPLATE_DB} RENAME TO ${ident(config.dbName)}`);
        }
        await c.query(`ALTER DATABASE ${ident(config.dbName)} OWNER TO ${ident(config.masterUsername)}`);
        for (const r of replicas) await c.query("SELECT pg_create_physical_replication_slot($1)", [r.slot]);
        return (
          await c.query<{ lsn: string; at: Date; redo: string }>(
            "SELECT pg_current_wal_lsn()::text AS lsn, clock_timestamp() AS at, pg_walfile_name(redo_lsn) AS redo FROM pg_control_checkpoint()",
          )
        ).rows[0];
      },
    );
    faultPoint("up:primary-set-up");
    Object.assign(primary, { state: "ready", setup: { lsn: setup.lsn, at: setup.at.toISOString() } });
    await writeMeta(layout, primary);
    io.event({
      type: "info",
      message: `Primary ${primary.name} is ready on 127.0.0.1:${primary.port} (PostgreSQL ${bins.version}, ${bins.source}).`,
    });

    const startReplica = async (r: NodeMeta, copy: Promise<void>) => {
      await copy;
      if (primary.port !== primaryPort) await rewriteConf(s, bins, r, primary.port);
      const started = await startNode(s, bins, r, { primaryPort: primary.port });
      faultPoint("up:replica-started");
      Object.assign(r, started, { state: "ready" });
      await writeMeta(layout, r);
      io.event({ type: "info", message: `Replica ${r.name} is streaming on 127.0.0.1:${r.port}.` });
    };
    const finishBackup = async () => {
      await backupCopy;
      if (!backup) return;
      faultPoint("up:backup-copied");
      const b: BackupMeta = backup;
      backup = {
        ...b,
        status: "available",
        createdAt: setup.at.toISOString(),
        startWal: setup.redo,
        consistentLsn: setup.lsn,
        sizeBytes: backupBytes,
      };
      await writeBackup(s, backup);
    };
    await Promise.all([...replicas.map((r, i) => startReplica(r, replicaCopies[i])), finishBackup()]);
  } finally {
    const o = copyOthers();
    await Promise.allSettled([primaryCopy, ...o.replicas, o.backup]);
    await releaseTemplate(template);
    if (template.fillCache) {
      // None was cached: build the cached template (and its spares) in a detached process now
      // that the primary no longer waits. Its last step, `sync`, also writes out this run's files
      // (written unsynced); a `sync` now would slow the rest of this command's writes.
      const filling = await fillTemplateCache(bins, s.templateUser(), s.cache, s.ctx.env).catch(() => null);
      if (!filling) syncInBackground();
    } else {
      // One background job: make spare copies of the template for the next run, then flush to disk.
      // Sized for the next run, not this one: at least a primary and two replicas (the usual HA
      // topology), so a new project's first `up` renames every node's copy instead of copying.
      await refillSpares(template, s.templateUser(), Math.max(SPARES, replicas.length + 1)).catch(() =>
        syncInBackground(),
      );
    }
  }
  return { primary, replicas, backup, binaries: bins, templateBuilt: template.built };
}

/** Spare copies of the template kept ready (each the template's size, about 40 MiB). */
const SPARES = 3;

/**
 * What an interrupted first `up` left: nodes, all still `creating` (nothing is handed over before
 * the primary is ready), their backups and WAL archive. Their servers are stopped first.
 */
async function removeHalfCreated(s: Session): Promise<void> {
  for (const m of await listMetas(s.layout)) {
    await stopServer(pgdataOf(s.layout, m.name), { timeoutMs: 10_000 });
    await stopServersUnder(nodeDir(s.layout, m.name), s.user);
    await removeNodeDir(s, m.name);
  }
  // Its WAL archive and backups belong to that cluster (another system identifier): a new one's
  // replicas and restores must never read them.
  // Every folder in backups/, recorded or not (one cut short before its record was written).
  for (const name of await readdir(s.layout.backupsDir).catch(() => [] as string[]))
    await removeTree(join(s.layout.backupsDir, name), s.user);
  await removeTree(s.layout.archiveDir, s.user);
  await ensureDir(s.layout.archiveDir, 0o700, s.user);
}

/**
 * A half-made primary holds nothing of the user's (nothing is handed over before it is ready), but
 * if one that is running has tables in the application database after all (someone used it before
 * `up` finished), it is not removed: a clear error instead, and nothing deleted.
 */
async function refuseIfHoldsTables(s: Session, primary: NodeMeta): Promise<void> {
  if ((await inspect(pgdataOf(s.layout, primary.name))).state !== "running") return;
  const tables = await s
    .withAdmin(primary.port, s.config.dbName, async (c) => {
      const r = await c.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'",
      );
      return r.rows[0].n;
    })
    // Not reachable with ebdb's credentials or no such database: its setup never finished.
    .catch(() => 0);
  if (tables === 0) return;
  throw userError(
    "PRIMARY_HALF_CREATED",
    `The primary ${primary.name} was left half-created by an interrupted run, yet its database ${s.config.dbName} holds ${tables} table(s): ebdb will not remove it.`,
    "Keep what you need with pg_dump (`ebdb url` gives the URL), then `ebdb destroy --yes` and `ebdb up`.",
  );
}
