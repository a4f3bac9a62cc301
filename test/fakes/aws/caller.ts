import { AsyncLocalStorage } from "node:async_hooks";
import { roleAllows } from "./iam-eval.js";
import type { ServiceName } from "./errors.js";
import type { World } from "./world.js";

/**
 * Who makes a call. Calls from tests and ebdb's CLI are the account's administrator (IAM is not
 * evaluated); calls made by code the fake runs as a Lambda function carry that function's execution
 * role, and are authorised by its inline policies (iam-eval.ts) with the action and resource IAM
 * would check (Service Authorization Reference, one resource per command: documented simplification).
 */
export interface Caller {
  role: string;
  session: string;
}

export const callerStore = new AsyncLocalStorage<Caller>();

/** IAM's service prefix of each fake service. */
const PREFIX: Record<ServiceName, string> = {
  sts: "sts",
  rds: "rds",
  ec2: "ec2",
  secretsmanager: "secretsmanager",
  kms: "kms",
  iam: "iam",
  elasticbeanstalk: "elasticbeanstalk",
  cloudwatch: "cloudwatch",
  sns: "sns",
  cloudformation: "cloudformation",
  route53: "route53",
  lambda: "lambda",
  scheduler: "scheduler",
  logs: "logs",
};

/** The resource IAM checks for a command (its ARN), or `*` for actions without resource-level permissions. */
export function resourceOf(
  w: World,
  service: ServiceName,
  command: string,
  input: Record<string, unknown>,
  region: string,
): string {
  const acct = w.accountId;
  const s = (k: string) => (typeof input[k] === "string" ? (input[k] as string) : "");
  if (service === "rds") {
    if (
      command === "AddTagsToResource" ||
      command === "RemoveTagsFromResource" ||
      command === "ListTagsForResource"
    )
      return s("ResourceName");
    if (s("DBInstanceIdentifier")) return `arn:aws:rds:${region}:${acct}:db:${s("DBInstanceIdentifier")}`;
    return "*";
  }
  if (service === "route53") {
    const id = (s("HostedZoneId") || s("Id")).replace(/^\/hostedzone\//, "");
    return id ? `arn:aws:route53:::hostedzone/${id}` : "*";
  }
  if (service === "lambda" && s("FunctionName"))
    return s("FunctionName").startsWith("arn:")
      ? s("FunctionName")
      : `arn:aws:lambda:${region}:${acct}:function:${s("FunctionName")}`;
  if (service === "logs" && s("logGroupName"))
    return `arn:aws:logs:${region}:${acct}:log-group:${s("logGroupName")}:*`;
  return "*";
}

/**
 * Throws the service's AccessDenied error when the current caller (a Lambda function's role) may not
 * make the call; does nothing for the administrator.
 */
export function authorize(
  w: World,
  service: ServiceName,
  command: string,
  input: Record<string, unknown>,
  region: string,
  deny: (name: string, message: string, status: number) => Error,
): void {
  const who = callerStore.getStore();
  if (!who) return;
  const action = `${PREFIX[service]}:${command}`;
  const resource = resourceOf(w, service, command, input, region);
  const context: Record<string, string> =
    service === "cloudwatch" && typeof input.Namespace === "string"
      ? { "cloudwatch:namespace": input.Namespace }
      : {};
  if (roleAllows(w, who.role, action, resource, context)) return;
  const name =
    service === "lambda" || service === "logs" || service === "scheduler"
      ? "AccessDeniedException"
      : "AccessDenied";
  throw deny(
    name,
    `User: arn:aws:sts::${w.accountId}:assumed-role/${who.role}/${who.session} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`,
    403,
  );
}
