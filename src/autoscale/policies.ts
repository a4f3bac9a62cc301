import { ebdbPolicy } from "./policy-ebdb.js";
import { stepPolicy } from "./policy-step.js";
import { targetTrackingPolicy } from "./policy-target-tracking.js";
import type { Policy, PolicyName } from "./types.js";

/** The policies by the names `autoscale simulate --policy` takes. */
export const POLICIES: Readonly<Record<PolicyName, Policy>> = {
  ebdb: ebdbPolicy,
  "target-tracking": targetTrackingPolicy,
  step: stepPolicy,
};
