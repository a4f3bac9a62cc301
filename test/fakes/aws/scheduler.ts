import type {
  CreateScheduleCommandInput,
  DeleteScheduleCommandInput,
  GetScheduleCommandInput,
  UpdateScheduleCommandInput,
} from "@aws-sdk/client-scheduler";
import { roleAllows } from "./iam-eval.js";
import { type Ctx, type Handlers, read, write } from "./kit.js";
import { invokeFunction } from "./lambda-run.js";
import { regional, type Schedule } from "./serverless-model.js";
import type { World } from "./world.js";

/**
 * EventBridge Scheduler (Scheduler API Reference: CreateSchedule, GetSchedule, UpdateSchedule,
 * DeleteSchedule; "Schedule types": rate/cron/at expressions). Only the `default` group. Schedules
 * fire when a test calls `fireSchedules` (the fake's clock runs no work by itself): each ENABLED
 * rate schedule invokes its Lambda target once per period, with Input's
 * `<aws.scheduler.scheduled-time>` filled in, as the schedule's role (which must trust
 * scheduler.amazonaws.com and be allowed lambda:InvokeFunction on the target).
 */

const key = (ctx: Ctx, group: string | undefined, name: string | undefined) =>
  regional(ctx.region, `${group ?? "default"}/${name ?? ""}`);

/** Milliseconds of a `rate(n unit)` expression, or null; singular unit for 1, plural otherwise. */
export function ratePeriodMs(expr: string): number | null {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expr);
  if (!m) return null;
  const n = Number(m[1]);
  if (n < 1 || (n === 1) !== !m[2].endsWith("s")) return null;
  const unit = m[2].replace(/s$/, "");
  return n * (unit === "minute" ? 60_000 : unit === "hour" ? 3_600_000 : 86_400_000);
}

function check(ctx: Ctx, i: CreateScheduleCommandInput): void {
  const invalid = (m: string) => ctx.err("ValidationException", m);
  if (!/^[0-9a-zA-Z-_.]{1,64}$/.test(i.Name ?? "")) throw invalid(`Invalid schedule name ${i.Name}.`);
  if ((i.GroupName ?? "default") !== "default")
    throw ctx.err("ResourceNotFoundException", `Schedule group ${i.GroupName} does not exist.`, 404);
  const expr = i.ScheduleExpression ?? "";
  if (
    !ratePeriodMs(expr) &&
    !/^cron\(.+\)$/.test(expr) &&
    !/^at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\)$/.test(expr)
  )
    throw invalid(`Invalid Schedule Expression ${expr}.`);
  if (!i.FlexibleTimeWindow?.Mode) throw invalid("FlexibleTimeWindow is required.");
  if (i.FlexibleTimeWindow.Mode === "FLEXIBLE" && !i.FlexibleTimeWindow.MaximumWindowInMinutes)
    throw invalid("MaximumWindowInMinutes is required when Mode is FLEXIBLE.");
  if (!i.Target?.Arn || !/^arn:aws:[a-z0-9-]+:/.test(i.Target.Arn)) throw invalid("Invalid target ARN.");
  if (!i.Target.RoleArn || !/^arn:aws:iam::\d{12}:role\/.+$/.test(i.Target.RoleArn))
    throw invalid("Invalid RoleArn for target.");
  if (i.State && !["ENABLED", "DISABLED"].includes(i.State)) throw invalid(`Invalid State ${i.State}.`);
}

function shape(s: Schedule) {
  return {
    Arn: s.arn,
    Name: s.name,
    GroupName: s.group,
    ScheduleExpression: s.expression,
    ScheduleExpressionTimezone: s.timezone ?? "UTC",
    State: s.state,
    Description: s.description,
    FlexibleTimeWindow: { Mode: "OFF" as const },
    Target: { ...s.target },
    CreationDate: new Date(s.createdAt),
    LastModificationDate: new Date(s.updatedAt),
  };
}

