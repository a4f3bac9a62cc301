import { GetFunctionCommand } from "@aws-sdk/client-lambda";
import { GetScheduleCommand } from "@aws-sdk/client-scheduler";
import { MINUTE_MS } from "../../autoscale/common.js";
import type { AutoscaleRunner, AutoscaleStatus, ReplicaAutoscaleView } from "../../autoscale/runner-types.js";
import { instanceClassInfo } from "../../config/catalog/instance-classes.js";
import { userError } from "../../errors.js";
import type { Desired } from "../../model/desired-types.js";
import { autoscalingOn } from "../../plan/diff-autoscaler.js";
import { isAwsCode } from "./aws-errors.js";
import { type ControllerConfig, controllerStep } from "./autoscale-controller.js";
import { FALLBACK_ID, readDatabase, readRecord, readSeries } from "./autoscale-io.js";
import { autoscaleNames, METRIC } from "./autoscale-names.js";
import { CREATED_BY_AUTOSCALER, CREATED_BY_TAG } from "./autoscale-names.js";
import { findZone } from "./autoscale-observe.js";
import { readMemory, TAG, tagOf, unescapeTag } from "./autoscale-tags.js";
import type { AwsClients, Clock } from "./clients.js";

/** How many minutes of the metric `status` shows. */
const STATUS_MINUTES = 30;

async function orNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (e) {
    if (isAwsCode(e, "ResourceNotFoundException")) return null;
    throw e;
  }
}

/**
 * The AWS runner as `ebdb autoscale status|run --target aws` sees it: the Lambda function `up`
 * deployed, its schedule, and what the runs remember in the primary's tags. `run` runs the same
 * controller from this machine with the function's own configuration (the EBDB_AUTOSCALE it was
 * given); it needs the runner deployed (its zone and settings come from there).
 */
