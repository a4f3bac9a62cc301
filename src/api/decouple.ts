import { requireConfig } from "../config/load.js";
import { userError } from "../errors.js";
import { deriveDesired } from "../model/desired.js";
import type { Clock } from "../targets/aws/clients.js";
import type { DecoupleReport } from "../targets/aws/decouple.js";
import type { CommandContext } from "./context.js";

export type { DecoupleReport };

export interface DecoupleOptions {
  /** Simulated time (tests). */
  clock?: Clock;
}

/**
 * `ebdb decouple --target aws`: takes the database of config.env out of the EB environment that made
 * it (coupled), keeping it where it is: protect, secret, wire, uncouple (see decoupleAws), checking
 * after each step that the application still reaches it. Asks first (the environment's instances get
 * a configuration update). Safe to run again; resumes after an interruption.
 */
export async function decouple(ctx: CommandContext, opts: DecoupleOptions = {}): Promise<DecoupleReport> {
  if (ctx.target === "local" || (ctx.target === undefined && ctx.env.EBDB_TARGET !== "aws")) {
    throw userError(
      "NOT_ON_LOCAL",
      "decouple takes an RDS database out of an Elastic Beanstalk environment: it works on the AWS target only.",
      "Run `ebdb decouple --target aws`.",
    );
  }
  const config = await requireConfig(ctx);
  const desired = deriveDesired(config, "aws");
  const [{ AwsClients, realClock }, { resolveSettings }, { decoupleAws }] = await Promise.all([
    import("../targets/aws/clients.js"),
    import("../targets/aws/index.js"),
    import("../targets/aws/decouple.js"),
  ]);
  const clock = opts.clock ?? realClock;
  const aws = new AwsClients(resolveSettings(ctx, desired), clock);
  const ok = await ctx.io.confirm({
    message: `Decouple ${desired.identifier} from EB environment ${desired.eb.environment}? Its deletion protection goes on and DBDeletionPolicy to Retain first; the environment then gets ebdb's variables (a configuration update of its instances) and lets the database go. Nothing is deleted.`,
    impact: "none",
  });
  if (!ok)
    throw userError(
      "ABORTED",
      "Nothing was changed.",
      "Run `ebdb plan --target aws` to see why it is needed.",
    );
  return decoupleAws({ aws, clock, desired, io: ctx.io });
}
