/**
 * The model of Lambda functions, EventBridge Scheduler schedules and CloudWatch Logs log groups, per
 * region (keyed `<region>|<name>`). Read by lambda.ts, scheduler.ts, logs.ts and the tests.
 */

export interface LambdaFunction {
  name: string;
  arn: string;
  region: string;
  runtime: string;
  role: string;
  handler: string;
  zip: Uint8Array;
  codeSha256: string;
  timeout: number;
  memorySize: number;
  architectures: string[];
  environment: Record<string, string>;
  description: string;
  logGroup: string;
  reservedConcurrency: number | undefined;
  tags: Record<string, string>;
  lastModified: number;
  /** Pending until created; Active after. */
  state: "Pending" | "Active";
  lastUpdateStatus: "InProgress" | "Successful";
  /** Bumped by each change: a superseded transition does nothing. */
  epoch: number;
  /** Invocations: when, the event, and how each ended. */
  invocations: { at: number; payload: string; error: string | null }[];
}

export interface Schedule {
  name: string;
  group: string;
  arn: string;
  region: string;
  expression: string;
  timezone: string | undefined;
  state: "ENABLED" | "DISABLED";
  description: string | undefined;
  target: { Arn: string; RoleArn: string; Input?: string };
  createdAt: number;
  updatedAt: number;
  /** Runs Scheduler made (fireSchedules): the scheduled time and the target's error, if any. */
  runs: { at: number; error: string | null }[];
}

export interface LogGroup {
  name: string;
  arn: string;
  region: string;
  retentionDays: number | undefined;
  createdAt: number;
  events: { at: number; message: string }[];
}

export interface ServerlessState {
  functions: Map<string, LambdaFunction>;
  schedules: Map<string, Schedule>;
  logGroups: Map<string, LogGroup>;
}

export const emptyServerless = (): ServerlessState => ({
  functions: new Map(),
  schedules: new Map(),
  logGroups: new Map(),
});

export const regional = (region: string, name: string) => `${region}|${name}`;

/** Seconds a new function stays Pending, and an update InProgress (Lambda's states, "usually seconds"). */
export const LAMBDA_SETTLE_MS = 5_000;
