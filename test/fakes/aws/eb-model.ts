import type { EbEnvironment, RegionState } from "./state.js";

export const NS = {
  vpc: "aws:ec2:vpc",
  launch: "aws:autoscaling:launchconfiguration",
  env: "aws:elasticbeanstalk:application:environment",
  secrets: "aws:elasticbeanstalk:application:environmentsecrets",
} as const;

/** Platform versions released from this day support environment secrets. */
export const SECRETS_SUPPORTED_FROM = Date.UTC(2025, 2, 26);

export function optionKey(namespace: string, name: string): string {
  return `${namespace}|${name}`;
}

export function getOption(env: EbEnvironment, namespace: string, name: string): string | undefined {
  return env.options.get(optionKey(namespace, name));
}

/**
 * The security groups EB instances run with: the group EB manages plus every group the
 * launch configuration's SecurityGroups option names (ids, or names resolved in the VPC).
 */
export function effectiveSecurityGroups(r: RegionState, env: EbEnvironment): string[] {
  const vpcId = getOption(env, NS.vpc, "VPCId");
  const listed = (getOption(env, NS.launch, "SecurityGroups") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((ref) =>
      ref.startsWith("sg-")
        ? ref
        : ([...r.ec2.securityGroups.values()].find((g) => g.GroupName === ref && g.VpcId === vpcId)
            ?.GroupId ?? ref),
    );
  return [...new Set([env.managedSecurityGroupId, ...listed])];
}

/** Security groups attached to running EB instances in the region (they block DeleteSecurityGroup). */
export function ebSecurityGroupsInUse(r: RegionState): Set<string> {
  const out = new Set<string>();
  for (const env of r.eb.environments.values()) {
    if (env.status === "Terminated") continue;
    for (const g of effectiveSecurityGroups(r, env)) out.add(g);
  }
  return out;
}

/** The environment's properties (aws:elasticbeanstalk:application:environment) as a plain object. */
export function environmentProperties(
  env: EbEnvironment,
  namespace: string = NS.env,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of env.options) {
    const [ns, name] = key.split("|");
    if (ns === namespace) out[name] = value;
  }
  return out;
}
