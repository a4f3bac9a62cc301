import type { Change } from "../model/change.js";

/** The EB environment a database is coupled to, as a target observes it. */
export interface CoupledTo {
  environment: string;
  /** aws:rds:dbinstance DBDeletionPolicy: Delete (EB's default), Snapshot or Retain. */
  deletionPolicy: string;
}

function fate(policy: string): string {
  if (policy === "Retain") return "DBDeletionPolicy is Retain, so the instance would outlive the environment";
  if (policy === "Snapshot")
    return "DBDeletionPolicy is Snapshot: RDS would delete it after a final snapshot";
  return "DBDeletionPolicy is Delete: nothing of it would be kept";
}

/**
 * One paragraph on why a coupled database is at risk and what `ebdb decouple` does about it. Sources:
 * EB Developer Guide, "Adding a database to your Elastic Beanstalk environment" (Database lifecycle),
 * and the EB public roadmap issues #145 (engine upgrades), #303 (updates failing in a loop after the
 * instance changed outside EB) and #305 (encryption).
 */
export function coupledNote(identifier: string, c: CoupledTo): string {
  return [
    `${identifier} is coupled to Elastic Beanstalk environment ${c.environment}: EB made it in the environment's CloudFormation stack, so terminating or rebuilding the environment deletes it (${fate(c.deletionPolicy)}),`,
    "and changing it outside EB makes EB's next updates of the environment fail (EB roadmap #303), while EB itself cannot upgrade its engine (#145) or encrypt it (#305).",
    "ebdb changes nothing on it while it is coupled.",
    "`ebdb decouple --target aws` turns deletion protection on and sets DBDeletionPolicy to Retain before anything else, stores the credentials in Secrets Manager, gives the environment ebdb's variables (the RDS_* the application reads keep working), and only then removes the database from the environment, checking after each step that the application still reaches it.",
  ].join(" ");
}

/** A change `up` would make, refused while the database is coupled (decouple first). */
export function refuseWhileCoupled(identifier: string, c: CoupledTo, change: Change): Change {
  return {
    ...change,
    reason: `${change.reason} — not while ${identifier} is coupled to EB environment ${c.environment}: run \`ebdb decouple --target aws\` first`,
  };
}

/**
 * The changes `ebdb decouple` makes on its way (src/targets/aws/decouple.ts): deletion protection, the
 * secrets, the instance role's policy, the EB variables (and the client security group in client-sg
 * mode), the replicas behind the database's group.
 */
export function madeByDecouple(c: Change): boolean {
  return (
    c.kind === "secret" ||
    c.kind === "iam-policy" ||
    c.kind === "eb-environment" ||
    (c.kind === "security-group" && c.action === "create") ||
    (c.kind === "instance" && c.field === "deletionProtection" && c.to === true) ||
    (c.kind === "replica" && c.field === "securityGroups")
  );
}

/** One note for what decouple will make, in its order, instead of listing each as refused. */
export function decoupleMakes(changes: Change[]): string {
  const parts: [string, (c: Change) => boolean][] = [
    ["deletion protection", (c) => c.kind === "instance"],
    ["the secrets in Secrets Manager", (c) => c.kind === "secret"],
    ["the instance role's policy to read them", (c) => c.kind === "iam-policy"],
    ["the client security group", (c) => c.kind === "security-group"],
    ["the EB environment's variables", (c) => c.kind === "eb-environment"],
    ["the replicas behind the database's security group", (c) => c.kind === "replica"],
  ];
  const what = parts.filter(([, is]) => changes.some(is)).map(([name]) => name);
  return `\`ebdb decouple --target aws\` makes ${what.join(", ")}: after it, \`up\` has nothing to do unless config.env is changed.`;
}
