import type { Secret } from "../../model/secret.js";
import { pgdataOf } from "./layout.js";
import { listMetas, type NodeMeta } from "./meta.js";
import { inspect } from "./process.js";
import { setMasterPassword } from "./roles.js";
import { scramMatches } from "./secrets.js";
import type { Session } from "./session.js";

/**
 * The master password of restored instances. A restore gets the project's current master password
 * when it is made (restore.ts); these keep that true afterwards, so that what `env`, `exec` and `psql
 * --instance` hand out logs in to every instance of the project. (RDS leaves a restored instance with
 * the snapshot's password; ebdb's rule is its own, for one set of credentials per project.)
 */

/** The restored instances that are fully made, by name (in listMetas' order). */
export async function restoredNodes(s: Session): Promise<NodeMeta[]> {
  return (await listMetas(s.layout)).filter((m) => m.role === "restored" && m.state === "ready");
}

/**
 * Whether restored instance `m`, running, accepts `password` for the master user: its SCRAM verifier
 * in pg_authid is compared (no login is tried, so no failed login lands in its log). Null when it is
 * not running or cannot be asked (then nothing is known).
 */
export async function restoredHasPassword(
  s: Session,
  m: NodeMeta,
  password: Secret,
): Promise<boolean | null> {
  if ((await inspect(pgdataOf(s.layout, m.name))).state !== "running") return null;
  try {
    return await s.withAdmin(m.port, "postgres", async (c) => {
      const r = await c.query<{ v: string | null }>(
        "SELECT rolpassword AS v FROM pg_authid WHERE rolname = $1",
        [s.config.masterUsername],
      );
      return r.rows.length > 0 && scramMatches(r.rows[0].v, password.reveal());
    });
  } catch {
    return null;
  }
}

/**
 * Gives every running restored instance the master password `password`.
 * Returns the names set, and those not running (they keep their password until they run again:
 * `up` starts them, and gives them the password then).
 */
export async function setRestoredPasswords(
  s: Session,
  password: Secret,
  major: number,
): Promise<{ set: string[]; notRunning: string[] }> {
  const set: string[] = [];
  const notRunning: string[] = [];
  for (const m of await restoredNodes(s)) {
    if ((await inspect(pgdataOf(s.layout, m.name))).state !== "running") {
      notRunning.push(m.name);
      continue;
    }
    await s.withAdmin(m.port, "postgres", (c) =>
      setMasterPassword(c, s.config.masterUsername, password, major),
    );
    set.push(m.name);
  }
  return { set, notRunning };
}

/**
 * After `up` started restored instance `m`: gives it the current master password when it kept an
 * older one (a password change while it was stopped). Returns whether it did.
 */
export async function catchUpRestoredPassword(
  s: Session,
  m: NodeMeta,
  password: Secret,
  major: number,
): Promise<boolean> {
  if (m.role !== "restored" || (await restoredHasPassword(s, m, password)) !== false) return false;
  await s.withAdmin(m.port, "postgres", (c) =>
    setMasterPassword(c, s.config.masterUsername, password, major),
  );
  return true;
}
