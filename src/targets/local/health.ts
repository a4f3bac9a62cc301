import { X509Certificate } from "node:crypto";
import { availableParallelism } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type { CpuFacts, HealthObservation, Step } from "../../doctor/observation.js";
import { userError } from "../../errors.js";
import { readPgFacts } from "../pg-health.js";
import { probePostgres } from "../pg-probe.js";
import type { HealthOptions } from "../target.js";
import { readFileSafe } from "./fs-safe.js";
import { sampleServerProcesses, serverUtilization } from "./health-cpu.js";
import { recordAndRate } from "./health-storage.js";
import { pgdataOf } from "./layout.js";
import { listMetas } from "./meta.js";
import { tlsFiles } from "./node-files.js";
import { connect } from "./pg-client.js";
import { inspect } from "./process.js";
import type { Session } from "./session.js";
import { localStatus } from "./status.js";

/** How long the server's processes are sampled for their CPU share. */
const CPU_SAMPLE_MS = 250;

/**
 * What `doctor` and `top` judge on the local target: the node's state (status.ts), the connection
 * path as an application walks it (TCP, TLS verified against the project CA, the master user's
 * password), the server's statistics read as ebdb's superuser (doctor/sql.ts), replication, the
 * WAL archive, the file system holding the data with its growth, and the server's CPU over a short
 * sample. Reads only (besides the size sample it keeps for the growth rate).
 */
export async function localHealth(s: Session, opts: HealthOptions = {}): Promise<HealthObservation> {
  const metas = await listMetas(s.layout);
  const name = opts.instance ?? metas.find((m) => m.role === "primary")?.name ?? s.config.identifier;
  const meta = metas.find((m) => m.name === name);
  if (!meta) {
    throw userError(
      "INSTANCE_NOT_FOUND",
      metas.length
        ? `There is no instance ${name}.`
        : `${s.config.identifier} has not been created on this machine yet.`,
      metas.length ? `Instances: ${metas.map((m) => m.name).join(", ")}.` : "Run `ebdb up` to create it.",
    );
  }
  // Everything at once: the status, the connection path and the SQL, while the CPU is sampled. The
  // postmaster's pid file says whether to try; the status says what the node is (and wins).
  const proc = await inspect(pgdataOf(s.layout, name));
  const up = proc.state === "running";
  const at = new Date();
  const cpuStart = up && proc.pid ? sampleServerProcesses(proc.pid) : null;
  const caPem = await readFileSafe(tlsFiles(s.layout).caCert).catch(() => null);
  const [status, probe, auth, pgRead] = await Promise.all([
    localStatus(s),
    opts.light || !up ? null : probePostgres("127.0.0.1", meta.port, { ca: caPem, timeoutMs: 3000 }),
    opts.light || !up ? null : authStep(s, meta.port, caPem),
    up ? readPg(s, meta.port, opts.light) : null,
    up ? sleep(CPU_SAMPLE_MS) : null,
  ]);
  const node = status.nodes.find((n) => n.name === name)!;
  const serving = node.state === "running";
  const pg = serving && pgRead ? pgRead : { facts: null, error: `${name} is ${node.state}` };
  const cpu: CpuFacts = { utilization: null, source: "the server's processes" };
  const cpuEnd = cpuStart && proc.pid ? sampleServerProcesses(proc.pid, cpuStart) : null;
  if (serving && cpuStart && cpuEnd) {
    const vcpus = availableParallelism();
    cpu.utilization = serverUtilization(cpuStart, cpuEnd, vcpus);
    cpu.source = `the server's processes over ${cpuEnd.atMs - cpuStart.atMs} ms, of ${vcpus} CPU(s)`;
  }

  const notServing: Step = { ok: null, detail: `not tried: ${name} is ${node.state}` };
  const light: Step = { ok: null, detail: "not tried" };
  const disk = status.storage.disk ?? null;
  const primary = node.role === "primary";
  const rate =
    primary && status.storage.usedBytes !== null
      ? await recordAndRate(s.layout, status.storage.usedBytes, at.getTime(), { record: !opts.light })
      : { perDay: null, hours: null };
  const a = status.backups.archive;

  return {
    target: "local",
    identifier: s.config.identifier,
    instance: {
      name,
      role: node.role,
      state: node.state,
      serving,
      engine: "postgres",
      engineVersion: meta.pgVersion,
      instanceClass: null,
    },
    at: at.toISOString(),
    connectivity: {
      dns: probe?.dns ?? (serving ? light : notServing),
      tcp: probe?.tcp ?? (serving ? light : notServing),
      tls: probe?.tls ?? (serving ? light : notServing),
      auth: auth ?? (serving ? light : notServing),
    },
    certificate: probe?.certificate
      ? {
          notAfter: probe.certificate.notAfter,
          ca: `the project CA (${s.config.identifier})`,
          caNotAfter: caExpiry(caPem),
        }
      : null,
    network: null,
    pg: pg.facts,
    pgSkipped: pg.error,
    replication: primary
      ? {
          replicas: status.nodes
            .filter((n) => n.role === "replica")
            .map((n) => ({
              name: n.name,
              state: n.state,
              lagBytes: n.lagBytes,
              lagSeconds: n.lagSeconds,
              // Nothing left to replay: an apparent lag in seconds is the primary writing nothing.
              primaryIdle: n.lagBytes === 0 && (n.lagSeconds ?? 0) >= 1,
              streaming: n.state === "running" ? n.lagBytes !== null : null,
            })),
          slots: status.replicationSlots ?? null,
        }
      : null,
    archive: primary
      ? {
          enabled: status.backups.enabled && a !== null,
          state: a?.state ?? "off",
          lastArchived: a?.lastArchived ?? null,
          lastArchivedAt: a?.lastArchivedAt ?? null,
          failedCount: a?.failedCount ?? 0,
          failingSince: a?.failingSince ?? null,
          lastError: a?.lastError ?? null,
        }
      : null,
    storage: disk
      ? {
          usedBytes: status.storage.usedBytes,
          freeBytes: disk.availableBytes,
          allocatedBytes: null,
          maxAllocatedBytes: null,
          fileSystemBytes: disk.sizeBytes,
          path: disk.path,
          growthBytesPerDay: rate.perDay,
          growthWindowHours: rate.hours,
        }
      : null,
    cpu,
  };
}

