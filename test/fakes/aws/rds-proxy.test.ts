import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { CreateRoleCommand, DeleteRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import {
  CreateDBInstanceCommand,
  CreateDBProxyCommand,
  type CreateDBProxyCommandInput,
  DeleteDBProxyCommand,
  DescribeDBProxiesCommand,
  DescribeDBProxyTargetGroupsCommand,
  DescribeDBProxyTargetsCommand,
  ModifyDBProxyCommand,
  ModifyDBProxyTargetGroupCommand,
  RegisterDBProxyTargetsCommand,
} from "@aws-sdk/client-rds";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeAws, installFakeAws, PROXY_TIMES, RDS_TIMES } from "./index.js";
import { credentials, instanceRequest, rdsClient, rdsWorld } from "./test-helpers.js";

let fake: FakeAws;
let world: Awaited<ReturnType<typeof rdsWorld>>;
const iam = () => new IAMClient({ region: "us-east-1", credentials });
const ec2 = () => new EC2Client({ region: "us-east-1", credentials });
const TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "rds.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

beforeEach(async () => {
  fake = installFakeAws();
  world = await rdsWorld(fake);
});
afterEach(() => fake.uninstall());

/** A primary, its JSON secret, a role that may read it, and a proxy security group the DB admits. */
async function setUp(opts: { readable?: boolean; admitted?: boolean; password?: string } = {}) {
  const rds = rdsClient();
  const req = instanceRequest(world.subnetGroup);
  const dbSg = await ec2().send(
    new CreateSecurityGroupCommand({ GroupName: "db", Description: "db", VpcId: world.vpcId }),
  );
  const proxySg = await ec2().send(
    new CreateSecurityGroupCommand({ GroupName: "proxy", Description: "proxy", VpcId: world.vpcId }),
  );
  if (opts.admitted !== false)
    await ec2().send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: dbSg.GroupId,
        IpPermissions: [
          {
            IpProtocol: "tcp",
            FromPort: 5432,
            ToPort: 5432,
            UserIdGroupPairs: [{ GroupId: proxySg.GroupId }],
          },
        ],
      }),
    );
  await rds.send(new CreateDBInstanceCommand({ ...req, VpcSecurityGroupIds: [dbSg.GroupId!] }));
  const secret = await new SecretsManagerClient({ region: "us-east-1", credentials }).send(
    new CreateSecretCommand({
      Name: "my-app/prod/db",
      SecretString: JSON.stringify({ username: "app", password: opts.password ?? req.MasterUserPassword }),
    }),
  );
  const role = await iam().send(
    new CreateRoleCommand({ RoleName: "proxy-role", AssumeRolePolicyDocument: TRUST }),
  );
  if (opts.readable !== false)
    await iam().send(
      new PutRolePolicyCommand({
        RoleName: "proxy-role",
        PolicyName: "read",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secret.ARN }],
        }),
      }),
    );
  const request: CreateDBProxyCommandInput = {
    DBProxyName: "my-app-prod-db-proxy",
    EngineFamily: "POSTGRESQL",
    Auth: [{ AuthScheme: "SECRETS", SecretArn: secret.ARN, IAMAuth: "DISABLED" }],
    RoleArn: role.Role!.Arn,
    VpcSubnetIds: world.privateSubnetIds,
    VpcSecurityGroupIds: [proxySg.GroupId!],
    RequireTLS: true,
  };
  return { rds, request, proxySgId: proxySg.GroupId! };
}

async function healthAfterRegistering(rds: ReturnType<typeof rdsClient>, request: CreateDBProxyCommandInput) {
  await rds.send(new CreateDBProxyCommand(request));
  fake.clock.advance(Math.max(RDS_TIMES.create + RDS_TIMES.initialBackup, PROXY_TIMES.create));
  await rds.send(
    new RegisterDBProxyTargetsCommand({
      DBProxyName: request.DBProxyName,
      DBInstanceIdentifiers: ["my-app-prod-db"],
    }),
  );
  const before = await rds.send(new DescribeDBProxyTargetsCommand({ DBProxyName: request.DBProxyName }));
  fake.clock.advance(PROXY_TIMES.register);
  const after = await rds.send(new DescribeDBProxyTargetsCommand({ DBProxyName: request.DBProxyName }));
  return { before: before.Targets?.[0]?.TargetHealth, after: after.Targets?.[0]?.TargetHealth };
}

