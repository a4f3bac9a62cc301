import { syncApp } from "./app-sync.js";
import type { AwsCtx } from "./context.js";
import { alarmsForReplicas, ensureAlarms } from "./monitoring.js";
import { gather } from "./observe.js";
import { poolerEndpoint } from "./proxy.js";
import { replicaEndpoints } from "./wiring.js";

/**
 * After a day-2 change of the topology (a replica added or removed, a restore switched in): the
 * replicas' lag alarms, the EB environment's host properties and DATABASE_URL follow. `primaryHost`
 * overrides the primary's endpoint (restore --switch); `replicaHosts` the replicas' `host:port` list
 * (empty for a restored instance).
 */
export async function rewire(
  ctx: AwsCtx,
  opts: { primaryHost?: string; replicaHosts?: string[] } = {},
): Promise<void> {
  const live = await gather(ctx.aws, ctx.desired);
  const names = live.instances.replicas.map((r) => r.DBInstanceIdentifier!);
  if (live.topic) await ensureAlarms(ctx, live.alarms, alarmsForReplicas(ctx.desired, names), live.topic.arn);
  if (!live.secret?.doc) return;
  await syncApp(ctx, live, {
    endpoints: {
      primary: opts.primaryHost ?? live.instances.primary?.Endpoint?.Address ?? null,
      replicas: opts.replicaHosts ?? replicaEndpoints(live.instances.replicas),
      pooler: poolerEndpoint(live.proxy, ctx.desired),
    },
    password: live.secret.doc.password,
    secretArn: live.secret.arn,
    clientSg: null,
    // Only the endpoints move here; security groups are up's business.
    manageSecurityGroups: false,
  });
}
