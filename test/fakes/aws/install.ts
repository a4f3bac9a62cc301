import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { EC2Client } from "@aws-sdk/client-ec2";
import { ElasticBeanstalkClient } from "@aws-sdk/client-elastic-beanstalk";
import { IAMClient } from "@aws-sdk/client-iam";
import { KMSClient } from "@aws-sdk/client-kms";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { RDSClient } from "@aws-sdk/client-rds";
import { Route53Client } from "@aws-sdk/client-route-53";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SNSClient } from "@aws-sdk/client-sns";
import { STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { FakeClock, type SimClock } from "./clock.js";
import { authorize, callerStore } from "./caller.js";
import { cloudformationHandlers } from "./cloudformation.js";
import { cloudwatchHandlers, putMetric, setAlarmState } from "./cloudwatch.js";
import { cloudwatchPutHandlers } from "./cloudwatch-put.js";
import { ebHandlers } from "./eb.js";
import { ec2Handlers } from "./ec2.js";
import { SimulatedCrash, type ServiceName, THROTTLE_ERROR } from "./errors.js";
import { Faults } from "./faults.js";
import { iamHandlers } from "./iam.js";
import { type Handlers, makeCtx } from "./kit.js";
import { kmsHandlers } from "./kms.js";
import { lambdaHandlers } from "./lambda.js";
import { logsHandlers } from "./logs.js";
import { autoscaleStorage } from "./rds-autoscale.js";
import { rdsCertificateHandlers } from "./rds-certificates.js";
import { rdsGroupHandlers } from "./rds-groups.js";
import { rdsInstanceHandlers } from "./rds-instances.js";
import { rdsMiscHandlers } from "./rds-misc.js";
import { rdsProxyHandlers } from "./rds-proxy.js";
import { rdsReplicaHandlers } from "./rds-replicas.js";
import { rdsSnapshotHandlers } from "./rds-snapshots.js";
import type { Route53State } from "./route53-model.js";
import { route53Handlers } from "./route53.js";
import { rdsStopStartHandlers } from "./rds-stop-start.js";
import { secretsHandlers } from "./secrets.js";
import { fireSchedules, schedulerHandlers } from "./scheduler.js";
import { Seeder } from "./seed.js";
import type { ServerlessState } from "./serverless-model.js";
import { snsHandlers } from "./sns.js";
import type { IamState, RegionState } from "./state.js";
import { stsHandlers } from "./sts.js";
import { World } from "./world.js";

/** One call the fake received (each retry attempt is its own record). */
export interface CallRecord {
  service: ServiceName;
  command: string;
  /** The request, with passwords and secret values replaced by "***". */
  input: Record<string, unknown>;
  mutating: boolean;
  region: string;
  /** Simulated time of the call. */
  time: Date;
  /** The error name when the call failed. */
  error?: string;
  /** Set for calls made by code the fake runs as a Lambda function: its name (not counted by countCalls). */
  by?: string;
}

export interface FakeAwsOptions {
  region?: string;
  accountId?: string;
  /** Largest page any list API returns (default 2), so callers must follow tokens. */
  pageSize?: number;
  /** Seed of the deterministic id generator. */
  seed?: number;
  /** Simulated start time (default 2025-06-02T10:00:00Z, a Monday). */
  start?: Date;
  /**
   * Emulate the SDK's retry of throttling errors up to the client's maxAttempts (default true): the
   * mock replaces `send`, so the SDK's own retry middleware never runs.
   */
  sdkRetries?: boolean;
}

export interface FakeState {
  /** A region's resources (created empty on first use); the fake's default region when omitted. */
  region(name?: string): RegionState;
  readonly iam: IamState;
  /** Route 53 (global): hosted zones with their record sets. */
  readonly route53: Route53State;
  /** Lambda functions, Scheduler schedules and CloudWatch Logs log groups (keyed `<region>|<name>`). */
  readonly serverless: ServerlessState;
  readonly regions: ReadonlyMap<string, RegionState>;
}

export interface FakeAws {
  readonly region: string;
  readonly accountId: string;
  /** Simulated time; pass it to the code under test as its clock. */
  readonly clock: SimClock & { advanceTo(ms: number): void; pendingTimers(): number };
  readonly state: FakeState;
  readonly calls: CallRecord[];
  readonly faults: Faults;
  readonly seed: Seeder;
  /**
   * Number of calls the code under test made (not those of Lambda functions the fake runs), optionally
   * only mutating (true) or read-only (false) ones, of a service or command.
   */
  countCalls(filter?: { mutating?: boolean; service?: ServiceName; command?: string }): number;
  resetCalls(): void;
  /** Whether `command` of `service` changes state (how the fake classifies it). */
  isMutating(service: ServiceName, command: string): boolean;
  /** Sets a CloudWatch alarm's state, as the alarm itself would (throws if there is no such alarm). */
  setAlarmState(
    name: string,
    state: "OK" | "ALARM" | "INSUFFICIENT_DATA",
    reason?: string,
    region?: string,
  ): void;
  /** Records a metric value (now, unless `at`), re-evaluating the alarms that watch that metric. */
  putMetric(point: {
    namespace: string;
    metricName: string;
    dimensions: Record<string, string>;
    value: number;
    at?: Date;
    region?: string;
  }): void;
  /** Confirms pending SNS subscriptions of a topic (all, or the one to `endpoint`), as the recipient would. */
  confirmSubscription(topicArn: string, endpoint?: string, region?: string): void;
  /** Sets a read replica's lag in seconds (reported as the AWS/RDS ReplicaLag metric). */
  setReplicaLag(instanceId: string, seconds: number, region?: string): void;
  /**
   * Storage autoscaling growing an instance's volume, as RDS does when free space runs low: by the
   * greatest of 10 GiB, 10% and `predictedGrowthGiB`, up to MaxAllocatedStorage. Returns the new size.
   */
  autoscaleStorage(instanceId: string, opts?: { predictedGrowthGiB?: number; region?: string }): number;
  /**
   * The environment variables the application on an EB environment's instances sees now: the
   * properties and the environment secrets' values as EB fetched them at the instances' last
   * deployment (launch, configuration update, RestartAppServer); later changes of a secret are not
   * seen until the next one. `errors` says why the last deployment could not fetch a secret.
   */
  appEnvironment(
    environmentName: string,
    region?: string,
  ): { variables: Record<string, string>; loadedAt: Date; errors: string[] };
  /**
   * EventBridge Scheduler's runs from now until `untilMs`: each ENABLED rate schedule invokes its
   * Lambda target once per period (the clock advances to each run). See scheduler.ts.
   */
  fireSchedules(untilMs: number): Promise<void>;
  /** Restores the real SDK clients. */
  uninstall(): void;
}

const SERVICES: [ServiceName, { prototype: unknown; name: string }, Handlers][] = [
  ["sts", STSClient, stsHandlers],
  [
    "rds",
    RDSClient,
    {
      ...rdsInstanceHandlers,
      ...rdsReplicaHandlers,
      ...rdsSnapshotHandlers,
      ...rdsGroupHandlers,
      ...rdsMiscHandlers,
      ...rdsCertificateHandlers,
      ...rdsProxyHandlers,
      ...rdsStopStartHandlers,
    },
  ],
  ["ec2", EC2Client, ec2Handlers],
  ["secretsmanager", SecretsManagerClient, secretsHandlers],
  ["kms", KMSClient, kmsHandlers],
  ["iam", IAMClient, iamHandlers],
  ["elasticbeanstalk", ElasticBeanstalkClient, ebHandlers],
  ["cloudwatch", CloudWatchClient, { ...cloudwatchHandlers, ...cloudwatchPutHandlers }],
  ["sns", SNSClient, snsHandlers],
  ["cloudformation", CloudFormationClient, cloudformationHandlers],
  ["route53", Route53Client, route53Handlers],
  ["lambda", LambdaClient, lambdaHandlers],
  ["scheduler", SchedulerClient, schedulerHandlers],
  ["logs", CloudWatchLogsClient, logsHandlers],
];

const SECRET_KEYS =
  /^(MasterUserPassword|NewMasterUserPassword|SecretString|SecretBinary|Password|RandomPassword)$/;

/** A deep copy of a request with secrets replaced, including EB properties that look like passwords. */
export function redact(value: unknown, key = ""): unknown {
  if (SECRET_KEYS.test(key) && value !== undefined) return "***";
  if (Array.isArray(value)) return value.map((v) => redact(v));
  if (value instanceof Date || value instanceof Uint8Array) return value;
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    const secretOption =
      typeof o.OptionName === "string" &&
      ((o.Namespace === "aws:elasticbeanstalk:application:environment" &&
        /PASSWORD|SECRET|TOKEN/i.test(o.OptionName)) ||
        (o.Namespace === "aws:rds:dbinstance" && o.OptionName === "DBPassword"));
    for (const [k, v] of Object.entries(o)) out[k] = secretOption && k === "Value" ? "***" : redact(v, k);
    return out;
  }
  return value;
}

