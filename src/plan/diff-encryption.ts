import type { Change } from "../model/change.js";
import type { DesiredInstance } from "../model/desired-types.js";
import type { ObservedInstance } from "../model/observed.js";
import type { DiffContext } from "./diff-context.js";
import type { Make } from "./diff-instance.js";
import { encryptionDowntimeMinutes, encryptionPath } from "./encryption-path.js";

/** A replacement is made only with --allow-replace; otherwise it is refused with what to do instead. */
function replaceOrRefuse(
  ctx: DiffContext,
  c: Change,
  refusedReason: string,
  push: (c: Change) => void,
  refuse: (c: Change) => void,
): void {
  if (ctx.allowReplace) push(c);
  else refuse({ ...c, reason: refusedReason });
}

/**
 * Whether the configured KMS key is the one RDS reports (a key ARN). null in the configuration is
 * the AWS-managed aws/rds key, whose ARN it does not know. An alias cannot be matched to a key ARN
 * without asking KMS, so it counts as the same key unless the target reports the alias (or resolves
 * it to the key's ARN) in kmsKeyId.
 */
function kmsMatches(want: string | null, have: string | null): boolean {
  if (want === null || have === null || want === have) return true;
  if (have.endsWith(`/${want}`) || have.endsWith(`:${want}`) || want.endsWith(`/${have}`)) return true;
  const alias = (k: string) => k.startsWith("alias/") || k.includes(":alias/");
  return alias(want) && !alias(have);
}

export function diffEncryption(
  ctx: DiffContext,
  want: DesiredInstance,
  have: ObservedInstance,
  change: Make,
  push: (c: Change) => void,
  refuse: (c: Change) => void,
): void {
  const w = want.storage;
  const h = have.storage;
  const downtime = `downtime about ${encryptionDowntimeMinutes(h.allocatedGiB)} minutes for ${h.allocatedGiB} GiB (estimate)`;
  if (w.encrypted && !h.encrypted) {
    const c = change(
      "storage.encrypted",
      false,
      true,
      "replace",
      `Encrypts the instance by replacing it: snapshot, encrypted copy of the snapshot, restore into a new instance under the same name, the old one kept as ${have.name}-unencrypted (the database is read-only or down during the switch, ${downtime}; replicas are recreated)`,
    );
    replaceOrRefuse(
      ctx,
      c,
      `RDS cannot encrypt a running instance: it must be replaced (snapshot, encrypted copy, restore; ${downtime}). Run up with --allow-replace to do that, or set DB_STORAGE_ENCRYPTED=false to keep it.`,
      push,
      refuse,
    );
    return;
  }
  // Kept unencrypted (an adopted database, say): the plan says how it could be, never does it unasked.
  if (!w.encrypted && !h.encrypted && ctx.desired.target === "aws" && want.role === "primary") {
    const note = encryptionPath(have.name, h.allocatedGiB, ctx.observed.replicas.length);
    if (!ctx.notes.includes(note)) ctx.notes.push(note);
  }
  if (!w.encrypted && h.encrypted) {
    refuse(
      change(
        "storage.encrypted",
        true,
        false,
        "replace",
        "RDS cannot decrypt an encrypted instance or its snapshots: set DB_STORAGE_ENCRYPTED=true (recommended), or dump and restore into a new unencrypted database.",
      ),
    );
    return;
  }
  if (w.encrypted && !kmsMatches(w.kmsKeyId, h.kmsKeyId)) {
    const c = change(
      "storage.kmsKeyId",
      h.kmsKeyId,
      w.kmsKeyId,
      "replace",
      `Moves the instance to KMS key ${w.kmsKeyId} by replacing it: snapshot, copy re-encrypted with the new key, restore under the same name`,
    );
    replaceOrRefuse(
      ctx,
      c,
      `RDS cannot change the KMS key of a running instance: it must be replaced (snapshot, copy with the new key, restore). Run up with --allow-replace, or set DB_KMS_KEY_ID to ${h.kmsKeyId}.`,
      push,
      refuse,
    );
  }
}
