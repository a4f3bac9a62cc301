import type { PoolerStatus } from "../../targets/target.js";

/**
 * The pooler in front of the primary as `status` text: one line (what, where, state, the server
 * connections it may hold), then PgBouncer's pools (SHOW POOLS: clients active/waiting, server
 * connections active/idle, the oldest client's wait in seconds) and the note. Empty without one.
 */
export function poolerLines(p: PoolerStatus | null | undefined): string[] {
  if (!p) return [];
  const what = p.kind === "pgbouncer" ? `PgBouncer${p.version ? ` ${p.version}` : ""}` : "RDS Proxy";
  const where = p.host && p.port ? ` at ${p.host}:${p.port}` : "";
  const pid = p.pid ? `, pid ${p.pid}` : "";
  const cap = p.maxServerConnections === null ? "" : `; at most ${p.maxServerConnections} server connections`;
  const lines = [`Pooler: ${what} ${p.name}${where}: ${p.state}${pid}${cap}`];
  for (const x of p.pools ?? [])
    lines.push(
      `  pool ${x.database}/${x.user}: clients ${x.clientsActive} active, ${x.clientsWaiting} waiting (longest ${x.maxWaitSeconds} s); server connections ${x.serversActive} active, ${x.serversIdle} idle`,
    );
  if (p.note) lines.push(`  ${p.note}`);
  return lines;
}
