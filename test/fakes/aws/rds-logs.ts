import type { FakeAws } from "./install.js";
import { regional } from "./serverless-model.js";

/**
 * What RDS publishes to CloudWatch Logs for an instance whose EnabledCloudwatchLogsExports holds
 * `kind` (PostgreSQL: postgresql, upgrade; MySQL and MariaDB: error, general, slowquery, audit): the
 * lines go to the log group `/aws/rds/instance/<id>/<kind>`, made on the first publication (RDS User
 * Guide, "Publishing database logs to Amazon CloudWatch Logs"). A kind the instance does not export
 * publishes nothing: returns false. `at` defaults to now on the fake's clock.
 */
export function publishRdsLog(
  fake: FakeAws,
  instanceId: string,
  kind: string,
  message: string,
  opts: { at?: Date; region?: string } = {},
): boolean {
  const region = opts.region ?? fake.region;
  const inst = fake.state.region(region).rds.instances.get(instanceId.toLowerCase());
  if (!inst?.logExports.includes(kind)) return false;
  const name = `/aws/rds/instance/${inst.id}/${kind}`;
  const key = regional(region, name);
  let g = fake.state.serverless.logGroups.get(key);
  if (!g) {
    g = {
      name,
      arn: `arn:aws:logs:${region}:${fake.accountId}:log-group:${name}:*`,
      region,
      retentionDays: undefined,
      createdAt: fake.clock.now().getTime(),
      events: [],
    };
    fake.state.serverless.logGroups.set(key, g);
  }
  g.events.push({ at: (opts.at ?? fake.clock.now()).getTime(), message });
  g.events.sort((a, b) => a.at - b.at);
  return true;
}
