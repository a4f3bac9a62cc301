import type { Change, Plan } from "../model/change.js";
import type { Config } from "../model/config.js";

/**
 * The changes that set the database's master password to DB_MASTER_PASSWORD: the local target's
 * (`secret`/`password`, the password file and the server) and the AWS target's
 * (`instance`/`masterPassword`, ModifyDBInstance then the secret).
 */
function setsMasterPassword(c: Change): boolean {
  return (
    c.action === "update" &&
    ((c.kind === "secret" && c.field === "password") ||
      (c.kind === "instance" && c.field === "masterPassword"))
  );
}

/**
 * The plan with the reason of a master-password change completed when DB_MASTER_PASSWORD depends on
 * who runs ebdb (a `$NAME` in config.env that the caller's environment fills): the change may only
 * mean that someone else, or another shell, ran ebdb, and the plan says so rather than changing the
 * password silently. Pure; returns `plan` itself when there is nothing to add.
 */
export function explainCallerDependence(plan: Plan, config: Pick<Config, "callerDependent">): Plan {
  if (!config.callerDependent.masterPassword || !plan.changes.some(setsMasterPassword)) return plan;
  const why =
    " — DB_MASTER_PASSWORD depends on who runs ebdb (config.env fills a $NAME in it from the caller's environment), so it may differ only because ebdb runs in another shell or as another user: see `ebdb validate`";
  return {
    ...plan,
    changes: plan.changes.map((c) => (setsMasterPassword(c) ? { ...c, reason: `${c.reason}${why}` } : c)),
  };
}
