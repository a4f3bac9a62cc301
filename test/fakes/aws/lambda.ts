import { createHash } from "node:crypto";
import type {
  CreateFunctionCommandInput,
  DeleteFunctionCommandInput,
  GetFunctionCommandInput,
  InvokeCommandInput,
  PutFunctionConcurrencyCommandInput,
  UpdateFunctionCodeCommandInput,
  UpdateFunctionConfigurationCommandInput,
} from "@aws-sdk/client-lambda";
import { unzipSync } from "fflate";
import { type Ctx, type Handlers, read, write } from "./kit.js";
import { FunctionError, invokeFunction } from "./lambda-run.js";
import { LAMBDA_SETTLE_MS, type LambdaFunction, regional } from "./serverless-model.js";

/**
 * Lambda (Lambda API Reference: CreateFunction, UpdateFunctionCode/Configuration, GetFunction,
 * PutFunctionConcurrency, DeleteFunction, Invoke; "Lambda function states"). Zip packages only.
 */

const RUNTIMES = [
  "nodejs18.x",
  "nodejs20.x",
  "nodejs22.x",
  "python3.11",
  "python3.12",
  "python3.13",
  "java21",
];
const RESERVED_ENV = [
  "AWS_REGION",
  "AWS_DEFAULT_REGION",
  "AWS_LAMBDA_FUNCTION_NAME",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_EXECUTION_ENV",
  "_HANDLER",
];
const ACCOUNT_CONCURRENCY = 1000;
const UNRESERVED_MIN = 100;

const nameOf = (n: string | undefined) => (n ?? "").replace(/^arn:aws:lambda:[^:]+:\d+:function:/, "");

function fnOf(ctx: Ctx, name: string | undefined): LambdaFunction {
  const fn = ctx.w.serverless.functions.get(regional(ctx.region, nameOf(name)));
  if (!fn)
    throw ctx.err(
      "ResourceNotFoundException",
      `Function not found: arn:aws:lambda:${ctx.region}:${ctx.w.accountId}:function:${nameOf(name)}`,
      404,
    );
  return fn;
}

function shape(fn: LambdaFunction) {
  return {
    FunctionName: fn.name,
    FunctionArn: fn.arn,
    Runtime: fn.runtime,
    Role: fn.role,
    Handler: fn.handler,
    CodeSize: fn.zip.length,
    CodeSha256: fn.codeSha256,
    Description: fn.description,
    Timeout: fn.timeout,
    MemorySize: fn.memorySize,
    LastModified: new Date(fn.lastModified).toISOString().replace("Z", "+0000"),
    Version: "$LATEST",
    Environment: { Variables: { ...fn.environment } },
    Architectures: [...fn.architectures],
    State: fn.state,
    ...(fn.state === "Pending"
      ? { StateReason: "The function is being created.", StateReasonCode: "Creating" }
      : {}),
    LastUpdateStatus: fn.lastUpdateStatus,
    PackageType: "Zip",
    LoggingConfig: { LogFormat: "Text", LogGroup: fn.logGroup },
  };
}

/** Checks the settings CreateFunction and UpdateFunctionConfiguration share. */
function checkConfig(ctx: Ctx, i: UpdateFunctionConfigurationCommandInput): void {
  const invalid = (m: string) => ctx.err("InvalidParameterValueException", m);
  const validation = (m: string) => ctx.err("ValidationException", `1 validation error detected: ${m}`);
  if (i.Timeout !== undefined && !(i.Timeout >= 1 && i.Timeout <= 900))
    throw validation(
      `Value '${i.Timeout}' at 'timeout' failed to satisfy constraint: Member must have value between 1 and 900`,
    );
  if (i.MemorySize !== undefined && !(i.MemorySize >= 128 && i.MemorySize <= 10240))
    throw validation(
      `Value '${i.MemorySize}' at 'memorySize' failed to satisfy constraint: Member must have value between 128 and 10240`,
    );
  if (i.Runtime !== undefined && !RUNTIMES.includes(i.Runtime))
    throw invalid(
      `Value ${i.Runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set.`,
    );
  if (i.Role !== undefined) {
    if (!/^arn:aws:iam::\d{12}:role\/.+$/.test(i.Role))
      throw validation(
        `Value '${i.Role}' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+`,
      );
    const role = ctx.w.iam.roles.get(i.Role.slice(i.Role.lastIndexOf("/") + 1));
    if (!role || !/"Service"\s*:\s*(\[[^\]]*)?"lambda\.amazonaws\.com"/.test(role.assumeRolePolicy))
      throw invalid("The role defined for the function cannot be assumed by Lambda.");
  }
  const vars = i.Environment?.Variables ?? {};
  const reserved = Object.keys(vars).filter((k) => RESERVED_ENV.includes(k));
  if (reserved.length)
    throw invalid(
      `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(", ")}`,
    );
  const size = Object.entries(vars).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (size > 4096)
    throw invalid(
      "Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: " +
        JSON.stringify(vars).slice(0, 80),
    );
}

