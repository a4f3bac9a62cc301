import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { RDSClient } from "@aws-sdk/client-rds";
import { Route53Client } from "@aws-sdk/client-route-53";
import { type ControllerConfig, controllerStep, type StepResult } from "./autoscale-controller.js";
import type { ControllerAws } from "./autoscale-io.js";

/**
 * The Lambda function's entry (bundled alone by scripts/build-lambda.mjs: this file, the controller
 * and the pure policy; the AWS SDK v3 is the one the Node.js runtime provides). EventBridge Scheduler
 * runs it each minute with `{"scheduledTime": "<aws.scheduler.scheduled-time>"}`: that minute is the
 * run's time, so a late or retried delivery decides for the minute it stands for. Its configuration
 * is the EBDB_AUTOSCALE variable `up` sets (ControllerConfig). Each thing it does or decides is a
 * JSON line in its log group; the result is the run's decision.
 */

let clients: ControllerAws | null = null;

function aws(): ControllerAws {
  if (!clients) {
    const opts = { maxAttempts: 5, retryMode: "adaptive" };
    const rds = new RDSClient(opts);
    const cw = new CloudWatchClient(opts);
    const route53 = new Route53Client(opts);
    clients = {
      rds: (c) => rds.send(c as never) as never,
      cw: (c) => cw.send(c as never) as never,
      route53: (c) => route53.send(c as never) as never,
    };
  }
  return clients;
}

export async function handler(event: { scheduledTime?: string } | null): Promise<StepResult> {
  const raw = process.env.EBDB_AUTOSCALE;
  if (!raw) throw new Error("EBDB_AUTOSCALE is not set: this function is deployed by `ebdb up`.");
  const cfg = JSON.parse(raw) as ControllerConfig;
  const at = event?.scheduledTime ? Date.parse(event.scheduledTime) : Number.NaN;
  const now = Number.isFinite(at) ? at : Date.now();
  return controllerStep(aws(), cfg, now, (e) => console.log(JSON.stringify(e)));
}
