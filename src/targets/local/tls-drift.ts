import { join } from "node:path";
import { userError } from "../../errors.js";
import type { Change } from "../../model/change.js";
import { readFileSafe } from "./fs-safe.js";
import { pgdataOf } from "./layout.js";
import type { NodeMeta } from "./meta.js";
import { caCertFile, tlsFiles } from "./node-files.js";
import type { Session } from "./session.js";
import type { NodeView } from "./status.js";
import { isSignedBy } from "./tls.js";

/**
 * The names of the nodes whose server certificate is not the project's current CA-signed one (an
 * older ebdb's self-signed certificate, one about to end, or the project's files incomplete), of
 * those given. Reads only.
 */
async function unverifiable(s: Session, nodes: readonly NodeMeta[]): Promise<string[]> {
  const f = tlsFiles(s.layout);
  const [ca, cert, key, published] = await Promise.all(
    [f.caCert, f.cert, f.key, caCertFile(s.layout)].map((p) => readFileSafe(p).catch(() => null)),
  );
  const projectOk = !!ca && !!cert && !!key && published === ca && isSignedBy({ cert, key }, ca);
  const out: string[] = [];
  for (const m of nodes) {
    const have = await readFileSafe(join(pgdataOf(s.layout, m.name), "server.crt")).catch(() => null);
    // No certificate at all: an incomplete data directory, which `up` rebuilds; not this check's.
    if (have !== null && (!projectOk || have !== cert)) out.push(m.name);
  }
  return out;
}

/**
 * For each complete node that does not present a certificate the project's CA signed: a change that
 * gives it one (written with its configuration, then a reload: no restart, no data touched), so
 * applications can verify it with sslmode=verify-full. Converges projects made by an older ebdb.
 */
export async function tlsDrift(s: Session, views: readonly NodeView[]): Promise<Change[]> {
  const ready = views.filter((v) => v.complete && v.meta.state === "ready").map((v) => v.meta);
  const names = new Set(await unverifiable(s, ready));
  return ready
    .filter((m) => names.has(m.name))
    .map((m) => ({
      resource: m.name,
      kind: m.role === "replica" ? "replica" : "instance",
      action: "update",
      field: "tls",
      from: "a certificate the project's CA did not sign",
      to: `signed by the project's CA (${caCertFile(s.layout)})`,
      impact: "none",
      reason: `Gives ${m.name} a server certificate signed by the project's CA, so applications verify it (sslmode=verify-full) (reloaded, no restart)`,
    }));
}

/**
 * Throws a user error (exit 2) naming the fix when one of `nodes` does not present the project's
 * CA-signed certificate yet: the connection settings ebdb hands out would fail verification there.
 */
export async function requireVerifiableTls(s: Session, nodes: readonly NodeMeta[]): Promise<void> {
  const bad = await unverifiable(s, nodes);
  if (bad.length === 0) return;
  throw userError(
    "TLS_NOT_CONVERGED",
    `${bad.join(", ")} ${bad.length > 1 ? "do" : "does"} not present a certificate signed by the project's CA yet (made by an older ebdb), so clients could not verify ${bad.length > 1 ? "them" : "it"}.`,
    "Run `ebdb up`: it gives every server a CA-signed certificate (a reload: no restart, no data touched).",
  );
}