function caExpiry(pem: string | null): string | null {
  if (!pem) return null;
  try {
    return new Date(new X509Certificate(pem).validTo).toISOString();
  } catch {
    return null;
  }
}

async function readPg(
  s: Session,
  port: number,
  light = false,
): Promise<{ facts: HealthObservation["pg"]; error: string | null }> {
  let c: Awaited<ReturnType<Session["admin"]>>;
  try {
    c = await s.admin(port, s.config.dbName, { timeoutMs: 3000 });
  } catch (e) {
    return {
      facts: null,
      error: `ebdb could not connect: ${(e as { cause?: Error }).cause?.message ?? (e as Error).message}`,
    };
  }
  try {
    return { facts: await readPgFacts(c, { light }), error: null };
  } catch (e) {
    return { facts: null, error: (e as Error).message };
  } finally {
    await c.end().catch(() => {});
  }
}

/** The application's own way in: the master user and password, TLS verified against the project CA. */
async function authStep(s: Session, port: number, caPem: string | null): Promise<Step> {
  const password = await s.existingPassword();
  if (!password) return { ok: false, detail: `the password file ${s.layout.passwordFile} is missing` };
  if (!caPem) return { ok: null, detail: "not tried: the project CA is missing" };
  try {
    const c = await connect(port, s.config.masterUsername, password, s.config.dbName, {
      ca: caPem,
      timeoutMs: 3000,
    });
    await c.end().catch(() => {});
    return { ok: true, detail: `${s.config.masterUsername} logs in to ${s.config.dbName} (SCRAM, TLS)` };
  } catch (e) {
    const msg = (e as { cause?: Error }).cause?.message ?? (e as Error).message;
    return { ok: false, detail: `${s.config.masterUsername} cannot log in to ${s.config.dbName}: ${msg}` };
  }
}