/**
 * Installs the stateful AWS fake under the real SDK v3 clients: every client instance that code
 * creates (RDS, EC2, Secrets Manager, KMS, IAM, Elastic Beanstalk, CloudWatch, SNS, STS) is served by it.
 */
export function installFakeAws(opts: FakeAwsOptions = {}): FakeAws {
  const region = opts.region ?? "us-east-1";
  const accountId = opts.accountId ?? "123456789012";
  const clock = new FakeClock(opts.start ?? new Date("2025-06-02T10:00:00Z"));
  const world = new World(clock, accountId, region, opts.pageSize ?? 2, opts.seed ?? 42);
  const faults = new Faults(world);
  const calls: CallRecord[] = [];
  const sdkRetries = opts.sdkRetries ?? true;
  const stubs: { restore(): void }[] = [];

  for (const [service, Client, handlers] of SERVICES) {
    const stub = mockClient(Client as never);
    stubs.push(stub);
    const fakeSend = function (this: { config?: Record<string, unknown> }, command: { input?: unknown }) {
      return dispatch(service, handlers, this, command);
    };
    stub.send.callsFake(fakeSend as never);
  }

  async function providerValue<T>(
    client: { config?: Record<string, unknown> },
    key: string,
    fallback: T,
  ): Promise<T> {
    try {
      const p = client.config?.[key];
      const v = typeof p === "function" ? await (p as () => Promise<T>)() : (p as T | undefined);
      return v ?? fallback;
    } catch {
      return fallback;
    }
  }

  async function dispatch(
    service: ServiceName,
    handlers: Handlers,
    client: { config?: Record<string, unknown> },
    command: { input?: unknown },
  ): Promise<unknown> {
    clock.touch();
    const name = (command?.constructor?.name ?? "Unknown").replace(/Command$/, "");
    const input = (command?.input ?? {}) as Record<string, unknown>;
    const callRegion =
      service === "iam" || service === "route53" ? region : await providerValue(client, "region", region);
    const maxAttempts = sdkRetries ? await providerValue(client, "maxAttempts", 3) : 1;
    const spec = handlers[name];
    for (let attempt = 1; ; attempt++) {
      const record: CallRecord = {
        service,
        command: name,
        input: redact(input) as Record<string, unknown>,
        mutating: spec?.mutating ?? true,
        region: callRegion,
        time: clock.now(),
        ...(callerStore.getStore() ? { by: callerStore.getStore()!.session } : {}),
      };
      calls.push(record);
      try {
        // A simulated crash is ebdb's process dying: a Lambda function's own calls go on.
        if (!callerStore.getStore()) faults.checkCrashed();
      } catch (e) {
        record.error = "SimulatedCrash";
        throw e;
      }
      const injected = faults.take(service, name);
      if (injected) {
        record.error = injected.error.name;
        if (injected.throttle && attempt < maxAttempts) {
          // The SDK backs off before retrying a throttled call; here on the simulated clock.
          await clock.sleep(100 * 2 ** (attempt - 1));
          continue;
        }
        if (injected.throttle)
          Object.assign((injected.error as unknown as { $metadata: object }).$metadata, {
            attempts: attempt,
          });
        throw injected.error;
      }
      if (!spec) {
        record.error = "NotImplemented";
        throw new Error(`The AWS fake does not implement ${service}:${name}; add it to test/fakes/aws.`);
      }
      let out: unknown;
      try {
        const ctx = makeCtx(world, service, callRegion);
        authorize(world, service, name, input, callRegion, ctx.err);
        out = await spec.run(ctx, input);
      } catch (e) {
        record.error = (e as Error).name;
        throw e;
      }
      if (spec.mutating && !callerStore.getStore()) {
        try {
          faults.afterMutation(`${service}:${name}`);
        } catch (e) {
          if (e instanceof SimulatedCrash) record.error = "SimulatedCrash";
          throw e;
        }
      }
      return {
        $metadata: { httpStatusCode: 200, requestId: world.uuid(), attempts: attempt, totalRetryDelay: 0 },
        ...(structuredClone(out) as object),
      };
    }
  }

  const fake: FakeAws = {
    region,
    accountId,
    clock,
    state: {
      region: (name?: string) => world.region(name ?? region),
      iam: world.iam,
      route53: world.route53,
      serverless: world.serverless,
      regions: world.regions,
    },
    calls,
    faults,
    seed: new Seeder(world),
    countCalls(filter = {}) {
      return calls.filter(
        (c) =>
          !c.by &&
          (filter.mutating === undefined || c.mutating === filter.mutating) &&
          (!filter.service || c.service === filter.service) &&
          (!filter.command || c.command === filter.command.replace(/Command$/, "")),
      ).length;
    },
    resetCalls() {
      calls.length = 0;
    },
    isMutating(service, command) {
      const handlers = SERVICES.find(([s]) => s === service)?.[2];
      return handlers?.[command.replace(/Command$/, "")]?.mutating ?? true;
    },
    setAlarmState(name, state, reason = "Set by test", r) {
      if (!setAlarmState(world, world.region(r ?? region), name, state, reason))
        throw new Error(`no alarm ${name}`);
    },
    putMetric(p) {
      putMetric(world, world.region(p.region ?? region), { ...p, at: p.at?.getTime() });
    },
    confirmSubscription(topicArn, endpoint, r) {
      const topic = [...world.region(r ?? region).sns.topics.values()].find((t) => t.arn === topicArn);
      if (!topic) throw new Error(`no topic ${topicArn}`);
      for (const s of topic.subscriptions) if (!endpoint || s.endpoint === endpoint) s.confirmed = true;
    },
    setReplicaLag(instanceId, seconds, r) {
      const inst = world.region(r ?? region).rds.instances.get(instanceId);
      if (!inst) throw new Error(`no instance ${instanceId}`);
      inst.replicaLag = seconds;
    },
    autoscaleStorage(instanceId, o = {}) {
      const inst = world.region(o.region ?? region).rds.instances.get(instanceId);
      if (!inst) throw new Error(`no instance ${instanceId}`);
      return autoscaleStorage(world, inst, o.predictedGrowthGiB);
    },
    appEnvironment(environmentName, r) {
      const env = [...world.region(r ?? region).eb.environments.values()].find(
        (e) => e.name === environmentName && e.status !== "Terminated",
      );
      if (!env) throw new Error(`no EB environment ${environmentName}`);
      return {
        variables: { ...env.app.variables },
        loadedAt: new Date(env.app.loadedAt),
        errors: [...env.app.errors],
      };
    },
    fireSchedules(untilMs) {
      return fireSchedules(world, clock.ms(), untilMs);
    },
    uninstall() {
      for (const s of stubs) s.restore();
    },
  };
  return fake;
}

export { THROTTLE_ERROR };
