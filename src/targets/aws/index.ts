import type { CommandContext } from "../../api/context.js";
import { userError } from "../../errors.js";
import type { IoHost } from "../../io.js";
import type { Desired } from "../../model/desired-types.js";
import { Secret } from "../../model/secret.js";
import type { ConnectionInfo, Target } from "../target.js";
import { applyAws } from "./apply.js";
import { awsAutoscaler } from "./autoscale-runner.js";
import { AwsClients, type AwsSettings, type Clock, realClock } from "./clients.js";
import type { AwsCtx } from "./context.js";
import { copySnapshot, enableInsights, scale, setSlowQueryMs } from "./day2.js";
import { destroyAll } from "./destroy.js";
import type { DBInstance } from "@aws-sdk/client-rds";
import { EB_SSLMODE } from "./app-env.js";
import { readInstances, readRestored, waitReady } from "./instances.js";
import { EB_RDS_CA_PATH } from "./rds-ca.js";
import { observeAwsHealth } from "./health.js";
import { observeAwsAudit, recordAwsRestoreTest } from "./audit.js";
import { awsLogs } from "./logs.js";
import { type AwsLive, gather, readAccount, toObservedState } from "./observe.js";
import { addReplica, listReplicas, removeReplica } from "./replicas.js";
import { restoreInstance } from "./restore.js";
import { readSecret } from "./secret.js";
import { createSnapshot, deleteSnapshot, listSnapshots, readSnapshot, toBackupInfo } from "./snapshots.js";
import { statusReport } from "./status.js";
import { poolerEndpoint, readProxy } from "./proxy.js";

export type { Clock } from "./clients.js";

/** What tests (and benchmarks) may replace. */
export interface AwsDeps {
  /** Simulated time for waits and retries; the real clock by default. */
  clock?: Clock;
  /** Fixed region, profile or endpoint instead of flags, environment and configuration. */
  settings?: Partial<AwsSettings>;
  /** Receives the clients once made (to count calls). */
  onClients?: (clients: AwsClients) => void;
}

/**
 * Region, profile and endpoint as the AWS CLI resolves them: --region/--profile, then AWS_REGION
 * (AWS_DEFAULT_REGION) and AWS_PROFILE, then the configuration's AWS_REGION and AWS_PROFILE;
 * AWS_ENDPOINT_URL sends every call to an emulator.
 */
export function resolveSettings(
  ctx: CommandContext,
  desired: Desired,
  over: Partial<AwsSettings> = {},
): AwsSettings {
  const env = ctx.env;
  return {
    region:
      over.region ?? (ctx.aws?.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || desired.config.region),
    profile:
      over.profile !== undefined
        ? over.profile
        : ctx.aws?.profile || env.AWS_PROFILE || desired.config.profile || null,
    endpoint: over.endpoint !== undefined ? over.endpoint : env.AWS_ENDPOINT_URL || null,
  };
}

function stamp(d: Date): string {
  return d.toISOString().slice(0, 19).replace(/[-:T]/g, "");
}

