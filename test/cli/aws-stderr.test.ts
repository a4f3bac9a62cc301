import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, test } from "vitest";

// What an AWS command prints is ebdb's own: under Node 20 the AWS SDK printed a 7-line notice (its
// later versions will need Node 22) at a command's first RDS call. The built clients, as the CLI
// loads them, calling a dead endpoint in a process that lives long enough for a warning to print.
const clients = join(__dirname, "../../dist/targets/aws/clients.js");
const script = `
const { DescribeDBInstancesCommand } = require("@aws-sdk/client-rds");
import(${JSON.stringify(clients)}).then(async ({ AwsClients, realClock }) => {
  const aws = new AwsClients({ region: "us-east-1", profile: null, endpoint: "http://127.0.0.1:9" }, realClock);
  await aws.rds(new DescribeDBInstancesCommand({})).catch(() => {});
  await new Promise((r) => setTimeout(r, 300));
  console.log("done");
});`;

test("no AWS SDK notice on stderr", () => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
    AWS_SECRET_ACCESS_KEY: "x",
    AWS_MAX_ATTEMPTS: "1",
  };
  delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  const r = spawnSync(process.execPath, ["-e", script], {
    cwd: join(__dirname, "../.."),
    env,
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(r.stdout.trim()).toBe("done");
  expect(r.stderr).not.toMatch(/NodeVersionSupportWarning|node >=22/);
});
