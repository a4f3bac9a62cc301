/**
 * Pool sizing that cannot exhaust the server (pure). The spec's "too many connections" trouble is N
 * application instances each opening M connections: N × M must stay under what max_connections
 * leaves once the reserved slots are kept. Units: connections; instances are application instances
 * (the EB environment's Auto Scaling group at its maximum).
 */

/**
 * superuser_reserved_connections: slots only superusers may take (PostgreSQL's default, RDS's, and the
 * local servers': RDS's own sessions there, ebdb's `status` here). PostgreSQL docs, "Connections and
 * Authentication".
 */
export const SUPERUSER_RESERVED = 3;

/**
 * Slots ebdb keeps out of every pool: a migration run (`ebdb migrate`, one connection, two for tools
 * that take a lock on a second one) and an operator (psql, `ebdb exec`, a pg_dump).
 */
export const OPERATIONS_RESERVE = 5;

export interface SizingInput {
  /** The primary's max_connections. */
  maxConnections: number;
  /** Where that number comes from, e.g. "RDS's default for db.t3.micro". */
  maxConnectionsFrom: string;
  /** Application instances at most (the Auto Scaling group's MaxSize; 1 locally). */
  instances: number;
  /** Where that number comes from, e.g. "aws:autoscaling:asg MaxSize of my-app-prod". */
  instancesFrom: string;
  /** DB_POOL_SIZE; null: computed. */
  configured: number | null;
  /** The pooler in front of the primary, if any: RDS Proxy (AWS) or PgBouncer (local). */
  pooler: "rds-proxy" | "pgbouncer" | null;
}

export interface PoolSizing {
  maxConnections: number;
  superuserReserved: number;
  operationsReserve: number;
  /** What the application may use: max_connections less both reserves (never below 0). */
  available: number;
  instances: number;
  /** floor(available / instances): the largest pool per instance that cannot exhaust the server. */
  computed: number;
  /** The pool each instance uses: DB_POOL_SIZE when set, else `computed`. */
  perInstance: number;
  /** perInstance × instances: the most the application can hold at full scale. */
  total: number;
  /** total ≤ available and perInstance ≥ 1. */
  fits: boolean;
  /**
   * The pooler's cap on server connections: RDS Proxy's MaxConnectionsPercent (of max_connections),
   * and the local PgBouncer's pool (default_pool_size, max_db_connections); null without a pooler.
   */
  pooler: {
    kind: "rds-proxy" | "pgbouncer";
    serverConnections: number;
    maxConnectionsPercent: number;
  } | null;
  /** The arithmetic, one step a line, for `plan`. */
  lines: string[];
  /** What makes the configuration unable to hold (empty when it fits). */
  warnings: string[];
}

/**
 * The per-instance pool and the pooler's cap for a configuration. A pooler in front of the primary
 * (RDS Proxy, the local PgBouncer) holds at most `available` server connections whatever the
 * instances open to it; without one, each instance's own pool (or `ebdb pooler pgbouncer` beside it)
 * must hold at most `computed`. DB_POOL_SIZE larger than that, or more instances than connections,
 * is a warning: at full scale the server would refuse connections ("too many clients").
 */
export function poolSizing(input: SizingInput): PoolSizing {
  const max = input.maxConnections;
  const available = Math.max(0, max - SUPERUSER_RESERVED - OPERATIONS_RESERVE);
  const instances = Math.max(1, input.instances);
  const computed = Math.floor(available / instances);
  const perInstance = input.configured ?? computed;
  const total = perInstance * instances;
  const warnings: string[] = [];
  if (available === 0) {
    warnings.push(
      `max_connections ${max} leaves nothing for the application once ${SUPERUSER_RESERVED + OPERATIONS_RESERVE} slots are reserved: choose a larger instance class.`,
    );
  } else if (!input.pooler && computed < 1 && input.configured === null) {
    warnings.push(
      `${instances} instances cannot each hold a connection of the ${available} max_connections leaves: lower the environment's maximum instance count (aws:autoscaling:asg MaxSize), choose a larger instance class, or put a pooler in front (DB_RDS_PROXY_ENABLED).`,
    );
  } else if (!input.pooler && total > available) {
    warnings.push(
      `${instances} instances × DB_POOL_SIZE ${perInstance} = ${total} connections, more than the ${available} max_connections leaves: at full scale the server refuses connections ("too many clients"). Set DB_POOL_SIZE to at most ${computed}, or put a pooler in front (DB_RDS_PROXY_ENABLED).`,
    );
  } else if (input.pooler === "pgbouncer" && perInstance > available) {
    warnings.push(
      `DB_POOL_SIZE ${perInstance} is more than the ${available} max_connections leaves: PgBouncer's pool is held to ${available}.`,
    );
  }
  const poolerCap =
    input.pooler && available > 0
      ? {
          kind: input.pooler,
          serverConnections:
            input.pooler === "pgbouncer" ? Math.min(available, input.configured ?? available) : available,
          maxConnectionsPercent: Math.max(1, Math.floor((100 * available) / max)),
        }
      : null;
  const lines = [
    `max_connections ${max} (${input.maxConnectionsFrom})`,
    `− ${SUPERUSER_RESERVED} superuser_reserved_connections`,
    `− ${OPERATIONS_RESERVE} kept for migrations and an operator (psql, ebdb exec)`,
    `= ${available} for the application`,
    `÷ ${instances} application instance${instances === 1 ? "" : "s"} at most (${input.instancesFrom}) = ${computed} per instance${
      input.configured === null
        ? ""
        : `; DB_POOL_SIZE ${input.configured} × ${instances} = ${total}${total > available ? ` > ${available}` : ` ≤ ${available}`}`
    }`,
  ];
  if (poolerCap?.kind === "rds-proxy")
    lines.push(
      `RDS Proxy: MaxConnectionsPercent ${poolerCap.maxConnectionsPercent} (at most ${Math.floor((poolerCap.maxConnectionsPercent * max) / 100)} of ${max} server connections, whatever the instances open to it)`,
    );
  if (poolerCap?.kind === "pgbouncer")
    lines.push(
      `PgBouncer: default_pool_size ${poolerCap.serverConnections} server connections, up to 1000 clients (max_client_conn)`,
    );
  return {
    maxConnections: max,
    superuserReserved: SUPERUSER_RESERVED,
    operationsReserve: OPERATIONS_RESERVE,
    available,
    instances,
    computed,
    perInstance,
    total,
    fits: warnings.length === 0,
    pooler: poolerCap,
    lines,
    warnings,
  };
}
