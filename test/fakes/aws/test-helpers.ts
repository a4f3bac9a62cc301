import { CreateDBSubnetGroupCommand, RDSClient } from "@aws-sdk/client-rds";
import type { FakeAws } from "./install.js";
import { type SeededEnvironment, seedDefaultEnvironment } from "./seed.js";

/** Dummy credentials: the fake never checks them, and the real credential chain must not run. */
export const credentials = { accessKeyId: "AKIDFAKE", secretAccessKey: "fake-secret" };

export function rdsClient(region = "us-east-1"): RDSClient {
  return new RDSClient({ region, credentials });
}

/** A seeded EB environment plus a DB subnet group over its private subnets. */
export async function rdsWorld(
  fake: FakeAws,
  region = fake.region,
): Promise<SeededEnvironment & { subnetGroup: string }> {
  const env = seedDefaultEnvironment(fake, { app: "my-app", env: "my-app-prod", region });
  await rdsClient(region).send(
    new CreateDBSubnetGroupCommand({
      DBSubnetGroupName: "my-app-prod-db",
      DBSubnetGroupDescription: "ebdb",
      SubnetIds: env.privateSubnetIds,
    }),
  );
  return { ...env, subnetGroup: "my-app-prod-db" };
}

/** A valid CreateDBInstance request in `subnetGroup`, to be overridden per test. */
export function instanceRequest(subnetGroup: string, id = "my-app-prod-db") {
  return {
    DBInstanceIdentifier: id,
    Engine: "postgres",
    EngineVersion: "16.8",
    DBInstanceClass: "db.t3.small",
    AllocatedStorage: 20,
    StorageType: "gp3",
    MasterUsername: "app",
    MasterUserPassword: "Sup3rSecret-pass",
    DBSubnetGroupName: subnetGroup,
    BackupRetentionPeriod: 7,
    StorageEncrypted: true,
  };
}
