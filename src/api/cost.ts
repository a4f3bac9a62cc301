import { requireConfig } from "../config/load.js";
import { type CostEstimate, estimateCost } from "../cost/estimate.js";
import type { CommandContext } from "./context.js";

export interface CostResult extends CostEstimate {
  identifier: string;
  engine: string;
}

/** `ebdb cost`: the monthly estimate of config.env on RDS, from the built-in us-east-1 list prices. */
export async function costEstimate(ctx: CommandContext): Promise<CostResult> {
  const config = await requireConfig(ctx);
  return {
    identifier: config.identifier,
    engine: `${config.engine} ${config.engineVersion}`,
    ...estimateCost(config),
  };
}
