import { dirname } from "node:path";
import type pg from "pg";
import type { CommandContext } from "../../api/context.js";
import { userError } from "../../errors.js";
import type { Config } from "../../model/config.js";
import type { Desired } from "../../model/desired-types.js";
import type { Secret } from "../../model/secret.js";
import { checkMajor, findBinaries, type PgBinaries } from "./binaries.js";
import { walCompressor } from "./compressor.js";
import { destroyMark } from "./destroy.js";
import { readFileSafe } from "./fs-safe.js";
import { cacheRoot, createLayout, findLayout, isLegacyLayout, type Layout } from "./layout.js";
import { projectCertificate, tlsFiles } from "./node-files.js";
import { liveHolder } from "./lock.js";
import { connect } from "./pg-client.js";
import { ADMIN_USER } from "./roles.js";
import { type InternalSecrets, masterPassword, readInternalSecrets, readPasswordFile } from "./secrets.js";
import { resolveServerUser, type ServerUser, templateUser } from "./server-user.js";

/** Everything one local operation needs about one database, resolved once. */
export interface Session {
  ctx: CommandContext;
  desired: Desired;
  config: Config;
  /** The OS user this project's servers run as. */
  user: ServerUser;
  layout: Layout;
  cache: string;
  /** The binaries (found on first use). */
  binaries(): Promise<PgBinaries>;
  /** The OS user that builds the shared initdb templates. */
  templateUser(): ServerUser;
  /** The master password, generated and stored on first use when the configuration has none. */
  password(): Promise<Secret>;
  /** The master password if one exists already (never generates). */
  existingPassword(): Promise<Secret | null>;
  /** ebdb's own credentials (generated at creation); a clear error when they are missing. */
  internal(): Promise<InternalSecrets>;
  /**
   * A connection to a node as ebdb's internal superuser (never the application's credentials);
   * its statements are neither tracked nor logged (see roles.ts).
   */
  admin(port: number, database?: string, opts?: { timeoutMs?: number }): Promise<pg.Client>;
  /** Runs `fn` with an admin connection, always closing it. */
  withAdmin<T>(port: number, database: string, fn: (c: pg.Client) => Promise<T>): Promise<T>;
}

/**
 * Opens a session; `create` makes the server user (the directories come with `createState`, under
 * the project's lock). A state folder made
 * by an earlier ebdb is refused, except by `destroy` (`legacy`), which removes it as it finds it.
 */
export async function openSession(
  ctx: CommandContext,
  desired: Desired,
  opts: { create?: boolean; legacy?: boolean } = {},
): Promise<Session> {
  const config = desired.config;
  if (config.engine !== "postgres") {
    throw userError(
      "LOCAL_ENGINE_UNSUPPORTED",
      `The local target runs PostgreSQL only; the configuration asks for ${config.engine}.`,
      "Use --target aws for MySQL and MariaDB, or set DB_ENGINE=postgres.",
    );
  }
  checkMajor(config.engineMajor);
  // EBDB_WAL_COMPRESSION is read when a server's settings are written: a bad value is refused here,
  // before any command has begun.
  walCompressor(ctx.env);
  const projectDir = dirname(config.file);
  let user = resolveServerUser(ctx.env, { dir: projectDir, identifier: config.identifier }, opts.create);
  const layout = await findLayout(projectDir, config.identifier, user, ctx.env);
  // Its servers ran as the one shared user; its data-root pointer is never read.
  // A destroy under way holds the lock: a command that changes something waits for it, and checks
  // again once it holds the lock itself (refuseIfDestroyed).
  if (!opts.legacy && !(await liveHolder(layout.lockFile)))
    await refuseIfDestroyed(layout, config.identifier);
  if (opts.legacy && (await isLegacyLayout(layout))) user = templateUser(ctx.env);
  else if (await isLegacyLayout(layout)) {
    throw userError(
      "LEGACY_LAYOUT",
      `${config.identifier} was made by an earlier ebdb, whose master user was a PostgreSQL superuser and whose files a server could change (${layout.stateDir}).`,
      "Keep what you need with pg_dump (`ebdb url` gives the URL), then `ebdb destroy --yes` and `ebdb up` to make it again the safe way, and load the dump.",
    );
  }
  const cache = cacheRoot(ctx.env, user);
  let bins: Promise<PgBinaries> | undefined;
  let pw: Promise<Secret> | undefined;
  let internal: Promise<InternalSecrets> | undefined;
  let ca: Promise<string | null> | undefined;
  const s: Session = {
    ctx,
    desired,
    config,
    user,
    layout,
    cache,
    binaries() {
      bins ??= findBinaries(config.engineMajor, { env: ctx.env, cwd: ctx.cwd, user, cacheRoot: cache });
      return bins;
    },
    templateUser() {
      return templateUser(ctx.env);
    },
    password() {
      pw ??= masterPassword(layout.passwordFile, config.masterPassword).then((r) => r.secret);
      return pw;
    },
    async existingPassword() {
      return config.masterPassword ?? (await readPasswordFile(layout.passwordFile));
    },
    internal() {
      internal ??= readInternalSecrets(layout.internalFile).then((x) => {
        if (x) return x;
        throw userError(
          "NOT_CREATED",
          `${config.identifier} has not been created on this machine yet.`,
          "Run `ebdb up` to create it.",
        );
      });
      return internal;
    },
    async admin(port, database = "postgres", o = {}) {
      ca ??= projectCertificate(layout).then(() => readFileSafe(tlsFiles(layout).caCert));
      const pem = await ca;
      if (!pem)
        throw userError("NOT_CREATED", `${config.identifier} has no CA certificate yet.`, "Run `ebdb up`.");
      return connect(port, ADMIN_USER, (await s.internal()).admin, database, { ...o, ca: pem });
    },
    async withAdmin(port, database, fn) {
      const c = await s.admin(port, database);
      try {
        return await fn(c);
      } finally {
        await c.end().catch(() => {});
      }
    },
  };
  return s;
}

/** After an interrupted destroy only `destroy` may run (to finish): the data may be partly gone. */
export async function refuseIfDestroyed(layout: Layout, identifier: string): Promise<void> {
  const mark = await readFileSafe(destroyMark(layout)).catch(() => null);
  if (!mark) return;
  throw userError(
    "DESTROY_INTERRUPTED",
    `A destroy of ${identifier} was interrupted (started ${mark.trim()}); its data may be partly gone.`,
    "Run `ebdb destroy --yes` to finish it, then `ebdb up` to make a new database.",
  );
}

/** Makes the state and data directories of a session's layout (idempotent; call under the project's lock). */
export async function createState(s: Session): Promise<void> {
  await createLayout(s.layout, s.user);
}
