import {
  DeleteRolePolicyCommand,
  GetInstanceProfileCommand,
  GetRolePolicyCommand,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { isAwsCode } from "./aws-errors.js";
import type { AwsClients } from "./clients.js";

export interface LiveRole {
  roleName: string;
  /** The policy document ebdb put there, parsed; null when absent. */
  policy: unknown | null;
}

/** The inline policy's name on the EB instance role. */
export function policyName(identifier: string): string {
  return `ebdb-${identifier}-db-secret`;
}

/**
 * GetSecretValue on the database's secrets only: the RDS-layout secret (for the application's own
 * SDK calls) and the secrets EB fetches into DB_PASSWORD and DATABASE_URL with the instances' role.
 */
export function policyDocument(secretArns: readonly string[]): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadDatabaseSecret",
        Effect: "Allow",
        Action: "secretsmanager:GetSecretValue",
        Resource: secretArns.length === 1 ? secretArns[0] : [...secretArns],
      },
    ],
  };
}

/** The role behind the instance profile (name or ARN), and ebdb's inline policy on it. */
export async function readRole(
  aws: AwsClients,
  instanceProfile: string | null,
  identifier: string,
): Promise<LiveRole | null> {
  if (!instanceProfile) return null;
  const profileName = instanceProfile.includes("/")
    ? instanceProfile.slice(instanceProfile.lastIndexOf("/") + 1)
    : instanceProfile;
  let roleName: string | undefined;
  try {
    const r = await aws.iam(new GetInstanceProfileCommand({ InstanceProfileName: profileName }));
    roleName = r.InstanceProfile?.Roles?.[0]?.RoleName;
  } catch (e) {
    if (isAwsCode(e, "NoSuchEntity", "NoSuchEntityException")) return null;
    throw e;
  }
  if (!roleName) return null;
  try {
    const p = await aws.iam(
      new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName(identifier) }),
    );
    return { roleName, policy: JSON.parse(decodeURIComponent(p.PolicyDocument ?? "null")) };
  } catch (e) {
    if (isAwsCode(e, "NoSuchEntity", "NoSuchEntityException")) return { roleName, policy: null };
    throw e;
  }
}

export function policyMatches(role: LiveRole | null, secretArns: readonly (string | null)[]): boolean {
  if (!role || secretArns.length === 0 || secretArns.some((a) => !a)) return false;
  return JSON.stringify(role.policy) === JSON.stringify(policyDocument(secretArns as string[]));
}

export async function putPolicy(
  aws: AwsClients,
  role: LiveRole,
  identifier: string,
  secretArns: readonly string[],
): Promise<void> {
  await aws.iam(
    new PutRolePolicyCommand({
      RoleName: role.roleName,
      PolicyName: policyName(identifier),
      PolicyDocument: JSON.stringify(policyDocument(secretArns)),
    }),
  );
}

export async function deletePolicy(aws: AwsClients, role: LiveRole, identifier: string): Promise<void> {
  try {
    await aws.iam(
      new DeleteRolePolicyCommand({ RoleName: role.roleName, PolicyName: policyName(identifier) }),
    );
  } catch (e) {
    if (!isAwsCode(e, "NoSuchEntity", "NoSuchEntityException")) throw e;
  }
}
