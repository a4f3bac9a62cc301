import { userError } from "../errors.js";

/** RDS instance identifiers: at most 63 characters (RDS User Guide, "DB instance identifier" constraints). */
const MAX_ID = 63;

/**
 * The default name of a restored instance: `<identifier>-restored-<YYYYMMDDhhmmss>` (UTC), with `-n` for
 * the n-th try when that name is taken (n >= 2). Seconds, and a suffix, so that restores started within
 * the same minute, or second, get different names. The identifier part is shortened (no trailing
 * hyphen) when the whole would exceed RDS's 63 characters: restored instances are found by their
 * `ebdb:restored-from` tag, not by name.
 */
export function defaultRestoreName(identifier: string, now: Date, n = 1): string {
  const stamp = now.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  const tail = `-restored-${stamp}${n > 1 ? `-${n}` : ""}`;
  const head = identifier.slice(0, MAX_ID - tail.length).replace(/-+$/, "");
  return `${head}${tail}`;
}

/**
 * Refuses a name for a restored instance (--name) that RDS would refuse or that ebdb would take for
 * another node: RDS's identifier rules (1-63 letters, digits and hyphens, a letter first, no `--`,
 * no hyphen last; RDS stores it in lower case, so upper case is refused rather than changed), and
 * neither the primary's identifier nor a name in the replicas' pattern `<identifier>-replica-<n>`
 * (a node with such a name would be taken for a replica, and replicas hold no data of their own).
 * Throws BAD_NAME (a user error, exit 2).
 */
export function checkRestoreName(identifier: string, name: string): void {
  const why =
    name.length === 0 || name.length > MAX_ID
      ? `is ${name.length} characters; RDS allows 1-${MAX_ID}`
      : /[A-Z]/.test(name)
        ? "has upper-case letters; RDS keeps identifiers in lower case"
        : !/^[a-z]/.test(name)
          ? "does not start with a letter"
          : /[^a-z0-9-]/.test(name)
            ? "has characters other than letters, digits and hyphens"
            : name.includes("--")
              ? "has two hyphens in a row"
              : name.endsWith("-")
                ? "ends with a hyphen"
                : name === identifier
                  ? "is the primary's identifier"
                  : /-replica-[0-9]+$/.test(name)
                    ? "ends like a read replica's name (-replica-<n>), which ebdb keeps for replicas"
                    : null;
  if (!why) return;
  const suggestion = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/-replica-([0-9]+)$/, "-restored-$1")
    .replace(/^[^a-z]+/, "")
    .replace(/-+$/, "")
    .slice(0, MAX_ID);
  throw userError(
    "BAD_NAME",
    `--name ${name} ${why}.`,
    suggestion && suggestion !== name && suggestion !== identifier
      ? `Use 1-${MAX_ID} lower-case letters, digits and single hyphens, a letter first, e.g. --name ${suggestion}.`
      : `Use 1-${MAX_ID} lower-case letters, digits and single hyphens, a letter first, not ending like -replica-<n>.`,
  );
}
