import type {
  CreateLogGroupCommandInput,
  DeleteLogGroupCommandInput,
  DescribeLogGroupsCommandInput,
  FilterLogEventsCommandInput,
  PutRetentionPolicyCommandInput,
} from "@aws-sdk/client-cloudwatch-logs";
import { type Ctx, type Handlers, read, write } from "./kit.js";
import { type LogGroup, regional } from "./serverless-model.js";

/**
 * CloudWatch Logs log groups (CloudWatch Logs API Reference: CreateLogGroup, PutRetentionPolicy,
 * DescribeLogGroups, DeleteLogGroup, FilterLogEvents). Events arrive from Lambda functions the fake
 * runs (lambda-run.ts). Retention does not expire events here.
 */

const RETENTION = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

function groupOf(ctx: Ctx, name: string | undefined): LogGroup {
  const g = ctx.w.serverless.logGroups.get(regional(ctx.region, name ?? ""));
  if (!g) throw ctx.err("ResourceNotFoundException", "The specified log group does not exist.");
  return g;
}

export const logsHandlers: Handlers = {
  CreateLogGroup: write<CreateLogGroupCommandInput>((ctx, i) => {
    const name = i.logGroupName ?? "";
    if (!/^[\w.\-_/#]{1,512}$/.test(name))
      throw ctx.err(
        "InvalidParameterException",
        `1 validation error detected: Value '${name}' at 'logGroupName' failed to satisfy constraint.`,
      );
    const k = regional(ctx.region, name);
    if (ctx.w.serverless.logGroups.has(k))
      throw ctx.err("ResourceAlreadyExistsException", "The specified log group already exists");
    ctx.w.serverless.logGroups.set(k, {
      name,
      arn: `arn:aws:logs:${ctx.region}:${ctx.w.accountId}:log-group:${name}:*`,
      region: ctx.region,
      retentionDays: undefined,
      createdAt: ctx.w.now(),
      events: [],
    });
    return {};
  }),
  PutRetentionPolicy: write<PutRetentionPolicyCommandInput>((ctx, i) => {
    const g = groupOf(ctx, i.logGroupName);
    if (!RETENTION.includes(i.retentionInDays ?? -1))
      throw ctx.err(
        "InvalidParameterException",
        `1 validation error detected: Value '${i.retentionInDays}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION.join(", ")}]`,
      );
    g.retentionDays = i.retentionInDays;
    return {};
  }),
  DescribeLogGroups: read<DescribeLogGroupsCommandInput>((ctx, i) => {
    const all = [...ctx.w.serverless.logGroups.values()]
      .filter((g) => g.region === ctx.region && g.name.startsWith(i.logGroupNamePrefix ?? ""))
      .sort((a, b) => a.name.localeCompare(b.name));
    const page = ctx.w.page("logs", all, i.nextToken, i.limit, {
      min: 1,
      max: 50,
      param: "limit",
      badToken: "InvalidParameterException",
    });
    return {
      logGroups: page.items.map((g) => ({
        logGroupName: g.name,
        arn: g.arn,
        creationTime: g.createdAt,
        ...(g.retentionDays ? { retentionInDays: g.retentionDays } : {}),
        storedBytes: g.events.reduce((n, e) => n + e.message.length, 0),
      })),
      nextToken: page.next,
    };
  }),
  DeleteLogGroup: write<DeleteLogGroupCommandInput>((ctx, i) => {
    const g = groupOf(ctx, i.logGroupName);
    ctx.w.serverless.logGroups.delete(regional(ctx.region, g.name));
    return {};
  }),
  FilterLogEvents: read<FilterLogEventsCommandInput>((ctx, i) => {
    const g = groupOf(ctx, i.logGroupName);
    const events = g.events
      .filter(
        (e) =>
          (i.startTime === undefined || e.at >= i.startTime) &&
          (i.endTime === undefined || e.at <= i.endTime),
      )
      .filter((e) => !i.filterPattern || e.message.includes(i.filterPattern.replace(/^"|"$/g, "")));
    const page = ctx.w.page("logs", events, i.nextToken, i.limit, {
      min: 1,
      max: 10_000,
      param: "limit",
      badToken: "InvalidParameterException",
    });
    return {
      events: page.items.map((e) => ({ timestamp: e.at, message: e.message, logStreamName: "fake" })),
      nextToken: page.next,
    };
  }),
};
