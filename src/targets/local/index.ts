import { dirname } from "node:path";
import type { CommandContext } from "../../api/context.js";
import { userError } from "../../errors.js";
import type { EbdbEvent, IoHost } from "../../io.js";
import type { Desired } from "../../model/desired-types.js";
import { checkReplicaCapacity } from "../../model/replica-capacity.js";
import type { ConnectionInfo, NodeStatus, Target } from "../target.js";
import {
  deleteBackup,
  expireBackups,
  listBackups,
  newBackupId,
  takeBackup,
  toBackupInfo,
} from "./backups.js";
import { agentTiming, ensureBackupAgent, stopBackupAgent } from "./backup-agent.js";
import { removeTree } from "./fs-safe.js";
import { lockFileFor, nodeDir, pgdataOf } from "./layout.js";
import { dataDirs, markDestroying, removeState } from "./destroy.js";
import { explained } from "./failures.js";
import { faultPoint } from "./fault.js";
import { withLock } from "./lock.js";
import { listMetas } from "./meta.js";
import { caCertFile } from "./node-files.js";
import { stopServersUnder } from "./orphans.js";
import type { PostmasterProc } from "./proc-scan.js";
import { poolerAddress, stopLocalPooler } from "./pgbouncer.js";
import { localPoolerStatus } from "./pgbouncer-status.js";
import { inspect, stopServer } from "./process.js";
import { literal } from "./pg-client.js";
import { removeProjectUser } from "./server-user.js";
import { createState, openSession, refuseIfDestroyed, type Session } from "./session.js";
import { requirePrimary } from "./settings.js";
import { localStatus } from "./status.js";
import { removeNodeDir, sweepNodeDirs, sweepTemporaries } from "./sweep.js";
import { prefetchTemplate } from "./template-prefetch.js";
import { requireVerifiableTls } from "./tls-drift.js";

/** The backup agent runs while backups are on and the primary runs (backup-agent.ts); else it is stopped. */
async function keepBackupAgent(s: Session): Promise<void> {
  const primary = (await listMetas(s.layout)).find((m) => m.role === "primary");
  const on =
    !!primary &&
    (primary.retentionDays ?? 0) > 0 &&
    (await inspect(pgdataOf(s.layout, primary.name))).state === "running";
  if (on) await ensureBackupAgent(s);
  else await stopBackupAgent(s.layout);
}

function orphanStopped(o: PostmasterProc): EbdbEvent {
  const where = `${o.pgdata}${o.deleted ? " (deleted)" : ""}`;
  return { type: "info", message: `Stopped a server that no node owns (pid ${o.pid}, ${where}).` };
}

/**
 * The local target: the configured topology as real PostgreSQL processes on this machine — a
 * primary, streaming replicas, a WAL archive, base backups and point-in-time restore — under
 * .ebdb/<identifier>/ in the project. The larger operations' modules (apply, restore, replicas,
 * health, audit, logs) are imported when called, so a short command such as `status` loads less.
 */
