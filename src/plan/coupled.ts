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
