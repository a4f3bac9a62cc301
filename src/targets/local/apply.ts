import type { IoHost } from "../../io.js";
import type { Change, Plan } from "../../model/change.js";
import type { ApplyResult } from "../target.js";
import { deleteBackup, expireBackups, newBackupId, takeBackup } from "./backups.js";
import { createCluster } from "./create.js";
import { faultPoint } from "./fault.js";
import { nodeDir, pgdataOf } from "./layout.js";
import { stopServersUnder } from "./orphans.js";
import { listMetas, type NodeMeta, writeMeta } from "./meta.js";
import { portIsChosen, rewriteConf, startNode } from "./nodes.js";
import { literal } from "./pg-client.js";
import { choosePort } from "./ports.js";
import { reloadConf } from "./conf-drift.js";
import { addReplica, dropOrphanSlots, dropSlot, removeReplica } from "./replicas.js";
import { recreateSlot } from "./slots.js";
import { writeFileMode } from "./fs-safe.js";
import { applyPooler, refreshPooler } from "./pgbouncer.js";
import { inspect, signalServer, stopServer } from "./process.js";
import { catchUpRestoredPassword, setRestoredPasswords } from "./restored-password.js";
import { setMasterPassword, statementsGrantSql } from "./roles.js";
import { readPasswordFile } from "./secrets.js";
import type { Session } from "./session.js";
import { removeNodeDir } from "./sweep.js";

/** Does a change; may return what was actually done, said better than the plan could. */
type Step = (c: Change) => Promise<unknown>;

/** Runs one change, telling the IoHost when it starts and ends (with what was actually done). */
async function step(io: IoHost, c: Change, fn: Step): Promise<void> {
  io.event({ type: "change-start", change: c });
  const t0 = Date.now();
  const said = await fn(c);
  io.event({
    type: "change-done",
    change: typeof said === "string" ? { ...c, reason: said } : c,
    ms: Date.now() - t0,
  });
}

const is = (c: Change, kind: string, action: string, field?: string) =>
  c.kind === kind && c.action === action && (field === undefined || c.field === field);

/**
 * Applies a plan to the local target. Order: create everything new in one go; start what is
 * stopped (the primary first); change the primary's port, parameters, retention, password;
 * remove replicas; add and rebuild replicas (in parallel); then backups. Never deletes data.
 */
