import type { CommandContext } from "../../api/context.js";
import { policyConfigFrom } from "../../autoscale/config.js";
import type { AutoscaleRunner } from "../../autoscale/runner-types.js";
import { userError } from "../../errors.js";
import type { Desired } from "../../model/desired-types.js";
import { localReaderAddress } from "./autoscale-direct.js";
import { LocalRunner } from "./autoscale-runner.js";
import { continueState, readState, runnerLockFile } from "./autoscale-state.js";
import { localAutoscaleStatus } from "./autoscale-status.js";
import { withLock } from "./lock.js";
import { openSession } from "./session.js";
import { requirePrimary } from "./settings.js";

/**
 * Read-replica autoscaling on the local target: `ebdb autoscale run` (the runner, one per database:
 * `.ebdb/<identifier>.autoscale.lock`), `autoscale status`, and the reader endpoint's address.
 */
export function localAutoscaler(ctx: CommandContext, desired: Desired): AutoscaleRunner {
  return {
    async run(opts) {
      const s = await openSession(ctx, desired);
      await requirePrimary(s);
      if (!desired.config.replicas.enabled) {
        throw userError(
          "REPLICAS_OFF",
          "DB_READ_REPLICA_ENABLED is false: there are no read replicas to autoscale.",
          'Set DB_READ_REPLICA_ENABLED="true" in config.env and run `ebdb up`.',
        );
      }
      // Provisioning time: the runner measures it (a local replica is ready in seconds).
      const policy = policyConfigFrom(desired.config.replicas, 1);
      const what = opts.once ? "autoscale run --once" : "autoscale run";
      await withLock(
        runnerLockFile(s.layout),
        desired.identifier,
        what,
        async () => {
          const state = continueState(await readState(s.layout), Math.round(opts.intervalSeconds * 1000));
          await new LocalRunner(s, policy, state, opts).run();
        },
        // One runner per database: a second one says who runs it soon, rather than after 5 s.
        { io: ctx.io, waitMs: 1000 },
      );
    },
    async status() {
      return localAutoscaleStatus(await openSession(ctx, desired));
    },
    async readerEndpoint() {
      if (!desired.config.replicas.enabled) return null;
      const a = await localReaderAddress(await openSession(ctx, desired));
      return { host: a.host, port: a.port, served: a.served, note: a.note, toPrimary: a.toPrimary };
    },
  };
}
