import type { Desired } from "../../model/desired-types.js";
import type { AwsClients } from "./clients.js";
import type { AwsCtx } from "./context.js";
import { readRestored, waitReady } from "./instances.js";
import { modifyWithRetry } from "./modify.js";
import type { LiveSecret } from "./secret.js";

/**
 * The instances `ebdb restore` made from this database (tagged ebdb:restored-from, with this app's and
 * environment's tags) when the master password is about to change. RDS gives a restored instance the
 * snapshot's master password and keeps it (RDS User Guide, "Restoring to a DB instance"); ebdb gives
 * them the new one with the primary, so that the one set of credentials `env` and the EB environment
 * hand out works on every instance of the database.
 */
export interface LiveRestored {
  name: string;
  /** RDS's DBInstanceStatus. */
  status: string;
}

/** Statuses in which RDS takes no modification, and an instance that will not come back to one. */
const UNMODIFIABLE = new Set([
  "stopped",
  "stopping",
  "deleting",
  "failed",
  "incompatible-restore",
  "inaccessible-encryption-credentials",
]);

/**
 * The restored instances to give DB_MASTER_PASSWORD, read only when it differs from the secret's
 * (the listing covers every instance of the region). Empty otherwise.
 */
export async function restoredForPassword(
  aws: AwsClients,
  desired: Desired,
  secret: LiveSecret | null,
): Promise<LiveRestored[]> {
  const configured = desired.config.masterPassword?.reveal() ?? null;
  const doc = secret && !secret.deleted ? secret.doc : null;
  if (configured === null || doc === null || doc.password === configured) return [];
  return (await readRestored(aws, desired))
    .filter((i) => i.DBInstanceStatus !== "deleting")
    .map((i) => ({ name: i.DBInstanceIdentifier!, status: i.DBInstanceStatus ?? "unknown" }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Which restored instances get the password now, and which keep the old one (stopped, failed...). */
export function passwordReach(restored: readonly LiveRestored[]): { now: string[]; kept: LiveRestored[] } {
  return {
    now: restored.filter((r) => !UNMODIFIABLE.has(r.status)).map((r) => r.name),
    kept: restored.filter((r) => UNMODIFIABLE.has(r.status)),
  };
}

/** The plan's words for the restored instances: " and on restored instance X", and what is kept and how to fix it. */
export function restoredPasswordWords(restored: readonly LiveRestored[]): { on: string; kept: string } {
  const { now, kept } = passwordReach(restored);
  const s = (n: number) => (n > 1 ? "s" : "");
  return {
    on: now.length ? ` and on restored instance${s(now.length)} ${now.join(", ")}` : "",
    kept: kept.length
      ? `; ${kept.map((r) => `${r.name} (${r.status})`).join(", ")} keep${kept.length > 1 ? "" : "s"} the old password (RDS modifies no instance in that state): once available, set it there with \`aws rds modify-db-instance --db-instance-identifier <name> --master-user-password ... --apply-immediately\`, or remove it with \`ebdb destroy --instance <name>\``
      : "",
  };
}

/** Gives the restored instances that RDS can modify `password` (at once, like the primary's). */
export async function setRestoredPasswords(
  ctx: AwsCtx,
  restored: readonly LiveRestored[],
  password: string,
): Promise<void> {
  for (const name of passwordReach(restored).now) {
    await waitReady(ctx, name);
    await modifyWithRetry(ctx, {
      DBInstanceIdentifier: name,
      MasterUserPassword: password,
      ApplyImmediately: true,
    });
  }
}