export async function localApply(s: Session, plan: Plan, io: IoHost): Promise<ApplyResult> {
  let applied = 0;
  const done = new Set<Change>();
  const run = async (c: Change, fn: Step) => {
    await step(io, c, fn);
    done.add(c);
    applied++;
  };
  const changes = plan.changes;
  const bins = () => s.binaries();
  const metas = async () => listMetas(s.layout);
  const primaryMeta = async () => (await metas()).find((m) => m.role === "primary")!;

  const create = changes.find((c) => is(c, "instance", "create"));
  faultPoint("up:state-created");
  if (create) {
    const replicaCreates = changes.filter((c) => is(c, "replica", "create"));
    for (const c of [create, ...replicaCreates]) io.event({ type: "change-start", change: c });
    const t0 = Date.now();
    const r = await createCluster(
      s,
      replicaCreates.map((c) => c.resource),
      io,
    );
    const ms = Date.now() - t0;
    io.event({
      type: "change-done",
      change: {
        ...create,
        reason: `Created ${r.primary.name} on 127.0.0.1:${r.primary.port} (PostgreSQL ${r.binaries.version})`,
      },
      ms,
    });
    for (const c of replicaCreates) {
      const m = r.replicas.find((x) => x.name === c.resource);
      io.event({
        type: "change-done",
        change: { ...c, reason: `Created replica ${c.resource} on 127.0.0.1:${m?.port}` },
        ms,
      });
    }
    for (const c of [create, ...replicaCreates]) done.add(c);
    applied += 1 + replicaCreates.length;
  }

  // Starts: the primary first (replicas stream from it), then the others together.
  const starts = changes.filter((c) => c.field === "state" && c.action === "update" && c.kind !== "proxy");
  const startOne = async (c: Change) => {
    const meta = (await metas()).find((m) => m.name === c.resource);
    if (!meta) return;
    const primary = await primaryMeta();
    let moved = "";
    const m = await startNode(s, await bins(), meta, {
      primaryPort: primary?.port,
      // The port it had, even when the next one was taken too (a busy machine).
      onMove: (_from, to) => {
        moved = ` (port ${meta.port} was taken: now on ${to})`;
      },
    });
    if (m.role === "primary" && m.port !== meta.port) await repointReplicas(s, m);
    // Slots left while the primary was down (a replica add cut short) are seen only once it runs.
    const dropped = m.role === "primary" ? await dropOrphanSlots(s, m) : [];
    const slots = dropped.length
      ? `; dropped replication slot ${dropped.join(", ")}, which no replica uses`
      : "";
    // A restored instance stopped while the master password changed gets the current one now.
    const pw = m.role === "restored" ? await s.existingPassword() : null;
    const caught = pw !== null && (await catchUpRestoredPassword(s, m, pw, (await bins()).major));
    const password = caught ? "; gave it the current master password (it had kept an older one)" : "";
    return `Started ${m.name} on 127.0.0.1:${m.port}${moved}${slots}${password}`;
  };
  const primaryStart = starts.find((c) => c.kind === "instance" && c.resource === s.config.identifier);
  if (primaryStart) await run(primaryStart, startOne);
  await Promise.all(starts.filter((c) => c !== primaryStart).map((c) => run(c, startOne)));

  // The password first: everything after connects with the configured one.
  const password = changes.find((c) => is(c, "secret", "update", "password"));
  if (password) await run(password, () => setPassword(s));

  for (const c of changes) {
    if (done.has(c)) continue;
    if (is(c, "instance", "update", "port")) {
      await run(c, async () => {
        const p = await primaryMeta();
        const port = Number(c.to);
        const free = await choosePort(
          port,
          new Set((await metas()).filter((m) => m.name !== p.name).map((m) => m.port)),
          {
            strict: !portIsChosen(s, p),
            what: `the primary ${p.name}`,
          },
        );
        await stopServer(pgdataOf(s.layout, p.name));
        const moved: NodeMeta = { ...p, port: free };
        await writeMeta(s.layout, moved);
        await rewriteConf(s, await bins(), moved);
        await startNode(s, await bins(), moved);
        await repointReplicas(s, moved);
        return `Moved ${p.name} to 127.0.0.1:${free} (restarted)`;
      });
    } else if (is(c, "parameter-group", "update") && c.field === "parameters.log_min_duration_statement") {
      await run(c, async () => {
        const value = String(c.to);
        for (const m of await metas()) {
          if (m.role === "restored" || (await inspect(pgdataOf(s.layout, m.name))).state !== "running")
            continue;
          await s.withAdmin(m.port, "postgres", async (db) => {
            await db.query(`ALTER SYSTEM SET log_min_duration_statement = ${literal(value)}`);
            await db.query("SELECT pg_reload_conf()");
          });
        }
        return `Set log_min_duration_statement=${value} (ALTER SYSTEM, reloaded)`;
      });
    } else if (is(c, "instance", "update", "backup.retentionDays")) {
      await run(c, async () => {
        const p = await primaryMeta();
        const before = p.retentionDays ?? 0;
        const after = Number(c.to);
        const updated = { ...p, retentionDays: after };
        await writeMeta(s.layout, updated);
        if (before > 0 !== after > 0) {
          await rewriteConf(s, await bins(), updated);
          await stopServer(pgdataOf(s.layout, p.name));
          await startNode(s, await bins(), updated);
          return after > 0
            ? `Turned WAL archiving on (${after} days; restarted)`
            : "Turned WAL archiving off (restarted); backups kept";
        }
        await expireBackups(s);
        return `Keeps backups for ${after} days`;
      });
    } else if (is(c, "instance", "update", "extensions")) {
      await run(c, async () => {
        const p = await primaryMeta();
        await s.withAdmin(p.port, s.config.dbName, async (db) => {
          await db.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements SCHEMA public");
          await db.query(statementsGrantSql());
        });
      });
    } else if (is(c, "instance", "delete", "unfinished-restore")) {
      await run(c, async () => {
        await stopServer(pgdataOf(s.layout, c.resource), { timeoutMs: 10_000 });
        await stopServersUnder(nodeDir(s.layout, c.resource), s.user);
        await removeNodeDir(s, c.resource);
        return `Removed ${c.resource}, an unfinished restore`;
      });
    } else if (is(c, "replica", "update", "slot")) {
      await run(c, async () => {
        const replica = (await metas()).find((m) => m.name === c.resource);
        return replica ? recreateSlot(s, await primaryMeta(), replica) : undefined;
      });
    } else if ((c.field === "conf" || c.field === "tls") && c.action === "update" && c.kind !== "proxy") {
      // Both rewrite the node's files (a tls change: the CA-signed certificate) and reload it; the
      // pooler's conf is applyPooler's, below.
      await run(c, () => reloadConf(s, c.resource));
    } else if (is(c, "replica", "delete", "slot")) {
      await run(c, async () => dropSlot(s, await primaryMeta(), c.resource));
    } else if (is(c, "replica", "delete")) {
      await run(c, async () => {
        await removeReplica(s, c.resource);
        return `Removed replica ${c.resource}`;
      });
    }
  }

  const adds = changes.filter(
    (c) => !done.has(c) && (is(c, "replica", "create") || is(c, "replica", "update", "rebuild")),
  );
  await Promise.all(
    adds.map((c) =>
      run(c, async () => {
        const m = await addReplica(s, c.resource, { rebuild: c.field === "rebuild" });
        return `${c.action === "create" ? "Created" : "Rebuilt"} replica ${m.name} on 127.0.0.1:${m.port}`;
      }),
    ),
  );

  for (const c of changes.filter((x) => !done.has(x) && x.kind === "backup")) {
    if (c.action === "create") {
      await run(c, async () => {
        const b = await takeBackup(s, await newBackupId(s, "automated"), "automated");
        return `Took automated base backup ${b.id}`;
      });
    } else if (c.action === "delete") {
      await run(c, async () => deleteBackup(s, c.resource).catch(() => {}));
    }
  }
  if (changes.some((c) => c.kind === "backup" && c.action === "delete")) await expireBackups(s);

  // The pooler last: it needs the primary running (its userlist comes from the primary's verifiers).
  for (const c of changes.filter((x) => !done.has(x) && x.kind === "proxy"))
    await run(c, () => applyPooler(s, c));
  // Or its files follow what the other changes did (a password's verifier, the primary's port).
  if (!changes.some((c) => c.kind === "proxy")) {
    const refreshed = await refreshPooler(s);
    if (refreshed) io.event({ type: "info", message: refreshed });
  }

  for (const c of changes) {
    if (done.has(c)) continue;
    io.event({ type: "warning", message: `Not applicable to the local target, skipped: ${c.reason}` });
  }
  return { applied };
}