function checkZip(ctx: Ctx, zip: Uint8Array | undefined): Uint8Array {
  if (!zip?.length)
    throw ctx.err("InvalidParameterValueException", "Please provide a source for function code.");
  if (zip.length > 50 * 1024 * 1024)
    throw ctx.err(
      "RequestTooLargeException",
      "Request must be smaller than 69905067 bytes for the CreateFunction operation",
      413,
    );
  try {
    unzipSync(zip);
  } catch {
    throw ctx.err(
      "InvalidParameterValueException",
      "Could not unzip uploaded file. Please check your file, then try to upload again.",
    );
  }
  return new Uint8Array(zip);
}

/** An update starts: InProgress for LAMBDA_SETTLE_MS; refused while the function is Pending or updating. */
function beginUpdate(ctx: Ctx, fn: LambdaFunction): void {
  if (fn.state !== "Active" || fn.lastUpdateStatus === "InProgress")
    throw ctx.err(
      "ResourceConflictException",
      `The operation cannot be performed at this time. An update is in progress for resource: ${fn.arn}`,
      409,
    );
  fn.lastUpdateStatus = "InProgress";
  fn.lastModified = ctx.w.now();
  const epoch = ++fn.epoch;
  ctx.w.clock.schedule(ctx.w.now() + LAMBDA_SETTLE_MS, () => {
    if (fn.epoch === epoch) fn.lastUpdateStatus = "Successful";
  });
}

const sha = (zip: Uint8Array) => createHash("sha256").update(zip).digest("base64");

