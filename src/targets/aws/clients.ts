import { CloudFormationClient, type ServiceInputTypes as CfnIn } from "@aws-sdk/client-cloudformation";
import { CloudWatchClient, type ServiceInputTypes as CwIn } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient, type ServiceInputTypes as LogsIn } from "@aws-sdk/client-cloudwatch-logs";
import { EC2Client, type ServiceInputTypes as Ec2In } from "@aws-sdk/client-ec2";
import { ElasticBeanstalkClient, type ServiceInputTypes as EbIn } from "@aws-sdk/client-elastic-beanstalk";
import { IAMClient, type ServiceInputTypes as IamIn } from "@aws-sdk/client-iam";
import { KMSClient, type ServiceInputTypes as KmsIn } from "@aws-sdk/client-kms";
import { LambdaClient, type ServiceInputTypes as LambdaIn } from "@aws-sdk/client-lambda";
import { RDSClient, type ServiceInputTypes as RdsIn } from "@aws-sdk/client-rds";
import { Route53Client, type ServiceInputTypes as R53In } from "@aws-sdk/client-route-53";
import { SchedulerClient, type ServiceInputTypes as SchedIn } from "@aws-sdk/client-scheduler";
import { SecretsManagerClient, type ServiceInputTypes as SmIn } from "@aws-sdk/client-secrets-manager";
import { SNSClient, type ServiceInputTypes as SnsIn } from "@aws-sdk/client-sns";
import { STSClient, type ServiceInputTypes as StsIn } from "@aws-sdk/client-sts";
import { isThrottle, isTransient, wrapAwsError } from "./aws-errors.js";

// ebdb supports Node 20 and pins its SDK (package-lock.json); the SDK's notice that later versions will
// need Node 22 is for ebdb's maintainers, and printed 7 lines before every AWS command's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** Time as the target sees it: real by default, simulated in tests (the fake's clock). */
export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Where and as whom to call AWS. */
export interface AwsSettings {
  region: string;
  /** null: the standard credential chain (AWS_PROFILE, the default profile, instance roles...). */
  profile: string | null;
  /** AWS_ENDPOINT_URL (LocalStack, other emulators); null: AWS itself. */
  endpoint: string | null;
}

/** The output type of an SDK command, read from its handler. */
export type OutputOf<C> = C extends {
  // biome-ignore lint/suspicious/noExplicitAny: matches the SDK's own Command signature.
  resolveMiddleware(...a: any[]): (...b: any[]) => Promise<{ output: infer O }>;
}
  ? O
  : never;
// biome-ignore lint/suspicious/noExplicitAny: any SDK command of the service.
export type CommandOf<In> = { input: In; resolveMiddleware(...a: any[]): unknown };

interface SdkClient {
  // biome-ignore lint/suspicious/noExplicitAny: the SDK's overloaded send.
  send(command: any): Promise<any>;
}

const SERVICES = {
  rds: { label: "RDS", make: (c: object) => new RDSClient(c) },
  ec2: { label: "EC2", make: (c: object) => new EC2Client(c) },
  sm: { label: "SecretsManager", make: (c: object) => new SecretsManagerClient(c) },
  kms: { label: "KMS", make: (c: object) => new KMSClient(c) },
  iam: { label: "IAM", make: (c: object) => new IAMClient(c) },
  eb: { label: "ElasticBeanstalk", make: (c: object) => new ElasticBeanstalkClient(c) },
  cw: { label: "CloudWatch", make: (c: object) => new CloudWatchClient(c) },
  sns: { label: "SNS", make: (c: object) => new SNSClient(c) },
  sts: { label: "STS", make: (c: object) => new STSClient(c) },
  cfn: { label: "CloudFormation", make: (c: object) => new CloudFormationClient(c) },
  lambda: { label: "Lambda", make: (c: object) => new LambdaClient(c) },
  scheduler: { label: "Scheduler", make: (c: object) => new SchedulerClient(c) },
  route53: { label: "Route53", make: (c: object) => new Route53Client(c) },
  logs: { label: "CloudWatchLogs", make: (c: object) => new CloudWatchLogsClient(c) },
} as const;

type ServiceKey = keyof typeof SERVICES;

/** Our own retries on top of the SDK's (the SDK's adaptive mode handles real throttling first). */
const MAX_ATTEMPTS = 8;
const BASE_DELAY_MS = 400;
const MAX_DELAY_MS = 20_000;