/**
 * Sets the master password to the configured one (DB_MASTER_PASSWORD, else the stored one) on the
 * primary when it changed (replicas follow it) and in the password file, then on every running
 * restored instance, so that the credentials `env` hands out work on each of them.
 */
async function setPassword(s: Session): Promise<string> {
  const p = (await listMetas(s.layout)).find((m) => m.role === "primary")!;
  const stored = await readPasswordFile(s.layout.passwordFile);
  const pw = s.config.masterPassword ?? stored!;
  const bins = await s.binaries();
  const changed = !stored || stored.reveal() !== pw.reveal();
  if (changed) {
    await s.withAdmin(p.port, "postgres", (db) =>
      setMasterPassword(db, s.config.masterUsername, pw, bins.major),
    );
    await writeFileMode(s.layout.passwordFile, pw.reveal(), 0o600);
  }
  const r = await setRestoredPasswords(s, pw, bins.major);
  const on = [...(changed ? [p.name] : []), ...r.set];
  const left = r.notRunning.length
    ? `; ${r.notRunning.join(", ")} not running: ${r.notRunning.length > 1 ? "they keep" : "it keeps"} the old password until \`ebdb up\` starts ${r.notRunning.length > 1 ? "them" : "it"}`
    : "";
  return `Set the master password${s.config.masterPassword ? " from DB_MASTER_PASSWORD" : ""} on ${on.join(", ")}${left}`;
}

/** After the primary moved: point each replica's primary_conninfo and password file at the new port, and reload. */
async function repointReplicas(s: Session, primary: NodeMeta): Promise<void> {
  const bins = await s.binaries();
  for (const r of (await listMetas(s.layout)).filter((m) => m.role === "replica")) {
    await rewriteConf(s, bins, r, primary.port);
    await signalServer(pgdataOf(s.layout, r.name), "SIGHUP");
  }
}
