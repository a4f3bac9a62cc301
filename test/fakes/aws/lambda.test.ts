import { CloudWatchLogsClient, CreateLogGroupCommand } from "@aws-sdk/client-cloudwatch-logs";
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import {
  CreateFunctionCommand,
  InvokeCommand,
  LambdaClient,
  UpdateFunctionCodeCommand,
} from "@aws-sdk/client-lambda";
import { CreateScheduleCommand, SchedulerClient } from "@aws-sdk/client-scheduler";
import { zipSync } from "fflate";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeAws, installFakeAws } from "./index.js";
import { credentials } from "./test-helpers.js";

let fake: FakeAws;
const opts = { region: "us-east-1", credentials };
const lambda = () => new LambdaClient(opts);
const iam = new IAMClient(opts);

/** A function that lists DB instances with the runtime's SDK and logs what it was given. */
const CODE = `
const { RDSClient, DescribeDBInstancesCommand } = require("@aws-sdk/client-rds");
exports.handler = async (event) => {
  console.log("event", JSON.stringify(event), process.env.GREETING);
  const r = await new RDSClient({}).send(new DescribeDBInstancesCommand({}));
  return { instances: (r.DBInstances || []).length, region: process.env.AWS_REGION };
};`;
const zip = (code = CODE) => zipSync({ "index.js": new TextEncoder().encode(code) });
const trust = (service: string) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });

async function role(name: string, service: string, statements: object[]) {
  const r = await iam.send(
    new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust(service) }),
  );
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: name,
      PolicyName: "p",
      PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
    }),
  );
  return r.Role!.Arn!;
}

const create = (roleArn: string) =>
  lambda().send(
    new CreateFunctionCommand({
      FunctionName: "fn",
      Runtime: "nodejs22.x",
      Handler: "index.handler",
      Role: roleArn,
      Code: { ZipFile: zip() },
      Environment: { Variables: { GREETING: "hi" } },
    }),
  );
const invoke = async () => {
  const r = await lambda().send(
    new InvokeCommand({ FunctionName: "fn", Payload: new TextEncoder().encode('{"a":1}') }),
  );
  return { error: r.FunctionError, body: JSON.parse(new TextDecoder().decode(r.Payload as Uint8Array)) };
};

beforeEach(() => {
  fake = installFakeAws();
});
afterEach(() => fake.uninstall());

describe("Lambda in the fake", () => {
  it("runs the zip's handler with the runtime's SDK, as its role allows, logging to its group", async () => {
    const logs = [
      {
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: "arn:aws:logs:*:*:log-group:/aws/lambda/fn:*",
      },
    ];
    const arn = await role("fn-role", "lambda.amazonaws.com", [
      { Effect: "Allow", Action: "rds:DescribeDBInstances", Resource: "*" },
      ...logs,
    ]);
    await new CloudWatchLogsClient(opts).send(new CreateLogGroupCommand({ logGroupName: "/aws/lambda/fn" }));
    const made = await create(arn);
    expect(made.State).toBe("Pending");
    await expect(invoke()).rejects.toMatchObject({ name: "ResourceConflictException" });
    fake.clock.advance(5_000);
    expect(await invoke()).toEqual({ error: undefined, body: { instances: 0, region: "us-east-1" } });
    const group = fake.state.serverless.logGroups.get("us-east-1|/aws/lambda/fn")!;
    expect(group.events.map((e) => e.message)).toContain('event {"a":1} hi');
    // An update is InProgress for a moment: a second one then is refused.
    await lambda().send(new UpdateFunctionCodeCommand({ FunctionName: "fn", ZipFile: zip(`${CODE}\n`) }));
    await expect(
      lambda().send(new UpdateFunctionCodeCommand({ FunctionName: "fn", ZipFile: zip() })),
    ).rejects.toThrow(/update is in progress/);
  });

  it("refuses what the role does not allow, and a role Lambda cannot assume", async () => {
    await expect(create(await role("ec2-role", "ec2.amazonaws.com", []))).rejects.toThrow(
      /cannot be assumed by Lambda/,
    );
    await create(
      await role("fn-role", "lambda.amazonaws.com", [
        { Effect: "Allow", Action: "rds:DescribeDBClusters", Resource: "*" },
      ]),
    );
    fake.clock.advance(5_000);
    const r = await invoke();
    expect(r.error).toBe("Unhandled");
    expect(r.body.errorMessage).toMatch(
      /assumed-role\/fn-role\/fn is not authorized to perform: rds:DescribeDBInstances/,
    );
  });

  it("Scheduler invokes the function each minute with the scheduled time, as its own role", async () => {
    await create(
      await role("fn-role", "lambda.amazonaws.com", [
        { Effect: "Allow", Action: "rds:DescribeDBInstances", Resource: "*" },
      ]),
    );
    const fnArn = `arn:aws:lambda:us-east-1:${fake.accountId}:function:fn`;
    const schedRole = await role("sched", "scheduler.amazonaws.com", [
      { Effect: "Allow", Action: "lambda:InvokeFunction", Resource: fnArn },
    ]);
    const scheduler = new SchedulerClient(opts);
    await expect(
      scheduler.send(
        new CreateScheduleCommand({
          Name: "s",
          ScheduleExpression: "rate(1 minutes)",
          FlexibleTimeWindow: { Mode: "OFF" },
          Target: { Arn: fnArn, RoleArn: schedRole },
        }),
      ),
    ).rejects.toMatchObject({ name: "ValidationException" });
    await scheduler.send(
      new CreateScheduleCommand({
        Name: "s",
        ScheduleExpression: "rate(1 minute)",
        FlexibleTimeWindow: { Mode: "OFF" },
        Target: {
          Arn: fnArn,
          RoleArn: schedRole,
          Input: '{"scheduledTime":"<aws.scheduler.scheduled-time>"}',
        },
      }),
    );
    const start = fake.clock.now().getTime();
    await fake.fireSchedules(start + 3 * 60_000);
    const fn = fake.state.serverless.functions.get("us-east-1|fn")!;
    expect(fn.invocations.map((i) => [JSON.parse(i.payload).scheduledTime, i.error])).toEqual(
      [1, 2, 3].map((m) => [new Date(start + m * 60_000).toISOString().replace(".000Z", "Z"), null]),
    );
  });
});