/**
 * Narrow per-service entry points over the SDK clients, created lazily for one region and profile.
 * Every call retries throttling and transient failures with backoff on the injectable clock (tests
 * mock the clients below the SDK's retry middleware), and wraps AWS errors in an EbdbError naming
 * the call, with any known secret value redacted.
 */
export class AwsClients {
  private readonly clients = new Map<ServiceKey, SdkClient>();
  /** Calls made, by `Service.Operation` (for benchmarks and diagnostics). */
  readonly counts = new Map<string, number>();

  constructor(
    readonly settings: AwsSettings,
    readonly clock: Clock,
    private readonly secrets: Set<string> = new Set(),
  ) {}

  /** Clients for another region (snapshot copies), sharing the clock and the redaction list. */
  forRegion(region: string): AwsClients {
    return new AwsClients({ ...this.settings, region }, this.clock, this.secrets);
  }

  /** Never let this value appear in an error message. */
  redact(value: string): void {
    if (value) this.secrets.add(value);
  }

  rds<C extends CommandOf<RdsIn>>(command: C): Promise<OutputOf<C>> {
    return this.send("rds", command);
  }
  ec2<C extends CommandOf<Ec2In>>(command: C): Promise<OutputOf<C>> {
    return this.send("ec2", command);
  }
  sm<C extends CommandOf<SmIn>>(command: C): Promise<OutputOf<C>> {
    return this.send("sm", command);
  }
  kms<C extends CommandOf<KmsIn>>(command: C): Promise<OutputOf<C>> {
    return this.send("kms", command);
  }
  iam<C extends CommandOf<IamIn>>(command: C): Promise<OutputOf<C>> {
    return this.send("iam", command);
  }
  eb<C extends CommandOf<EbIn>>(command: C): Promise<OutputOf<C>> {
    return this.send("eb", command);
  }
  cw<C extends CommandOf<CwIn>>(command: C): Promise<OutputOf<C>> {
    return this.send("cw", command);
  }
  sns<C extends CommandOf<SnsIn>>(command: C): Promise<OutputOf<C>> {
    return this.send("sns", command);
  }
  sts<C extends CommandOf<StsIn>>(command: C): Promise<OutputOf<C>> {
    return this.send("sts", command);
  }
  cfn<C extends CommandOf<CfnIn>>(command: C): Promise<OutputOf<C>> {
    return this.send("cfn", command);
  }
  lambda<C extends CommandOf<LambdaIn>>(command: C): Promise<OutputOf<C>> {
    return this.send("lambda", command);
  }
  scheduler<C extends CommandOf<SchedIn>>(command: C): Promise<OutputOf<C>> {
    return this.send("scheduler", command);
  }
  route53<C extends CommandOf<R53In>>(command: C): Promise<OutputOf<C>> {
    return this.send("route53", command);
  }
  logs<C extends CommandOf<LogsIn>>(command: C): Promise<OutputOf<C>> {
    return this.send("logs", command);
  }

  private client(key: ServiceKey): SdkClient {
    let c = this.clients.get(key);
    if (!c) {
      const { region, profile, endpoint } = this.settings;
      const config: Record<string, unknown> = { region, retryMode: "adaptive", maxAttempts: 5 };
      if (profile) config.profile = profile;
      // IAM and STS are global, but an emulator serves them at the same endpoint.
      if (endpoint) config.endpoint = endpoint;
      c = SERVICES[key].make(config) as SdkClient;
      this.clients.set(key, c);
    }
    return c;
  }

  private async send<C extends { input: unknown }>(key: ServiceKey, command: C): Promise<OutputOf<C>> {
    const op = `${SERVICES[key].label}.${command.constructor.name.replace(/Command$/, "")}`;
    this.counts.set(op, (this.counts.get(op) ?? 0) + 1);
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.client(key).send(command)) as OutputOf<C>;
      } catch (e) {
        if (attempt < MAX_ATTEMPTS && (isThrottle(e) || isTransient(e))) {
          const cap = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attempt - 1));
          await this.clock.sleep(cap / 2 + Math.random() * (cap / 2));
          continue;
        }
        throw wrapAwsError(e, op, this.secrets);
      }
    }
  }
}
