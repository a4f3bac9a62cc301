import * as cloudformation from "@aws-sdk/client-cloudformation";
import * as cloudwatch from "@aws-sdk/client-cloudwatch";
import * as logs from "@aws-sdk/client-cloudwatch-logs";
import * as ec2 from "@aws-sdk/client-ec2";
import * as iam from "@aws-sdk/client-iam";
import * as lambda from "@aws-sdk/client-lambda";
import * as rds from "@aws-sdk/client-rds";
import * as route53 from "@aws-sdk/client-route-53";
import * as scheduler from "@aws-sdk/client-scheduler";
import * as secrets from "@aws-sdk/client-secrets-manager";
import * as sns from "@aws-sdk/client-sns";
import { createRequire } from "node:module";
import { unzipSync } from "fflate";
import { callerStore } from "./caller.js";
import { roleAllows } from "./iam-eval.js";
import { type LambdaFunction, regional } from "./serverless-model.js";
import type { World } from "./world.js";

/**
 * Runs a function's deployment package in-process, as the Node.js runtime would: the zip's CommonJS
 * module named by the handler (`index.handler` -> index.js, export `handler`), with the function's
 * environment, `AWS_REGION` and `AWS_LAMBDA_FUNCTION_NAME`, the runtime's AWS SDK v3 (here the very
 * modules the fake is installed under, so the function's calls come back to the fake), and its calls
 * authorised by its execution role (caller.ts). A package is loaded once per CodeSha256 and reused, as
 * a warm execution environment keeps module state. Its console lines go to the function's log group
 * when that exists and the role may write to it (Lambda drops them otherwise).
 */

const SDK: Record<string, unknown> = {
  "@aws-sdk/client-cloudformation": cloudformation,
  "@aws-sdk/client-cloudwatch": cloudwatch,
  "@aws-sdk/client-cloudwatch-logs": logs,
  "@aws-sdk/client-ec2": ec2,
  "@aws-sdk/client-iam": iam,
  "@aws-sdk/client-lambda": lambda,
  "@aws-sdk/client-rds": rds,
  "@aws-sdk/client-route-53": route53,
  "@aws-sdk/client-scheduler": scheduler,
  "@aws-sdk/client-secrets-manager": secrets,
  "@aws-sdk/client-sns": sns,
};
const nodeRequire = createRequire(import.meta.url);

type Handler = (event: unknown, context: unknown) => Promise<unknown>;
interface Loaded {
  handler: Handler;
  lines: string[];
}
const warm = new WeakMap<World, Map<string, Loaded>>();

export class FunctionError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

function load(w: World, fn: LambdaFunction): Loaded {
  const cache = warm.get(w) ?? new Map<string, Loaded>();
  warm.set(w, cache);
  const key = `${fn.arn}|${fn.codeSha256}|${fn.handler}|${JSON.stringify(fn.environment)}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const [file, exported] = [fn.handler.slice(0, fn.handler.lastIndexOf(".")), fn.handler.split(".").pop()!];
  const files = unzipSync(fn.zip);
  const src = files[`${file}.js`] ?? files[`${file}.cjs`];
  if (!src) throw new FunctionError("Runtime.ImportModuleError", `Error: Cannot find module '${file}'`);
  const lines: string[] = [];
  const say = (...a: unknown[]) =>
    lines.push(a.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join(" "));
  const sandboxConsole = { log: say, info: say, warn: say, error: say, debug: say };
  const env = { ...fn.environment, AWS_REGION: fn.region, AWS_LAMBDA_FUNCTION_NAME: fn.name };
  const sandboxProcess = Object.create(process, { env: { value: env } });
  const require = (name: string) => {
    if (SDK[name]) return SDK[name];
    if (name.startsWith("node:") || nodeRequire("node:module").builtinModules.includes(name))
      return nodeRequire(name);
    throw new FunctionError("Runtime.ImportModuleError", `Error: Cannot find module '${name}'`);
  };
  const module = { exports: {} as Record<string, unknown> };
  const run = new Function(
    "exports",
    "require",
    "module",
    "__filename",
    "__dirname",
    "console",
    "process",
    new TextDecoder().decode(src),
  );
  run(module.exports, require, module, `/var/task/${file}.js`, "/var/task", sandboxConsole, sandboxProcess);
  const handler = module.exports[exported];
  if (typeof handler !== "function")
    throw new FunctionError("Runtime.HandlerNotFound", `${fn.handler} is undefined or not exported`);
  const loaded = { handler: handler as Handler, lines };
  cache.set(key, loaded);
  return loaded;
}

/** Invokes `fn` with `payload` (JSON text); the handler's result, or a FunctionError. */
export async function invokeFunction(w: World, fn: LambdaFunction, payload: string): Promise<unknown> {
  const requestId = w.uuid();
  const loaded = load(w, fn);
  const start = loaded.lines.length;
  loaded.lines.push(`START RequestId: ${requestId} Version: $LATEST`);
  const role = fn.role.slice(fn.role.lastIndexOf("/") + 1);
  const event = payload ? JSON.parse(payload) : {};
  const context = { functionName: fn.name, invokedFunctionArn: fn.arn, awsRequestId: requestId };
  let error: string | null = null;
  try {
    return await callerStore.run({ role, session: fn.name }, () => loaded.handler(event, context));
  } catch (e) {
    const err = e as Error;
    error = err.message;
    throw e instanceof FunctionError ? e : new FunctionError(err.name || "Error", err.message);
  } finally {
    loaded.lines.push(`END RequestId: ${requestId}`);
    fn.invocations.push({ at: w.now(), payload, error });
    const group = w.serverless.logGroups.get(regional(fn.region, fn.logGroup));
    const groupArn = `arn:aws:logs:${fn.region}:${w.accountId}:log-group:${fn.logGroup}:*`;
    if (group && roleAllows(w, role, "logs:PutLogEvents", groupArn))
      group.events.push(...loaded.lines.slice(start).map((message) => ({ at: w.now(), message })));
    loaded.lines.length = start;
  }
}