/** The AWS target: RDS, its network, secret, alarms and the EB wiring, through the AWS SDK v3. */
export function createAwsTarget(ctx: CommandContext, deps: AwsDeps = {}): Target {
  const clock = deps.clock ?? realClock;
  let clients: AwsClients | null = null;
  let cached: { identifier: string; live: AwsLive } | null = null;

  const awsFor = (desired: Desired): AwsClients => {
    if (!clients) {
      clients = new AwsClients(resolveSettings(ctx, desired, deps.settings), clock);
      const pw = desired.config.masterPassword?.reveal();
      if (pw) clients.redact(pw);
      deps.onClients?.(clients);
    }
    return clients;
  };
  const at = (desired: Desired, io: IoHost): AwsCtx => ({ aws: awsFor(desired), clock, desired, io });
  const primaryMustExist = async (desired: Desired) => {
    const { primary } = await readInstances(awsFor(desired), desired.identifier);
    if (!primary)
      throw userError(
        "NOT_CREATED",
        `${desired.identifier} does not exist yet.`,
        "Run `ebdb up --target aws` first.",
      );
    return primary;
  };

  return {
    name: "aws",

    async observe(desired) {
      const live = await gather(awsFor(desired), desired);
      cached = { identifier: desired.identifier, live };
      return toObservedState(live, desired);
    },

    async apply(plan, desired, io, opts) {
      const live =
        cached?.identifier === desired.identifier ? cached.live : await gather(awsFor(desired), desired);
      cached = null;
      const applied = await applyAws(at(desired, io), live, plan, {
        applyImmediately: opts?.applyImmediately ?? false,
      });
      return { applied };
    },

    async preamble(desired) {
      const aws = awsFor(desired);
      const account = await readAccount(aws);
      return [
        `AWS account ${account.id} (${account.arn})`,
        `Region ${aws.settings.region}${aws.settings.endpoint ? ` at ${aws.settings.endpoint}` : ""}`,
        `Database ${desired.identifier} for EB environment ${desired.eb.application}/${desired.eb.environment}`,
      ];
    },

    status(desired) {
      return statusReport(awsFor(desired), clock, desired);
    },

    /**
     * The connection as the EB application makes it (what the EB environment holds): the primary's
     * endpoint, the master user and password from the secret, verify-full against the RDS CA bundle
     * at its path on the EB instances (ebdb eb-files puts it there); every instance by name (the
     * replicas and the restored instances) for --instance.
     */
    async connection(desired): Promise<ConnectionInfo> {
      const aws = awsFor(desired);
      const [{ primary, replicas }, secret, restored, proxy] = await Promise.all([
        readInstances(aws, desired.identifier),
        readSecret(aws, desired.secret.name),
        readRestored(aws, desired),
        desired.proxy ? readProxy(aws, desired.config.names.proxy) : Promise.resolve(null),
      ]);
      if (!primary?.Endpoint?.Address) {
        throw userError(
          "NOT_CREATED",
          `${desired.identifier} has no endpoint yet.`,
          "Run `ebdb up --target aws` and wait for it to finish.",
        );
      }
      if (!secret?.doc) {
        throw userError(
          "NO_SECRET",
          `Secret ${desired.secret.name} is missing or unreadable.`,
          "Run `ebdb up --target aws` to restore it.",
        );
      }
      const node = (i: DBInstance, role: "primary" | "replica" | "restored") => ({
        name: i.DBInstanceIdentifier!,
        role,
        host: i.Endpoint!.Address!,
        port: i.Endpoint!.Port ?? desired.primary.port,
      });
      const readers = replicas.filter((r) => r.Endpoint?.Address).map((r) => node(r, "replica"));
      return {
        host: primary.Endpoint.Address,
        port: primary.Endpoint.Port ?? desired.primary.port,
        dbName: desired.config.dbName,
        username: desired.config.masterUsername,
        password: new Secret(secret.doc.password),
        readers: readers.map(({ name, host, port }) => ({ name, host, port })),
        sslmode: EB_SSLMODE,
        sslrootcert: EB_RDS_CA_PATH,
        pooler: poolerEndpoint({ proxy, role: null }, desired),
        instances: [
          node(primary, "primary"),
          ...readers,
          ...restored.filter((r) => r.Endpoint?.Address).map((r) => node(r, "restored")),
        ],
      };
    },

    snapshots: {
      async create(desired, id, io) {
        await primaryMustExist(desired);
        const name = id ?? `${desired.identifier}-manual-${stamp(clock.now())}`;
        if (await readSnapshot(awsFor(desired), name)) {
          throw userError(
            "SNAPSHOT_EXISTS",
            `Snapshot ${name} already exists.`,
            "Choose another name, or omit it for a dated one.",
          );
        }
        const c = at(desired, io);
        await waitReady(c, desired.identifier);
        return toBackupInfo(await createSnapshot(c, desired.identifier, name));
      },
      async list(desired) {
        return (await listSnapshots(awsFor(desired), desired.identifier)).map(toBackupInfo);
      },
      async remove(desired, id, io) {
        const aws = awsFor(desired);
        const snap = await readSnapshot(aws, id);
        if (!snap)
          throw userError(
            "SNAPSHOT_NOT_FOUND",
            `Snapshot ${id} does not exist.`,
            "List them with `ebdb snapshot list`.",
          );
        if (snap.SnapshotType !== "manual") {
          throw userError(
            "SNAPSHOT_AUTOMATED",
            `${id} is an automated snapshot: RDS deletes it when it leaves the retention period.`,
            "Lower DB_BACKUP_RETENTION_DAYS to keep fewer automated snapshots.",
          );
        }
        await deleteSnapshot(aws, id);
        io.event({ type: "result", message: `Deleted snapshot ${id}` });
      },
    },

    restore(desired, from, as, io, opts) {
      return restoreInstance(at(desired, io), from, as, opts);
    },

    replicas: {
      add: (desired, io) => addReplica(at(desired, io)),
      remove: (desired, name, io) => removeReplica(at(desired, io), name),
      list: (desired) => listReplicas(at(desired, { event() {}, confirm: async () => true })),
    },

    async down() {
      throw userError(
        "NOT_ON_AWS",
        "`down` stops the local database; RDS has no equivalent ebdb offers (a stopped instance restarts by itself after 7 days).",
        "Use `ebdb destroy --target aws` to remove the database, or scale it down with `ebdb scale`.",
      );
    },

    destroy(desired, opts, io) {
      return destroyAll(at(desired, io), opts.skipFinalSnapshot);
    },

    observeHealth: (desired, opts) => observeAwsHealth(awsFor(desired), clock, desired, opts),
    observeAudit: (desired) => observeAwsAudit(awsFor(desired), clock, desired),
    logs: (desired, opts) => awsLogs(awsFor(desired), clock, desired, opts),
    recordRestoreTest: (desired, t) => recordAwsRestoreTest(awsFor(desired), desired, t),
    autoscaler: (desired) => awsAutoscaler(awsFor(desired), clock, desired),
    scale: (desired, req, io) => scale(at(desired, io), req),
    setSlowQueryMs: (desired, ms, io) => setSlowQueryMs(at(desired, io), ms),
    enableInsights: (desired, days, io) => enableInsights(at(desired, io), days),
    copySnapshot: (desired, req, io) => copySnapshot(at(desired, io), req),
  };
}