export function awsAutoscaler(aws: AwsClients, clock: Clock, desired: Desired): AutoscaleRunner {
  const n = autoscaleNames(desired.identifier);
  const deployed = async () => {
    const [fn, schedule] = await Promise.all([
      orNull(aws.lambda(new GetFunctionCommand({ FunctionName: n.functionName }))),
      orNull(aws.scheduler(new GetScheduleCommand({ Name: n.scheduleName }))),
    ]);
    const raw = fn?.Configuration?.Environment?.Variables?.EBDB_AUTOSCALE;
    return { fn, schedule, cfg: raw ? (JSON.parse(raw) as ControllerConfig) : null };
  };

  return {
    async readerEndpoint() {
      // The record exists while autoscaling is on (the zone is the autoscaler's): EB gets the same name.
      if (!autoscalingOn(desired.config.replicas)) return null;
      return { host: n.readerHost, port: desired.primary.port };
    },

    async run(opts) {
      const { cfg } = await deployed();
      if (!cfg)
        throw userError(
          "NOT_DEPLOYED",
          `The autoscaler of ${desired.identifier} is not deployed (no Lambda function ${n.functionName}).`,
          autoscalingOn(desired.config.replicas)
            ? "Run `ebdb up --target aws`: it deploys the runner, which then runs each minute by itself."
            : "Turn autoscaling on (DB_READ_REPLICA_MIN_CAPACITY < DB_READ_REPLICA_MAX_CAPACITY) and run `ebdb up --target aws`.",
        );
      const step = { ...cfg, maxLagSeconds: opts.maxLagSeconds };
      opts.onEvent({
        at: clock.now().toISOString(),
        kind: "started",
        message: `Running the controller of ${n.functionName} from here (the deployed one runs too: each decision is made once a minute by whichever runs first).`,
      });
      for (;;) {
        await controllerStep(aws, step, clock.now().getTime(), opts.onEvent);
        if (opts.once || opts.signal?.aborted) break;
        await clock.sleep(opts.intervalSeconds * 1000);
        if (opts.signal?.aborted) break;
      }
      opts.onEvent({ at: clock.now().toISOString(), kind: "stopped", message: "Stopped." });
    },

    async status(): Promise<AutoscaleStatus> {
      const c = desired.config.replicas;
      const [{ fn, schedule, cfg }, db, zoneId] = await Promise.all([
        deployed(),
        readDatabase(aws, desired.identifier),
        findZone(aws, n.zoneName),
      ]);
      const memory = readMemory(db.primary?.TagList ?? []);
      const record = zoneId ? await readRecord(aws, zoneId, n.readerHost) : [];
      const members = record.filter((e) => e.setId !== FALLBACK_ID && e.weight > 0).map((e) => e.setId);
      const fallback = record.find((e) => e.setId === FALLBACK_ID)?.target ?? null;
      const now = Math.floor(clock.now().getTime() / MINUTE_MS) * MINUTE_MS;
      const d = { [METRIC.dimension]: desired.identifier };
      const series = await readSeries(
        aws,
        [
          { id: "avg", namespace: METRIC.namespace, metric: METRIC.name, dimensions: d, stat: "Average" },
          { id: "n", namespace: METRIC.namespace, metric: METRIC.name, dimensions: d, stat: "SampleCount" },
        ],
        now - STATUS_MINUTES * MINUTE_MS,
        now + MINUTE_MS,
      );
      const avg = series.get("avg") ?? new Map<number, number>();
      const replicas: ReplicaAutoscaleView[] = db.replicas
        .filter((r) => r.DBInstanceStatus !== "deleting")
        .map((r) => {
          const tags = r.TagList ?? [];
          const ready = members.includes(r.DBInstanceIdentifier!);
          const why = unescapeTag(tagOf(tags, TAG.why) ?? "") || (r.DBInstanceStatus ?? "unknown");
          return {
            name: r.DBInstanceIdentifier!,
            state: ready ? "ready" : "creating",
            why,
            createdByAutoscaler: tagOf(tags, CREATED_BY_TAG) === CREATED_BY_AUTOSCALER,
            connections: null,
            lagSeconds: null,
          };
        });
      const enabled = schedule?.State === "ENABLED";
      const state: AutoscaleStatus["runner"]["state"] = fn
        ? enabled
          ? "running"
          : "stopped"
        : "not-deployed";
      const detail = !fn
        ? autoscalingOn(c)
          ? "not deployed: `ebdb up --target aws` deploys it"
          : "not deployed: autoscaling is off (DB_READ_REPLICA_MIN_CAPACITY = MAX, or replicas off)"
        : `Lambda function ${n.functionName}, ${enabled ? `run ${schedule?.ScheduleExpression} by EventBridge Scheduler` : "its schedule is missing or disabled"}; logs in ${n.logGroup}`;
      return {
        target: "aws",
        identifier: desired.identifier,
        enabled: autoscalingOn(c),
        policy: "ebdb",
        minCapacity: c.min,
        maxCapacity: c.max,
        targetCpuPercent: c.targetCpu,
        scaleInCooldownSeconds: c.scaleInCooldownSeconds,
        scaleOutCooldownSeconds: c.scaleOutCooldownSeconds,
        replicaClass: c.instanceClass,
        replicaVcpus: instanceClassInfo(c.instanceClass)?.vcpu ?? null,
        runner: {
          kind: "aws-lambda",
          state,
          detail,
          pid: null,
          startedAt: fn?.Configuration?.LastModified ?? null,
          intervalSeconds: fn ? 60 : null,
          maxLagSeconds: cfg?.maxLagSeconds ?? null,
          lastStepAt: memory.lastStepAt,
        },
        current: replicas.length,
        ready: replicas.filter((r) => r.state === "ready").length,
        desired: memory.desired ?? replicas.length,
        replicas,
        reader: zoneId
          ? { host: n.readerHost, port: desired.primary.port, served: record.length > 0, members, fallback }
          : null,
        metric: {
          name: "RDSReaderAverageCPUUtilization",
          unit: "Percent",
          periodSeconds: 60,
          points: [...avg.keys()]
            .sort((a, b) => a - b)
            .map((t) => ({
              at: new Date(t).toISOString(),
              cpuPercent: Math.round(avg.get(t)! * 100) / 100,
              readyReplicas: series.get("n")?.get(t) ?? 0,
            })),
        },
        decisions: memory.decisions.map(({ seq: _s, ...rest }) => rest),
        activities: memory.activities.map(({ seq: _s, replica: _r, ...rest }) => rest),
      };
    },
  };
}