function upsert(ctx: Ctx, i: CreateScheduleCommandInput, existing: Schedule | undefined): Schedule {
  check(ctx, i);
  const now = ctx.w.now();
  const name = i.Name!;
  return {
    name,
    group: "default",
    arn: `arn:aws:scheduler:${ctx.region}:${ctx.w.accountId}:schedule/default/${name}`,
    region: ctx.region,
    expression: i.ScheduleExpression!,
    timezone: i.ScheduleExpressionTimezone,
    state: (i.State as Schedule["state"]) ?? "ENABLED",
    description: i.Description,
    target: {
      Arn: i.Target!.Arn!,
      RoleArn: i.Target!.RoleArn!,
      ...(i.Target!.Input ? { Input: i.Target!.Input } : {}),
    },
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
    runs: existing?.runs ?? [],
  };
}

export const schedulerHandlers: Handlers = {
  CreateSchedule: write<CreateScheduleCommandInput>((ctx, i) => {
    const k = key(ctx, i.GroupName, i.Name);
    if (ctx.w.serverless.schedules.has(k))
      throw ctx.err("ConflictException", `Schedule ${i.Name} already exists.`, 409);
    const s = upsert(ctx, i, undefined);
    ctx.w.serverless.schedules.set(k, s);
    return { ScheduleArn: s.arn };
  }),
  GetSchedule: read<GetScheduleCommandInput>((ctx, i) => {
    const s = ctx.w.serverless.schedules.get(key(ctx, i.GroupName, i.Name));
    if (!s) throw ctx.err("ResourceNotFoundException", `Schedule ${i.Name} does not exist.`, 404);
    return shape(s);
  }),
  UpdateSchedule: write<UpdateScheduleCommandInput>((ctx, i) => {
    const k = key(ctx, i.GroupName, i.Name);
    const old = ctx.w.serverless.schedules.get(k);
    if (!old) throw ctx.err("ResourceNotFoundException", `Schedule ${i.Name} does not exist.`, 404);
    const s = upsert(ctx, i, old);
    ctx.w.serverless.schedules.set(k, s);
    return { ScheduleArn: s.arn };
  }),
  DeleteSchedule: write<DeleteScheduleCommandInput>((ctx, i) => {
    const k = key(ctx, i.GroupName, i.Name);
    if (!ctx.w.serverless.schedules.delete(k))
      throw ctx.err("ResourceNotFoundException", `Schedule ${i.Name} does not exist.`, 404);
    return {};
  }),
};

/**
 * Fires every ENABLED rate schedule for each of its periods that start in (fromMs, toMs], oldest
 * first, advancing the clock to each run. A target that is not a Lambda function, a role that may
 * not invoke it, or a function error is recorded in the schedule's `runs` (Scheduler retries and
 * dead-letter queues are not modelled).
 */
export async function fireSchedules(w: World, fromMs: number, toMs: number): Promise<void> {
  const due: { s: Schedule; at: number }[] = [];
  for (const s of w.serverless.schedules.values()) {
    const period = ratePeriodMs(s.expression);
    if (s.state !== "ENABLED" || !period) continue;
    // Rate schedules run on the period's boundaries from their creation time.
    for (
      let at = s.createdAt + period * Math.floor((fromMs - s.createdAt) / period + 1);
      at <= toMs;
      at += period
    )
      if (at > fromMs) due.push({ s, at });
  }
  due.sort((a, b) => a.at - b.at);
  for (const { s, at } of due) {
    if (at > w.now()) w.clock.advanceTo(at);
    const role = s.target.RoleArn.slice(s.target.RoleArn.lastIndexOf("/") + 1);
    const trust = w.iam.roles.get(role)?.assumeRolePolicy ?? "";
    const fn = [...w.serverless.functions.values()].find((f) => f.arn === s.target.Arn);
    let error: string | null = null;
    if (!/scheduler\.amazonaws\.com/.test(trust)) error = `Scheduler cannot assume ${s.target.RoleArn}.`;
    else if (!roleAllows(w, role, "lambda:InvokeFunction", s.target.Arn))
      error = `${s.target.RoleArn} is not authorized to perform lambda:InvokeFunction on ${s.target.Arn}.`;
    else if (!fn) error = `The target ${s.target.Arn} does not exist.`;
    else if (fn.state !== "Active") error = `The function is ${fn.state}.`;
    else {
      const input = (s.target.Input ?? "{}").replace(
        "<aws.scheduler.scheduled-time>",
        new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z"),
      );
      try {
        await invokeFunction(w, fn, input);
      } catch (e) {
        error = (e as Error).message;
      }
    }
    s.runs.push({ at, error });
  }
}
