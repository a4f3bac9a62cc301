import { DescribeStackResourceCommand } from "@aws-sdk/client-cloudformation";
import { isAwsCode } from "./aws-errors.js";
import type { AwsClients } from "./clients.js";
import type { LiveEnv } from "./eb.js";

/** Logical id of the RDS instance in the stack EB keeps for an environment. */
export const EB_DATABASE_LOGICAL_ID = "AWSEBRDSDatabase";

/** A database coupled to an EB environment: EB made it, in the environment's CloudFormation stack. */
export interface Coupling {
  application: string;
  environment: string;
  environmentId: string;
  /** `awseb-<environment id>-stack`. */
  stackName: string;
  /** The RDS instance the stack holds (AWSEBRDSDatabase); null when the option says coupled but the stack holds none. */
  instanceId: string | null;
  /** aws:rds:dbinstance DBDeletionPolicy (Delete when unset, EB's default). */
  deletionPolicy: string;
  /** The aws:rds:dbinstance options (DBPassword among them: never print them whole). */
  options: Record<string, string>;
}

/** EB's stack for an environment: `awseb-<environment id>-stack`. */
export function ebStackName(environmentId: string): string {
  return `awseb-${environmentId}-stack`;
}

/**
 * Whether the environment has a coupled database, and which instance it is: the environment's
 * aws:rds:dbinstance HasCoupledDatabase option, then the AWSEBRDSDatabase resource of its stack
 * (CloudFormation DescribeStackResource). No call when the option says no database is coupled.
 * Source: EB Developer Guide, "General options for all environments" (aws:rds:dbinstance).
 */
export async function readCoupling(aws: AwsClients, env: LiveEnv): Promise<Coupling | null> {
  if (env.rdsOptions.HasCoupledDatabase !== "true") return null;
  const stackName = ebStackName(env.id);
  let instanceId: string | null = null;
  try {
    const r = await aws.cfn(
      new DescribeStackResourceCommand({ StackName: stackName, LogicalResourceId: EB_DATABASE_LOGICAL_ID }),
    );
    instanceId = r.StackResourceDetail?.PhysicalResourceId ?? null;
  } catch (e) {
    // CloudFormation says ValidationError for a stack or resource that does not exist.
    if (!isAwsCode(e, "ValidationError")) throw e;
  }
  return {
    application: env.application,
    environment: env.name,
    environmentId: env.id,
    stackName,
    instanceId,
    deletionPolicy: env.rdsOptions.DBDeletionPolicy || "Delete",
    options: { ...env.rdsOptions },
  };
}
