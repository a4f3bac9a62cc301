import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  paginateDescribeAlarms,
  PutMetricAlarmCommand,
  type PutMetricAlarmCommandInput,
} from "@aws-sdk/client-cloudwatch";
import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  SNSClient,
  SubscribeCommand,
  TagResourceCommand,
} from "@aws-sdk/client-sns";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeAws, installFakeAws } from "./index.js";
import { credentials } from "./test-helpers.js";

let fake: FakeAws;
const cw = () => new CloudWatchClient({ region: "us-east-1", credentials });
const sns = () => new SNSClient({ region: "us-east-1", credentials });
beforeEach(() => {
  fake = installFakeAws();
});
afterEach(() => fake.uninstall());

const cpuAlarm = (
  name: string,
  over: Partial<PutMetricAlarmCommandInput> = {},
): PutMetricAlarmCommandInput => ({
  AlarmName: name,
  Namespace: "AWS/RDS",
  MetricName: "CPUUtilization",
  Dimensions: [{ Name: "DBInstanceIdentifier", Value: "my-app-prod-db" }],
  Statistic: "Average",
  Period: 300,
  EvaluationPeriods: 2,
  Threshold: 80,
  ComparisonOperator: "GreaterThanThreshold",
  AlarmActions: ["arn:aws:sns:us-east-1:123456789012:my-app-prod-db-alarms"],
  ...over,
});

describe("CloudWatch alarms", () => {
  it("upserts alarms, lists them by prefix across pages and by state, and deletes them", async () => {
    for (const n of ["my-app-prod-db-cpu", "my-app-prod-db-storage", "my-app-prod-db-conns", "other"])
      await cw().send(new PutMetricAlarmCommand(cpuAlarm(n)));
    await cw().send(new PutMetricAlarmCommand(cpuAlarm("my-app-prod-db-cpu", { Threshold: 90 })));
    const names: string[] = [];
    for await (const page of paginateDescribeAlarms(
      { client: cw() },
      { AlarmNamePrefix: "my-app-prod-db-" },
    )) {
      names.push(...(page.MetricAlarms ?? []).map((a) => a.AlarmName ?? ""));
    }
    expect(names).toEqual(["my-app-prod-db-conns", "my-app-prod-db-cpu", "my-app-prod-db-storage"]);
    const cpu = await cw().send(new DescribeAlarmsCommand({ AlarmNames: ["my-app-prod-db-cpu"] }));
    expect(cpu.MetricAlarms?.[0]).toMatchObject({ Threshold: 90, StateValue: "INSUFFICIENT_DATA" });
    fake.setAlarmState("my-app-prod-db-cpu", "ALARM", "test");
    const firing = await cw().send(new DescribeAlarmsCommand({ StateValue: "ALARM" }));
    expect(firing.MetricAlarms?.map((a) => a.AlarmName)).toEqual(["my-app-prod-db-cpu"]);
    await cw().send(new DeleteAlarmsCommand({ AlarmNames: ["other"] }));
    await expect(cw().send(new DeleteAlarmsCommand({ AlarmNames: ["other"] }))).rejects.toMatchObject({
      name: "ResourceNotFound",
    });
  });

  it("evaluates an alarm when a test puts a metric value", async () => {
    await cw().send(new PutMetricAlarmCommand(cpuAlarm("cpu")));
    fake.putMetric({
      namespace: "AWS/RDS",
      metricName: "CPUUtilization",
      dimensions: { DBInstanceIdentifier: "my-app-prod-db" },
      value: 95,
    });
    expect(fake.state.region().cloudwatch.alarms.get("cpu")?.state).toBe("ALARM");
    fake.putMetric({
      namespace: "AWS/RDS",
      metricName: "CPUUtilization",
      dimensions: { DBInstanceIdentifier: "my-app-prod-db" },
      value: 20,
    });
    expect(fake.state.region().cloudwatch.alarms.get("cpu")?.state).toBe("OK");
  });

  it("refuses a bad period, a missing statistic, and names with a prefix together", async () => {
    await expect(cw().send(new PutMetricAlarmCommand(cpuAlarm("x", { Period: 90 })))).rejects.toMatchObject({
      name: "ValidationError",
    });
    await expect(
      cw().send(new PutMetricAlarmCommand(cpuAlarm("x", { Statistic: undefined }))),
    ).rejects.toMatchObject({
      name: "InvalidParameterCombinationException",
    });
    await expect(
      cw().send(new DescribeAlarmsCommand({ AlarmNames: ["a"], AlarmNamePrefix: "a" })),
    ).rejects.toMatchObject({
      name: "InvalidParameterCombinationException",
    });
  });
});

describe("SNS", () => {
  it("creates a topic idempotently by name, subscribes an e-mail pending confirmation", async () => {
    const a = await sns().send(
      new CreateTopicCommand({ Name: "my-app-prod-db-alarms", Tags: [{ Key: "ebdb:app", Value: "my-app" }] }),
    );
    const b = await sns().send(new CreateTopicCommand({ Name: "my-app-prod-db-alarms" }));
    expect(b.TopicArn).toBe(a.TopicArn);
    await expect(
      sns().send(
        new CreateTopicCommand({
          Name: "my-app-prod-db-alarms",
          Tags: [{ Key: "ebdb:app", Value: "other" }],
        }),
      ),
    ).rejects.toMatchObject({
      name: "InvalidParameterException",
    });
    const sub = await sns().send(
      new SubscribeCommand({ TopicArn: a.TopicArn, Protocol: "email", Endpoint: "ops@example.com" }),
    );
    expect(sub.SubscriptionArn).toBe("pending confirmation");
    const subs = await sns().send(new ListSubscriptionsByTopicCommand({ TopicArn: a.TopicArn }));
    expect(subs.Subscriptions).toEqual([
      expect.objectContaining({
        SubscriptionArn: "PendingConfirmation",
        Protocol: "email",
        Endpoint: "ops@example.com",
      }),
    ]);
    fake.confirmSubscription(a.TopicArn ?? "");
    const attrs = await sns().send(new GetTopicAttributesCommand({ TopicArn: a.TopicArn }));
    expect(attrs.Attributes).toMatchObject({ SubscriptionsConfirmed: "1", SubscriptionsPending: "0" });
    await expect(
      sns().send(new SubscribeCommand({ TopicArn: a.TopicArn, Protocol: "email", Endpoint: "not-an-email" })),
    ).rejects.toMatchObject({
      name: "InvalidParameterException",
    });
  });

  it("tags, deletes idempotently, and reports a missing topic", async () => {
    const { TopicArn } = await sns().send(new CreateTopicCommand({ Name: "t" }));
    await sns().send(
      new TagResourceCommand({ ResourceArn: TopicArn, Tags: [{ Key: "ebdb:managed", Value: "true" }] }),
    );
    expect(fake.state.region().sns.topics.get("t")?.tags).toEqual([{ Key: "ebdb:managed", Value: "true" }]);
    await sns().send(new DeleteTopicCommand({ TopicArn }));
    await sns().send(new DeleteTopicCommand({ TopicArn }));
    await expect(sns().send(new GetTopicAttributesCommand({ TopicArn }))).rejects.toMatchObject({
      name: "NotFoundException",
      message: "Topic does not exist",
    });
  });
});
