import { dirname } from "node:path";
import type { CommandContext } from "../../api/context.js";
import { userError } from "../../errors.js";
import type { Config } from "../../model/config.js";
import type { Desired } from "../../model/desired-types.js";
import type { Secret } from "../../model/secret.js";
import { checkMajor, findBinaries, type PgBinaries } from "./binaries.js";
import { cacheRoot, createLayout, findLayout, type Layout } from "./layout.js";
import { masterPassword, readPasswordFile } from "./secrets.js";
import { resolveServerUser, type ServerUser } from "./server-user.js";

/** Everything one local operation needs about one database, resolved once. */
export interface Session {
  ctx: CommandContext;
  desired: Desired;
  config: Config;
  user: ServerUser;
  layout: Layout;
  cache: string;
  /** The binaries (found on first use). */
  binaries(): Promise<PgBinaries>;
  /** The master password, generated and stored on first use when the configuration has none. */
  password(): Promise<Secret>;
  /** The master password if one exists already (never generates). */
  existingPassword(): Promise<Secret | null>;
}

/** Opens a session; `create` makes the state directories. */
export async function openSession(
  ctx: CommandContext,
  desired: Desired,
  opts: { create?: boolean } = {},
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
  const user = resolveServerUser(ctx.env);
  const layout = await findLayout(dirname(config.file), config.identifier, user, ctx.env);
  if (opts.create) await createLayout(layout, user);
  const cache = cacheRoot(ctx.env, user);
  let bins: Promise<PgBinaries> | undefined;
  let pw: Promise<Secret> | undefined;
  return {
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
    password() {
      pw ??= masterPassword(layout.passwordFile, config.masterPassword).then((r) => r.secret);
      return pw;
    },
    async existingPassword() {
      return config.masterPassword ?? (await readPasswordFile(layout.passwordFile));
    },
  };
}
