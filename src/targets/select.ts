import { type CommandContext, targetOf } from "../api/context.js";
import type { Target } from "./target.js";

/** Opens the target the context names. Each target is imported only when used (the AWS SDK is heavy). */
export async function openTarget(ctx: CommandContext): Promise<Target> {
  if (targetOf(ctx) === "aws") {
    const { createAwsTarget } = await import("./aws/index.js");
    return createAwsTarget(ctx);
  }
  const { createLocalTarget } = await import("./local/index.js");
  return createLocalTarget(ctx);
}
