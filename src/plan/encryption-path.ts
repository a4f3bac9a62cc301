/**
 * Minutes RDS takes per GiB for each stage of the encryption path, and the fixed part of each: a
 * rough planning figure for gp2/gp3 (a first snapshot copies every block; a copy with a new key
 * re-encrypts every block; a restore is available before its blocks are loaded). Not a promise:
 * RDS publishes no rate; the figures are stated as estimates.
 */
const SNAPSHOT = { fixed: 5, perGiB: 0.1 };
const COPY = { fixed: 5, perGiB: 0.15 };
const RESTORE = { fixed: 10, perGiB: 0 };

/** Minutes the switch to an encrypted copy keeps the database from taking writes (estimate). */
export function encryptionDowntimeMinutes(allocatedGiB: number): number {
  const m = (s: { fixed: number; perGiB: number }) => s.fixed + s.perGiB * allocatedGiB;
  return Math.ceil(m(SNAPSHOT) + m(COPY) + m(RESTORE));
}

/**
 * The path RDS allows to encrypt an instance that is not (RDS User Guide, "Encrypting Amazon RDS
 * resources", limitations: an unencrypted instance cannot be encrypted in place; copy a snapshot with
 * encryption and restore it): what `ebdb up --allow-replace` does with DB_STORAGE_ENCRYPTED=true, and
 * its downtime. Never in place; `up` asks before it (impact replace). Pure.
 */
export function encryptionPath(identifier: string, allocatedGiB: number, replicas: number): string {
  const minutes = encryptionDowntimeMinutes(allocatedGiB);
  return [
    `${identifier} is not encrypted, and RDS cannot encrypt a running instance.`,
    "The path RDS allows: stop the application's writes, snapshot the instance, copy the snapshot encrypted with KMS, rename the instance to",
    `${identifier}-unencrypted (kept until you delete it), and restore the copy under the name ${identifier}, so the application's settings keep working;`,
    `${replicas > 0 ? `its ${replicas} read replica(s) are made anew from the encrypted instance; ` : ""}writes made after the snapshot are not in the copy.`,
    `Downtime: about ${minutes} minutes for ${allocatedGiB} GiB (estimate: snapshot, copy and restore; more with a busy volume).`,
    'To do it (after decoupling, for a database EB made): set DB_STORAGE_ENCRYPTED="true"; `ebdb plan --target aws` shows the change, refused without --allow-replace; `ebdb up --target aws --allow-replace` makes it, after asking.',
  ].join(" ");
}