describe("RDS Proxy", () => {
  it("is creating, then available with its endpoint; its target registers, then serves; delete takes it away", async () => {
    const { rds, request } = await setUp();
    const made = await rds.send(new CreateDBProxyCommand(request));
    expect(made.DBProxy).toMatchObject({ Status: "creating", RequireTLS: true, VpcId: world.vpcId });
    expect(made.DBProxy?.Endpoint).toMatch(
      /^my-app-prod-db-proxy\.proxy-[a-z0-9]+\.us-east-1\.rds\.amazonaws\.com$/,
    );
    // Targets cannot be registered while the proxy is being created.
    await expect(
      rds.send(
        new RegisterDBProxyTargetsCommand({
          DBProxyName: request.DBProxyName,
          DBInstanceIdentifiers: ["my-app-prod-db"],
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidDBProxyStateFault" });
    await expect(
      rds.send(new ModifyDBProxyCommand({ DBProxyName: request.DBProxyName, RequireTLS: false })),
    ).rejects.toMatchObject({ name: "InvalidDBProxyStateFault" });
    await expect(rds.send(new CreateDBProxyCommand(request))).rejects.toMatchObject({
      name: "DBProxyAlreadyExistsFault",
    });
    fake.clock.advance(RDS_TIMES.create + RDS_TIMES.initialBackup);
    const listed = await rds.send(new DescribeDBProxiesCommand({ DBProxyName: request.DBProxyName }));
    expect(listed.DBProxies?.[0]?.Status).toBe("available");
    const modified = await rds.send(
      new ModifyDBProxyCommand({
        DBProxyName: request.DBProxyName,
        RequireTLS: false,
        IdleClientTimeout: 600,
      }),
    );
    expect(modified.DBProxy).toMatchObject({
      Status: "available",
      RequireTLS: false,
      IdleClientTimeout: 600,
    });
    await rds.send(
      new RegisterDBProxyTargetsCommand({
        DBProxyName: request.DBProxyName,
        DBInstanceIdentifiers: ["my-app-prod-db"],
      }),
    );
    await expect(
      rds.send(
        new RegisterDBProxyTargetsCommand({
          DBProxyName: request.DBProxyName,
          DBInstanceIdentifiers: ["my-app-prod-db"],
        }),
      ),
    ).rejects.toMatchObject({ name: "DBProxyTargetAlreadyRegisteredFault" });
    const t1 = await rds.send(new DescribeDBProxyTargetsCommand({ DBProxyName: request.DBProxyName }));
    expect(t1.Targets?.[0]).toMatchObject({
      RdsResourceId: "my-app-prod-db",
      Port: 5432,
      TargetHealth: { State: "REGISTERING" },
    });
    fake.clock.advance(PROXY_TIMES.register);
    const t2 = await rds.send(new DescribeDBProxyTargetsCommand({ DBProxyName: request.DBProxyName }));
    expect(t2.Targets?.[0]?.TargetHealth).toEqual({ State: "AVAILABLE" });

    const g = await rds.send(new DescribeDBProxyTargetGroupsCommand({ DBProxyName: request.DBProxyName }));
    expect(g.TargetGroups?.[0]).toMatchObject({
      TargetGroupName: "default",
      IsDefault: true,
      ConnectionPoolConfig: { MaxConnectionsPercent: 100 },
    });
    await expect(
      rds.send(
        new ModifyDBProxyTargetGroupCommand({
          DBProxyName: request.DBProxyName,
          TargetGroupName: "default",
          ConnectionPoolConfig: { MaxConnectionsPercent: 0 },
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidParameterValue" });
    const m = await rds.send(
      new ModifyDBProxyTargetGroupCommand({
        DBProxyName: request.DBProxyName,
        TargetGroupName: "default",
        ConnectionPoolConfig: { MaxConnectionsPercent: 80, MaxIdleConnectionsPercent: 40 },
      }),
    );
    expect(m.DBProxyTargetGroup?.ConnectionPoolConfig).toMatchObject({
      MaxConnectionsPercent: 80,
      MaxIdleConnectionsPercent: 40,
    });

    // Its security group is in use while it exists.
    const del = await rds.send(new DeleteDBProxyCommand({ DBProxyName: request.DBProxyName }));
    expect(del.DBProxy?.Status).toBe("deleting");
    await expect(
      rds.send(new DeleteDBProxyCommand({ DBProxyName: request.DBProxyName })),
    ).rejects.toMatchObject({ name: "InvalidDBProxyStateFault" });
    fake.clock.advance(PROXY_TIMES.delete);
    await expect(
      rds.send(new DescribeDBProxiesCommand({ DBProxyName: request.DBProxyName })),
    ).rejects.toMatchObject({
      name: "DBProxyNotFoundFault",
    });
  });

  it("refuses a role RDS cannot assume, a family the client auth does not fit, subnets in one AZ", async () => {
    const { rds, request } = await setUp();
    await iam().send(
      new CreateRoleCommand({
        RoleName: "ec2-only",
        AssumeRolePolicyDocument: TRUST.replace("rds.", "ec2."),
      }),
    );
    await expect(
      rds.send(
        new CreateDBProxyCommand({ ...request, RoleArn: `arn:aws:iam::${fake.accountId}:role/ec2-only` }),
      ),
    ).rejects.toMatchObject({
      name: "InvalidParameterValue",
      message: expect.stringMatching(/rds\.amazonaws\.com/),
    });
    await expect(
      rds.send(
        new CreateDBProxyCommand({
          ...request,
          Auth: [{ ...request.Auth![0], ClientPasswordAuthType: "MYSQL_NATIVE_PASSWORD" }],
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidParameterCombination" });
    await expect(
      rds.send(new CreateDBProxyCommand({ ...request, EngineFamily: "ORACLE" as never })),
    ).rejects.toMatchObject({
      name: "InvalidParameterValue",
    });
    await expect(
      rds.send(new CreateDBProxyCommand({ ...request, VpcSubnetIds: [world.privateSubnetIds[0]] })),
    ).rejects.toMatchObject({
      name: "InvalidParameterValue",
      message: expect.stringMatching(/two Availability Zones/),
    });
    await expect(
      rds.send(new CreateDBProxyCommand({ ...request, DBProxyName: "bad--name" })),
    ).rejects.toMatchObject({
      name: "InvalidParameterValue",
    });
    expect(fake.state.region().rds.proxies.size).toBe(0);
  });

  it("a target whose secret the role cannot read, with a wrong password, or not admitted by the DB's groups is unavailable, and says why", async () => {
    const unreadable = await setUp({ readable: false });
    const h1 = await healthAfterRegistering(unreadable.rds, unreadable.request);
    expect(h1.before).toEqual({ State: "REGISTERING" });
    expect(h1.after).toMatchObject({
      State: "UNAVAILABLE",
      Reason: "AUTH_FAILURE",
      Description: expect.stringMatching(/GetSecretValue/),
    });
    fake.uninstall();

    fake = installFakeAws();
    world = await rdsWorld(fake);
    const wrong = await setUp({ password: "not-the-password" });
    const h2 = await healthAfterRegistering(wrong.rds, wrong.request);
    expect(h2.after).toMatchObject({
      State: "UNAVAILABLE",
      Reason: "AUTH_FAILURE",
      Description: expect.stringMatching(/password authentication failed/),
    });
    fake.uninstall();

    fake = installFakeAws();
    world = await rdsWorld(fake);
    const shut = await setUp({ admitted: false });
    const h3 = await healthAfterRegistering(shut.rds, shut.request);
    expect(h3.after).toMatchObject({ State: "UNAVAILABLE", Reason: "CONNECTION_FAILED" });
  });

  it("IAM DeleteRole refuses a role that still has inline policies", async () => {
    await setUp();
    await expect(iam().send(new DeleteRoleCommand({ RoleName: "proxy-role" }))).rejects.toMatchObject({
      name: "DeleteConflictException",
    });
  });
});