export const lambdaHandlers: Handlers = {
  CreateFunction: write<CreateFunctionCommandInput>((ctx, i) => {
    const name = i.FunctionName ?? "";
    if (!/^[a-zA-Z0-9-_]{1,64}$/.test(name))
      throw ctx.err(
        "ValidationException",
        `1 validation error detected: Value '${name}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+`,
      );
    if (ctx.w.serverless.functions.has(regional(ctx.region, name)))
      throw ctx.err("ResourceConflictException", `Function already exist: ${name}`, 409);
    if (!i.Role) throw ctx.err("InvalidParameterValueException", "Role is required.");
    if (!i.Runtime || !i.Handler)
      throw ctx.err(
        "InvalidParameterValueException",
        "Runtime and Handler are required for a .zip file archive.",
      );
    checkConfig(ctx, i as UpdateFunctionConfigurationCommandInput);
    const arch = i.Architectures ?? ["x86_64"];
    if (arch.length !== 1 || !["x86_64", "arm64"].includes(arch[0]))
      throw ctx.err("ValidationException", "Architectures must hold exactly one of x86_64, arm64.");
    const zip = checkZip(ctx, i.Code?.ZipFile);
    const fn: LambdaFunction = {
      name,
      arn: `arn:aws:lambda:${ctx.region}:${ctx.w.accountId}:function:${name}`,
      region: ctx.region,
      runtime: i.Runtime,
      role: i.Role,
      handler: i.Handler,
      zip,
      codeSha256: sha(zip),
      timeout: i.Timeout ?? 3,
      memorySize: i.MemorySize ?? 128,
      architectures: [...arch],
      environment: { ...(i.Environment?.Variables ?? {}) },
      description: i.Description ?? "",
      logGroup: i.LoggingConfig?.LogGroup ?? `/aws/lambda/${name}`,
      reservedConcurrency: undefined,
      tags: { ...(i.Tags ?? {}) },
      lastModified: ctx.w.now(),
      state: "Pending",
      lastUpdateStatus: "Successful",
      epoch: 0,
      invocations: [],
    };
    ctx.w.serverless.functions.set(regional(ctx.region, name), fn);
    ctx.w.clock.schedule(ctx.w.now() + LAMBDA_SETTLE_MS, () => {
      fn.state = "Active";
    });
    return shape(fn);
  }),

  GetFunction: read<GetFunctionCommandInput>((ctx, i) => {
    const fn = fnOf(ctx, i.FunctionName);
    return {
      Configuration: shape(fn),
      Code: {
        RepositoryType: "S3",
        Location: `https://awslambda-${fn.region}-tasks.s3.${fn.region}.amazonaws.com/snapshots/${ctx.w.accountId}/${fn.name}`,
      },
      Tags: { ...fn.tags },
      ...(fn.reservedConcurrency !== undefined
        ? { Concurrency: { ReservedConcurrentExecutions: fn.reservedConcurrency } }
        : {}),
    };
  }),

  GetFunctionConfiguration: read<GetFunctionCommandInput>((ctx, i) => shape(fnOf(ctx, i.FunctionName))),

  UpdateFunctionCode: write<UpdateFunctionCodeCommandInput>((ctx, i) => {
    const fn = fnOf(ctx, i.FunctionName);
    const zip = checkZip(ctx, i.ZipFile);
    if (i.Architectures) fn.architectures = [...i.Architectures];
    beginUpdate(ctx, fn);
    fn.zip = zip;
    fn.codeSha256 = sha(zip);
    return shape(fn);
  }),

  UpdateFunctionConfiguration: write<UpdateFunctionConfigurationCommandInput>((ctx, i) => {
    const fn = fnOf(ctx, i.FunctionName);
    checkConfig(ctx, i);
    beginUpdate(ctx, fn);
    if (i.Role) fn.role = i.Role;
    if (i.Handler) fn.handler = i.Handler;
    if (i.Runtime) fn.runtime = i.Runtime;
    if (i.Timeout) fn.timeout = i.Timeout;
    if (i.MemorySize) fn.memorySize = i.MemorySize;
    if (i.Description !== undefined) fn.description = i.Description;
    if (i.Environment) fn.environment = { ...(i.Environment.Variables ?? {}) };
    if (i.LoggingConfig?.LogGroup) fn.logGroup = i.LoggingConfig.LogGroup;
    return shape(fn);
  }),

  PutFunctionConcurrency: write<PutFunctionConcurrencyCommandInput>((ctx, i) => {
    const fn = fnOf(ctx, i.FunctionName);
    const n = i.ReservedConcurrentExecutions ?? -1;
    const others = [...ctx.w.serverless.functions.values()]
      .filter((f) => f !== fn && f.region === ctx.region)
      .reduce((a, f) => a + (f.reservedConcurrency ?? 0), 0);
    if (!(Number.isInteger(n) && n >= 0) || ACCOUNT_CONCURRENCY - others - n < UNRESERVED_MIN)
      throw ctx.err(
        "InvalidParameterValueException",
        `Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${UNRESERVED_MIN}].`,
      );
    fn.reservedConcurrency = n;
    return { ReservedConcurrentExecutions: n };
  }),

  DeleteFunction: write<DeleteFunctionCommandInput>((ctx, i) => {
    const fn = fnOf(ctx, i.FunctionName);
    fn.epoch++;
    ctx.w.serverless.functions.delete(regional(ctx.region, fn.name));
    return {};
  }),

  Invoke: write<InvokeCommandInput>(async (ctx, i) => {
    const fn = fnOf(ctx, i.FunctionName);
    if (fn.state !== "Active")
      throw ctx.err(
        "ResourceConflictException",
        `The operation cannot be performed at this time. The function is currently in the following state: ${fn.state}`,
        409,
      );
    if (fn.reservedConcurrency === 0) throw ctx.err("TooManyRequestsException", "Rate Exceeded.", 429);
    if (i.InvocationType === "DryRun") return { StatusCode: 204 };
    const payload = i.Payload ? new TextDecoder().decode(i.Payload as Uint8Array) : "";
    const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v ?? null));
    try {
      const out = await invokeFunction(ctx.w, fn, payload);
      return {
        StatusCode: i.InvocationType === "Event" ? 202 : 200,
        ExecutedVersion: "$LATEST",
        Payload: bytes(out),
      };
    } catch (e) {
      if (!(e instanceof FunctionError)) throw e;
      return {
        StatusCode: 200,
        ExecutedVersion: "$LATEST",
        FunctionError: "Unhandled",
        Payload: bytes({ errorType: e.errorType, errorMessage: e.message, trace: [] }),
      };
    }
  }),
};
