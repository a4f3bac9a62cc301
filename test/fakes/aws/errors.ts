import * as cfn from "@aws-sdk/client-cloudformation";
import * as cw from "@aws-sdk/client-cloudwatch";
import * as ec2 from "@aws-sdk/client-ec2";
import * as eb from "@aws-sdk/client-elastic-beanstalk";
import * as iam from "@aws-sdk/client-iam";
import * as kms from "@aws-sdk/client-kms";
import * as lambda from "@aws-sdk/client-lambda";
import * as logs from "@aws-sdk/client-cloudwatch-logs";
import * as rds from "@aws-sdk/client-rds";
import * as route53 from "@aws-sdk/client-route-53";
import * as scheduler from "@aws-sdk/client-scheduler";
import * as sm from "@aws-sdk/client-secrets-manager";
import * as sns from "@aws-sdk/client-sns";
import * as sts from "@aws-sdk/client-sts";

/** The services the fake models, by their SDK signing name. */
export type ServiceName =
  | "sts"
  | "rds"
  | "ec2"
  | "secretsmanager"
  | "kms"
  | "iam"
  | "elasticbeanstalk"
  | "cloudwatch"
  | "sns"
  | "cloudformation"
  | "route53"
  | "lambda"
  | "scheduler"
  | "logs";

type ExceptionCtor = new (opts: {
  name: string;
  message: string;
  $fault: "client" | "server";
  $metadata: { httpStatusCode?: number; requestId?: string; attempts?: number; totalRetryDelay?: number };
}) => Error;

const modules: Record<ServiceName, { mod: Record<string, unknown>; base: ExceptionCtor }> = {
  sts: { mod: sts, base: sts.STSServiceException as unknown as ExceptionCtor },
  rds: { mod: rds, base: rds.RDSServiceException as unknown as ExceptionCtor },
  ec2: { mod: ec2, base: ec2.EC2ServiceException as unknown as ExceptionCtor },
  secretsmanager: { mod: sm, base: sm.SecretsManagerServiceException as unknown as ExceptionCtor },
  kms: { mod: kms, base: kms.KMSServiceException as unknown as ExceptionCtor },
  iam: { mod: iam, base: iam.IAMServiceException as unknown as ExceptionCtor },
  elasticbeanstalk: {
    mod: eb,
    base: eb.ElasticBeanstalkSyntheticServiceException as unknown as ExceptionCtor,
  },
  cloudwatch: { mod: cw, base: cw.CloudWatchServiceException as unknown as ExceptionCtor },
  sns: { mod: sns, base: sns.SNSServiceException as unknown as ExceptionCtor },
  cloudformation: { mod: cfn, base: cfn.CloudFormationServiceException as unknown as ExceptionCtor },
  route53: { mod: route53, base: route53.Route53ServiceException as unknown as ExceptionCtor },
  lambda: { mod: lambda, base: lambda.LambdaServiceException as unknown as ExceptionCtor },
  scheduler: { mod: scheduler, base: scheduler.SchedulerServiceException as unknown as ExceptionCtor },
  logs: { mod: logs, base: logs.CloudWatchLogsServiceException as unknown as ExceptionCtor },
};

/** The error name the SDK gives a throttled call of each service (what its retry strategy recognises). */
export const THROTTLE_ERROR: Record<ServiceName, { name: string; message: string; status: number }> = {
  sts: { name: "Throttling", message: "Rate exceeded", status: 400 },
  rds: { name: "Throttling", message: "Rate exceeded", status: 400 },
  ec2: { name: "RequestLimitExceeded", message: "Request limit exceeded.", status: 503 },
  secretsmanager: { name: "ThrottlingException", message: "Rate exceeded", status: 400 },
  kms: { name: "ThrottlingException", message: "Rate exceeded", status: 400 },
  iam: { name: "Throttling", message: "Rate exceeded", status: 400 },
  elasticbeanstalk: { name: "Throttling", message: "Rate exceeded", status: 400 },
  cloudwatch: { name: "Throttling", message: "Rate exceeded", status: 400 },
  sns: { name: "Throttling", message: "Rate exceeded", status: 400 },
  cloudformation: { name: "Throttling", message: "Rate exceeded", status: 400 },
  route53: { name: "Throttling", message: "Rate exceeded", status: 400 },
  lambda: { name: "TooManyRequestsException", message: "Rate exceeded", status: 429 },
  scheduler: { name: "ThrottlingException", message: "Rate exceeded", status: 429 },
  logs: { name: "ThrottlingException", message: "Rate exceeded", status: 400 },
};

let requestSeq = 0;

/**
 * An error shaped exactly as the SDK would throw it: the service's modelled exception class when the
 * SDK has one of that name (so `instanceof DBInstanceNotFoundFault` works), else the service's base
 * ServiceException with `name` set to AWS's error code (as the SDK does for unmodelled codes).
 */
export function awsError(
  service: ServiceName,
  name: string,
  message: string,
  status = 400,
  fault: "client" | "server" = status >= 500 ? "server" : "client",
): Error {
  const { mod, base } = modules[service];
  const candidate = mod[name];
  const ctor =
    typeof candidate === "function" && candidate.prototype instanceof (base as unknown as typeof Error)
      ? (candidate as ExceptionCtor)
      : base;
  requestSeq++;
  const err = new ctor({
    name,
    message,
    $fault: fault,
    $metadata: {
      httpStatusCode: status,
      requestId: `00000000-0000-4000-8000-${String(requestSeq).padStart(12, "0")}`,
      attempts: 1,
      totalRetryDelay: 0,
    },
  });
  // Modelled classes fix their own name; unmodelled codes take the code as the name, as the SDK does.
  if (err.name !== name && ctor === base) (err as { name: string }).name = name;
  return err;
}

/**
 * Thrown by the fake after the n-th mutating call set with `faults.crashAfter(n)` has taken effect,
 * and by every later call until `faults.reset()`: the process running the apply "died" there.
 */
export class SimulatedCrash extends Error {
  constructor(readonly afterCall: string) {
    super(`simulated crash after ${afterCall}`);
    this.name = "SimulatedCrash";
  }
}

/** True when `err` or any error in its `cause` chain is a SimulatedCrash (adapters may wrap it). */
export function isSimulatedCrash(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 10; depth++) {
    if (e instanceof SimulatedCrash || (e as { name?: string }).name === "SimulatedCrash") return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