export function createLocalTarget(ctx: CommandContext): Target {
  const session = (d: Desired, create = false) => openSession(ctx, d, { create });
  const lockFileOf = (d: Desired) => lockFileFor(dirname(d.config.file), d.identifier);
  /** Runs `fn` holding the project's lock; `create` makes the state first (under the lock). */
  const locked = async <T>(
    d: Desired,
    what: string,
    fn: (s: Session) => Promise<T>,
    create = false,
  ): Promise<T> =>
    withLock(
      lockFileOf(d),
      d.identifier,
      what,
      async () => {
        // Resolved under the lock: a destroy that held it may have removed the user and the state.
        const s = await session(d, create);
        await refuseIfDestroyed(s.layout, d.identifier);
        if (create) await createState(s);
        await sweepTemporaries(s.layout);
        await sweepNodeDirs(s);
        // A full disk or a server lost mid-way: a clear error naming the command (failures.ts).
        return explained(s, what, () => fn(s));
      },
      { io: ctx.io, create },
    );

  const nodeStatus = async (s: Session, name: string): Promise<NodeStatus> => {
    const report = await localStatus(s);
    return report.nodes.find((n) => n.name === name)!;
  };

  return {
    name: "local",
    async lock(d, what, fn) {
      return withLock(
        lockFileOf(d),
        d.identifier,
        what,
        async () => {
          const s = await session(d);
          await refuseIfDestroyed(s.layout, d.identifier);
          // A bad EBDB_BACKUP_AGENT_INTERVAL is refused before anything is done.
          if (what === "up") agentTiming(ctx.env);
          // A first `up` starts its initdb now, beside observing and planning (template-prefetch.ts).
          const release = what === "up" ? await prefetchTemplate(s) : null;
          try {
            const r = await fn();
            // Whether or not it changed anything, `up` leaves the backup agent running (restarting
            // one that was killed), or stopped when backups are off.
            if (what === "up") {
              // What up was asked for is done: an agent that cannot start (a full disk) is a warning.
              await keepBackupAgent(await session(d)).catch((e) =>
                ctx.io.event({
                  type: "warning",
                  message: `The backup agent of ${d.identifier} could not start: ${(e as Error).message}`,
                  hint: "Until it runs, the daily base backup and retention happen only when `ebdb up` runs.",
                }),
              );
            }
            return r;
          } finally {
            await release?.();
          }
        },
        { io: ctx.io, create: true },
      );
    },
    async observe(d) {
      const { localObserve } = await import("./observe.js");
      return localObserve(await session(d));
    },
    apply(plan, d, io) {
      return locked(d, "up", async (s) => (await import("./apply.js")).localApply(s, plan, io), true);
    },
    async status(d) {
      const s = await session(d);
      const [report, pooler] = await Promise.all([localStatus(s), localPoolerStatus(s)]);
      return { ...report, pooler };
    },
    async connection(d): Promise<ConnectionInfo> {
      const s = await session(d);
      const metas = await listMetas(s.layout);
      const primary = await requirePrimary(s);
      const password = await s.existingPassword();
      if (!password)
        throw userError(
          "NO_PASSWORD",
          `The password file ${s.layout.passwordFile} is missing.`,
          "Set DB_MASTER_PASSWORD, or run `ebdb destroy` and `ebdb up` again.",
        );
      const ready = metas.filter((m) => m.state === "ready");
      await requireVerifiableTls(s, ready);
      return {
        host: "127.0.0.1",
        port: primary.port,
        dbName: s.config.dbName,
        username: s.config.masterUsername,
        password,
        readers: ready
          .filter((m) => m.role === "replica")
          .map((m) => ({ name: m.name, host: "127.0.0.1", port: m.port })),
        sslmode: "verify-full",
        sslrootcert: caCertFile(s.layout),
        instances: ready.map((m) => ({ name: m.name, role: m.role, host: "127.0.0.1", port: m.port })),
        pooler: await poolerAddress(s),
      };
    },
    snapshots: {
      create(d, id, io) {
        return locked(d, "snapshot create", async (s) => {
          const b = await takeBackup(s, id ?? (await newBackupId(s, "manual")), "manual");
          io.event({ type: "info", message: `Snapshot ${b.id} taken (${((b.sizeBytes ?? 0) / 1024 ** 2).toFixed(1)} MiB).` });
          await expireBackups(s);
          return toBackupInfo(b);
        });
      },
      async list(d) {
        return (await listBackups(await session(d)))
          .filter((b) => b.status === "available")
          .map(toBackupInfo);
      },
      remove(d, id) {
        return locked(d, "snapshot delete", (s) => deleteBackup(s, id));
      },
    },
    restore(d, from, as) {
      return locked(d, "restore", async (s) => (await import("./restore.js")).restoreInstance(s, from, as));
    },
    replicas: {
      add(d) {
        return locked(d, "replica add", async (s) => {
          const { addReplica, nextReplicaName } = await import("./replicas.js");
          // Again under the lock: two `replica add` at once must not both pass the maximum.
          checkReplicaCapacity(
            d,
            (await listMetas(s.layout)).filter((m) => m.role === "replica").map((m) => m.name),
          );
          const m = await addReplica(s, await nextReplicaName(s));
          return nodeStatus(s, m.name);
        });
      },
      remove(d, name) {
        return locked(d, "replica remove", async (s) => {
          const replicas = (await listMetas(s.layout)).filter((m) => m.role === "replica");
          const target = name ?? replicas.at(-1)?.name;
          if (!target) throw userError("NO_REPLICAS", `${s.config.identifier} has no read replicas.`);
          await (await import("./replicas.js")).removeReplica(s, target);
        });
      },
      async list(d) {
        return (await localStatus(await session(d))).nodes.filter((n) => n.role === "replica");
      },
    },
    down(d, io: IoHost) {
      return locked(d, "down", async (s) => {
        const metas = await listMetas(s.layout);
        // Every node at once. Nothing is lost by any order: the primary's fast shutdown checkpoints
        // its own data, and a replica that stops before receiving the primary's last WAL gets it
        // from its replication slot at its next start. Primary first would only make the primary
        // wait for its walsenders to hand everything to replicas that are stopping anyway.
        const [stopped] = await Promise.all([
          Promise.all(metas.map((m) => stopServer(pgdataOf(s.layout, m.name)))),
          stopBackupAgent(s.layout),
        ]);
        for (const [i, m] of metas.entries())
          if (stopped[i]) io.event({ type: "info", message: `Stopped ${m.name}.` });
        if (await stopLocalPooler(s)) io.event({ type: "info", message: "Stopped PgBouncer." });
        for (const o of await stopServersUnder(s.layout.nodesDir, s.user)) io.event(orphanStopped(o));
      });
    },
    async destroy(d, _opts, io) {
      await withLock(
        lockFileOf(d),
        d.identifier,
        "destroy",
        async () => {
          const s = await openSession(ctx, d, { legacy: true });
          const metas = await listMetas(s.layout);
          // First a mark, so that a destroy cut short is finished by the next destroy and never
          // undone by an `up` that would bring the database back without its backups.
          await markDestroying(s);
          faultPoint("destroy:marked");
          await Promise.all([stopLocalPooler(s), stopBackupAgent(s.layout)]);
          await Promise.all(metas.map((m) => stopServer(pgdataOf(s.layout, m.name), { timeoutMs: 10_000 })));
          // Then any server still running from under the data (no node owns it): never delete under one.
          for (const o of await stopServersUnder(s.layout.dataRoot, s.user, { timeoutMs: 10_000 }))
            io.event(orphanStopped(o));
          faultPoint("destroy:stopped");
          if (s.layout.dataRoot !== s.layout.stateDir) await removeTree(s.layout.dataRoot, s.user);
          else for (const dir of dataDirs(s.layout)) await removeTree(dir, s.user);
          faultPoint("destroy:data-removed");
          await removeState(s);
          io.event({
            type: "info",
            message: metas.length
              ? `Removed ${s.config.identifier}: ${metas.length} node(s), base backups and the WAL archive.`
              : `Nothing of ${s.config.identifier} was on this machine.`,
          });
          // Under the lock still: an `up` waiting for it must not find the user about to go.
          const kept = removeProjectUser(s.user);
          if (kept)
            io.event({
              type: "warning",
              message: `The project's OS user ${s.user.name} is still there: ${kept}.`,
              hint: `Remove it yourself: userdel ${s.user.name}`,
            });
        },
        { io },
      );
    },
    destroyInstance(d, name, io) {
      return locked(d, "destroy", async (s) => {
        const meta = (await listMetas(s.layout)).find((m) => m.name === name);
        if (!meta || meta.role === "primary") {
          const others = (await listMetas(s.layout)).filter((m) => m.role !== "primary").map((m) => m.name);
          throw userError(
            "INSTANCE_NOT_FOUND",
            meta
              ? `${name} is the primary: \`ebdb destroy\` without --instance removes everything.`
              : `There is no instance ${name}.`,
            others.length ? `Other instances: ${others.join(", ")}.` : undefined,
          );
        }
        if (meta.role === "replica") await (await import("./replicas.js")).removeReplica(s, name);
        else {
          await stopServer(pgdataOf(s.layout, name));
          await stopServersUnder(nodeDir(s.layout, name), s.user);
          await removeNodeDir(s, name);
        }
        io.event({ type: "info", message: `Removed ${name}.` });
      });
    },
    setSlowQueryMs(d, ms, io) {
      return locked(d, "slowlog", async (s) => {
        await requirePrimary(s);
        for (const m of await listMetas(s.layout)) {
          if ((await inspect(pgdataOf(s.layout, m.name))).state !== "running") continue;
          await s.withAdmin(m.port, "postgres", async (c) => {
            await c.query(`ALTER SYSTEM SET log_min_duration_statement = ${literal(String(ms))}`);
            await c.query("SELECT pg_reload_conf()");
          });
        }
        if (ms === s.config.slowQueryMs) return;
        io.event({
          type: "warning",
          message: `Set log_min_duration_statement=${ms} on the running servers; \`ebdb up\` sets it back to DB_SLOW_QUERY_MS=${s.config.slowQueryMs}.`,
          hint: "Set DB_SLOW_QUERY_MS in config.env to keep it.",
        });
      });
    },
    async observeHealth(d, opts) {
      const { localHealth } = await import("./health.js");
      return localHealth(await session(d), opts);
    },
    async observeAudit(d) {
      const { localAudit } = await import("./audit.js");
      return localAudit(await session(d));
    },
    recordRestoreTest(d, t) {
      return locked(d, "restore", async (s) =>
        (await import("./audit.js")).recordLocalRestoreTest(s.layout, t),
      );
    },
    logs(d, opts) {
      const iter = async function* () {
        const { localLogs } = await import("./logs.js");
        yield* localLogs(await session(d), opts);
      };
      return iter();
    },
  };
}
