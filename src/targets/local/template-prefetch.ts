import { findBinaries, type PgBinaries } from "./binaries.js";
import { listMetas } from "./meta.js";
import type { ServerUser } from "./server-user.js";
import type { Session } from "./session.js";
import { getTemplate, releaseTemplate, type Template } from "./template.js";

/**
 * A first `up` (no primary yet) starts getting its initdb template as soon as it holds the lock,
 * while it still observes, plans, asks and makes the project's user and secrets: with no template
 * cached that is an initdb of about a second, the longest step of a new user's first `up`, which
 * then no longer waits behind a third of a second of other work (issue 13). createCluster takes
 * it (takeTemplate); one nobody took (nothing to create, the user said no, an error) is released.
 */
interface Pending {
  cache: string;
  /** EBDB_TEMPLATE_CACHE as it was (off: a build for one use). */
  mode: string;
  got: Promise<{ bins: PgBinaries; t: Template } | null>;
  taken: boolean;
}
let pending: Pending | null = null;

/** Starts getting the template when the project has no primary yet; returns the release to call at the end. */
export async function prefetchTemplate(s: Session): Promise<() => Promise<void>> {
  if ((await listMetas(s.layout)).some((m) => m.role === "primary")) return async () => {};
  const user = s.templateUser();
  let started = () => {};
  const initdb = new Promise<void>((resolve) => {
    started = resolve;
  });
  const got = findBinaries(s.config.engineMajor, {
    env: s.ctx.env,
    cwd: s.ctx.cwd,
    user,
    cacheRoot: s.cache,
  })
    .then(async (bins) => ({ bins, t: await getTemplate(bins, user, s.cache, s.ctx.env, started) }))
    // Failures are the real call's to report (takeTemplate calls getTemplate again).
    .catch(() => null);
  const mine: Pending = { cache: s.cache, mode: s.ctx.env.EBDB_TEMPLATE_CACHE ?? "", got, taken: false };
  pending = mine;
  // The rest of `up` starts processes synchronously (probes, useradd) that would hold initdb's own
  // start back: it goes first, then runs on the other core meanwhile.
  await Promise.race([initdb, got]);
  return async () => {
    if (pending === mine) pending = null;
    const left = mine.taken ? null : await mine.got;
    if (left) await releaseTemplate(left.t);
  };
}

/** The template prefetchTemplate got, when it is for these binaries and this cache; else getTemplate's. */
export async function takeTemplate(
  bins: PgBinaries,
  user: ServerUser,
  cache: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Template> {
  const p = pending;
  if (p && !p.taken && p.cache === cache && p.mode === (env.EBDB_TEMPLATE_CACHE ?? "")) {
    p.taken = true;
    const r = await p.got;
    if (r && r.bins.version === bins.version && r.bins.source === bins.source) return r.t;
    if (r) await releaseTemplate(r.t);
  }
  return getTemplate(bins, user, cache, env);
}
