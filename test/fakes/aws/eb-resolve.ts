import { coupledVariables } from "./eb-coupled.js";
import { getOption, NS } from "./eb-model.js";
import { roleAllows, roleOfInstanceProfile } from "./iam-eval.js";
import type { AppEnvironment, EbEnvironment, Secret } from "./state.js";

export type { AppEnvironment };
import type { World } from "./world.js";

/** A Secrets Manager secret by full or partial ARN, in the ARN's region. */
function secretByArn(w: World, arn: string): Secret | undefined {
  const m = /^arn:aws:secretsmanager:([a-z0-9-]+):(\d{12}):secret:(.+)$/.exec(arn);
  if (!m || m[2] !== w.accountId) return undefined;
  for (const s of w.region(m[1]).secrets.values()) {
    if (s.arn === arn || s.arn.slice(0, -7) === arn) return s;
  }
  return undefined;
}

/**
 * One environment secret's value, fetched as EB does on an instance (with the instance profile's role):
 * the secret's AWSCURRENT SecretString, whole (EB puts the entire value in the variable: a JSON secret
 * gives the JSON text). Throws a message when the instance could not fetch it.
 */
function fetchSecret(w: World, env: EbEnvironment, name: string, arn: string): string {
  if (arn.startsWith("arn:aws:ssm:")) {
    throw new Error(`${name}: SSM Parameter Store parameters are not modelled by the fake (${arn})`);
  }
  const role = roleOfInstanceProfile(w, getOption(env, NS.launch, "IamInstanceProfile"));
  if (!role) throw new Error(`${name}: the instances have no instance profile role to fetch ${arn} with`);
  const secret = secretByArn(w, arn);
  // IAM is evaluated against the ARN as configured (the secret's full ARN when it exists).
  if (!roleAllows(w, role, "secretsmanager:GetSecretValue", secret?.arn ?? arn)) {
    throw new Error(
      `${name}: AccessDeniedException: role ${role} is not authorized to perform secretsmanager:GetSecretValue on ${arn}`,
    );
  }
  if (!secret) throw new Error(`${name}: ResourceNotFoundException: Secrets Manager can't find ${arn}`);
  if (secret.deletedAt !== undefined) throw new Error(`${name}: ${arn} is marked for deletion`);
  const current = secret.versions.find((v) => v.stages.includes("AWSCURRENT"));
  if (current?.value === undefined) throw new Error(`${name}: ${arn} holds no SecretString`);
  secret.accessedAt = w.now();
  return current.value;
}

/**
 * Loads the environment the application sees, as EB does when it deploys to the instances (at launch,
 * after a configuration update, on RestartAppServer): the environment properties as they are, and each
 * environment secret fetched now, and a coupled database's RDS_* (eb-coupled.ts). Values changed in Secrets Manager later reach the application only
 * at the next such deployment ("you must manually refresh", EB Developer Guide, "Fetching secrets and
 * parameters to Elastic Beanstalk environment variables"). When any secret cannot be fetched the
 * deployment fails: the application keeps what it had, and the environment reports the error.
 */
export function loadAppEnvironment(w: World, env: EbEnvironment): void {
  const variables: Record<string, string> = {};
  const errors: string[] = [];
  for (const [key, value] of env.options) {
    const [ns, name] = key.split("|");
    if (ns === NS.env) variables[name] = value;
  }
  for (const [key, arn] of env.options) {
    const [ns, name] = key.split("|");
    if (ns !== NS.secrets) continue;
    try {
      variables[name] = fetchSecret(w, env, name, arn);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  // A coupled database's RDS_* come from EB itself, over any property or secret of the same name.
  Object.assign(variables, coupledVariables(w, env));
  if (errors.length > 0) {
    env.app = { ...env.app, errors };
    env.health = "Red";
    for (const message of errors) {
      env.events.push({
        at: w.now(),
        message: `Instance deployment failed to get environment secret ${message}`,
        severity: "ERROR",
      });
    }
    return;
  }
  env.app = { variables, loadedAt: w.now(), errors: [] };
  env.health = "Green";
}
