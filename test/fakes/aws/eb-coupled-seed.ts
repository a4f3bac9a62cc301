import { ElasticBeanstalkClient, UpdateEnvironmentCommand } from "@aws-sdk/client-elastic-beanstalk";
import { CreateDBInstanceReadReplicaCommand, RDSClient } from "@aws-sdk/client-rds";
import { coupledInstanceIn, NS_RDS } from "./eb-coupled.js";
import type { FakeAws } from "./install.js";

export interface CoupledDatabaseOptions {
  app: string;
  env: string;
  region?: string;
  engine?: string;
  engineVersion?: string;
  instanceClass?: string;
  allocatedStorage?: number;
  user?: string;
  password: string;
  multiAz?: boolean;
  deletionPolicy?: "Delete" | "Snapshot" | "Retain";
}

/**
 * Adds a database to an environment as the EB console's Database card and `eb create --database` do:
 * one UpdateEnvironment with the aws:rds:dbinstance options (HasCoupledDatabase=true), then waits on
 * the simulated clock until the environment is Ready. Returns the coupled instance's identifier.
 * The environment must name its DBSubnets (seedDefaultEnvironment with `dbSubnets: true`).
 */
export async function addCoupledDatabase(fake: FakeAws, o: CoupledDatabaseOptions): Promise<string> {
  const region = o.region ?? fake.region;
  const eb = new ElasticBeanstalkClient({ region });
  const set = (OptionName: string, Value: string | undefined) =>
    Value === undefined ? [] : [{ Namespace: NS_RDS, OptionName, Value }];
  await eb.send(
    new UpdateEnvironmentCommand({
      ApplicationName: o.app,
      EnvironmentName: o.env,
      OptionSettings: [
        ...set("HasCoupledDatabase", "true"),
        ...set("DBEngine", o.engine ?? "postgres"),
        ...set("DBEngineVersion", o.engineVersion),
        ...set("DBInstanceClass", o.instanceClass ?? "db.t3.micro"),
        ...set("DBAllocatedStorage", String(o.allocatedStorage ?? 20)),
        ...set("DBUser", o.user ?? "ebroot"),
        ...set("DBPassword", o.password),
        ...set("MultiAZDatabase", String(o.multiAz ?? false)),
        ...set("DBDeletionPolicy", o.deletionPolicy ?? "Delete"),
      ],
    }),
  );
  await settle(fake, region, o.env);
  const r = fake.state.region(region);
  const env = [...r.eb.environments.values()].find((e) => e.name === o.env)!;
  const inst = coupledInstanceIn(r, env);
  if (!inst) throw new Error(`EB did not add a database to ${o.env}: ${env.events.at(-1)?.message}`);
  return inst.id;
}

/** Read replicas of `source` made in RDS by hand (outside EB and ebdb), waited for. */
export async function addReplicasByHand(
  fake: FakeAws,
  source: string,
  names: string[],
  region?: string,
): Promise<void> {
  const rds = new RDSClient({ region: region ?? fake.region });
  for (const name of names) {
    await rds.send(
      new CreateDBInstanceReadReplicaCommand({
        DBInstanceIdentifier: name,
        SourceDBInstanceIdentifier: source,
      }),
    );
  }
  fake.clock.advance(13 * 60_000);
}

/** Advances the clock until the environment is Ready again (at most two hours). */
export async function settle(fake: FakeAws, region: string, envName: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const env = [...fake.state.region(region).eb.environments.values()].find((e) => e.name === envName);
    if (env?.status === "Ready") return;
    fake.clock.advance(60_000);
  }
  throw new Error(`EB environment ${envName} did not become Ready`);
}
