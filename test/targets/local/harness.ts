import { mkdtempSync, rmSync } from "node:fs";
import pg from "pg";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CommandContext } from "../../../src/api/context.js";
import { RecordingIoHost } from "../../../src/io.js";
import type { Config } from "../../../src/model/config.js";
import { deriveDesired } from "../../../src/model/desired.js";
import type { Desired } from "../../../src/model/desired-types.js";
import type { Plan } from "../../../src/model/change.js";
import { diff } from "../../../src/plan/diff.js";
import { createLocalTarget } from "../../../src/targets/local/index.js";
import { pgdataOf } from "../../../src/targets/local/layout.js";
import { listMetas } from "../../../src/targets/local/meta.js";
import { stopServersUnder } from "../../../src/targets/local/orphans.js";
import { stopServer } from "../../../src/targets/local/process.js";
import { removeProjectUser } from "../../../src/targets/local/server-user.js";
import { openSession } from "../../../src/targets/local/session.js";
import type { Target } from "../../../src/targets/target.js";
import { type DeepPartial, makeConfig } from "../../fixtures/config.js";

/** The system PostgreSQL 15 here (CI installs it too); the embedded 16 comes from node_modules. */
export const SYSTEM_PG15 = { engineVersion: "15.8", engineMajor: "15" } as const;
export const EMBEDDED_PG16 = { engineVersion: "16.8", engineMajor: "16" } as const;

let counter = 0;

/** A throwaway project folder with a config for the local target, and the target itself. */
export interface Project {
  dir: string;
  config: Config;
  desired: Desired;
  ctx: CommandContext;
  io: RecordingIoHost;
  target: Target;
  /** Replaces the configuration (e.g. a new replica count) keeping the same project. */
  reconfigure(overrides: DeepPartial<Config>): void;
  /** Stops every server and removes everything. */
  cleanup(): Promise<void>;
}

export function makeProject(
  name: string,
  overrides: DeepPartial<Config> = {},
  env: Record<string, string> = {},
): Project {
  const dir = mkdtempSync(join(tmpdir(), `ebdb-${name}-`));
  const appName = `${name}${process.pid % 1000}${counter++}`;
  const io = new RecordingIoHost(true);
  const ctx: CommandContext = { cwd: dir, env: { ...process.env, ...env }, io, target: "local" };
  const base = (o: DeepPartial<Config>) =>
    makeConfig({
      appName,
      envName: "test",
      file: join(dir, "config.env"),
      multiAz: false,
      replicas: { enabled: true, count: 0, min: 0, max: 0 },
      ...SYSTEM_PG15,
      ...o,
    });
  let current = overrides;
  const p: Project = {
    dir,
    config: base(overrides),
    desired: deriveDesired(base(overrides), "local"),
    ctx,
    io,
    target: createLocalTarget(ctx),
    reconfigure(o) {
      current = { ...current, ...o };
      p.config = base(current);
      p.desired = deriveDesired(p.config, "local");
    },
    async cleanup() {
      if (process.env.EBDB_TEST_KEEP) return;
      try {
        await p.target.destroy(p.desired, { skipFinalSnapshot: true }, io);
      } catch {
        // Whatever happened, no server may outlive the test.
        const s = await openSession(ctx, p.desired, { legacy: true });
        for (const m of await listMetas(s.layout))
          await stopServer(pgdataOf(s.layout, m.name)).catch(() => {});
        await stopServersUnder(s.layout.dataRoot, s.user).catch(() => []);
        removeProjectUser(s.user);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return p;
}

/** What `ebdb up` does, without reading a config.env: observe, diff (with the target's drift), apply. */
export async function upProject(p: Project): Promise<Plan> {
  const observed = await p.target.observe(p.desired);
  const plan = diff(p.desired, observed);
  if (plan.changes.length) await p.target.apply(plan, p.desired, p.io);
  return plan;
}

/** A TLS client to a node of the project (self-signed certificate, so not verified). */
export async function client(p: Project, port?: number, database?: string): Promise<pg.Client> {
  const conn = await p.target.connection(p.desired);
  const c = new pg.Client({
    host: conn.host,
    port: port ?? conn.port,
    user: conn.username,
    password: conn.password.reveal(),
    database: database ?? conn.dbName,
    ssl: { rejectUnauthorized: false },
  });
  c.on("error", () => {});
  await c.connect();
  return c;
}

/** Polls `fn` until it returns a value that is not undefined, or throws after `ms`. */
export async function eventually<T>(fn: () => Promise<T | undefined>, ms = 10_000, every = 20): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** A connection as ebdb's internal superuser (what ebdb itself uses; the application never has it). */
export async function adminClient(p: Project, port?: number, database = "postgres"): Promise<pg.Client> {
  const s = await openSession(p.ctx, p.desired);
  const conn = await p.target.connection(p.desired);
  return s.admin(port ?? conn.port, database);
}
