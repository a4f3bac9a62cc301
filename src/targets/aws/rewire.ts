import type { AwsCtx } from "./context.js";
import { updateEnvironment, wiringEdits } from "./eb.js";
import { alarmsForReplicas, ensureAlarms } from "./monitoring.js";
import { gather } from "./observe.js";
import { replicaEndpoints, wantedWiring } from "./wiring.js";

/**
 * After a day-2 change of the topology (a replica added or removed, a restore switched in): the
 * replicas' lag alarms and the EB environment's host properties follow. `primaryHost` overrides the
 * primary's endpoint (restore --switch); `replicaHosts` the replicas' `host:port` list (empty for a restored instance).
 */
export async function rewire(
  ctx: AwsCtx,
  opts: { primaryHost?: string; replicaHosts?: string[] } = {},
): Promise<void> {
  const live = await gather(ctx.aws, ctx.desired);
  const names = live.instances.replicas.map((r) => r.DBInstanceIdentifier!);
  if (live.topic) await ensureAlarms(ctx, live.alarms, alarmsForReplicas(ctx.desired, names), live.topic.arn);
  if (!live.secret?.doc) return;
  const want = wantedWiring(ctx.desired, live.env, {
    endpoints: {
      primary: opts.primaryHost ?? live.instances.primary?.Endpoint?.Address ?? null,
      replicas: opts.replicaHosts ?? replicaEndpoints(live.instances.replicas),
    },
    secretArn: live.secret.arn,
    password: live.secret.doc.password,
    secretsSupported: live.secretsSupported,
    clientSg: live.clientSg,
  });
  // Only the endpoints move here; security groups are up's business.
  want.securityGroups = null;
  await updateEnvironment(ctx, live.env, wiringEdits(live.env, want));
}
