/**
 * The fake's inspectable model of every resource, per region (IAM is global). Tests may read it to
 * assert what a user would see, and the seed helpers write it directly.
 */

export interface Tag {
  Key: string;
  Value: string;
}

export interface PendingValues {
  DBInstanceClass?: string;
  AllocatedStorage?: number;
  StorageType?: string;
  Iops?: number;
  StorageThroughput?: number;
  MultiAZ?: boolean;
  EngineVersion?: string;
  BackupRetentionPeriod?: number;
  DBInstanceIdentifier?: string;
  CACertificateIdentifier?: string;
  DBSubnetGroupName?: string;
}

export interface DbInstance {
  id: string;
  arn: string;
  resourceId: string;
  engine: string;
  engineVersion: string;
  instanceClass: string;
  status: string;
  masterUsername: string;
  /** Kept to let tests check what was set; never returned by any API. */
  masterPassword: string | undefined;
  /** ManageMasterUserPassword on: the ARN of the `rds!db-...` secret RDS keeps the password in (MasterUserSecret). */
  masterUserSecretArn?: string;
  dbName: string | undefined;
  port: number;
  allocatedStorage: number;
  maxAllocatedStorage: number | undefined;
  storageType: string;
  iops: number | undefined;
  storageThroughput: number | undefined;
  storageEncrypted: boolean;
  kmsKeyArn: string | undefined;
  multiAz: boolean;
  az: string;
  secondaryAz: string | undefined;
  publiclyAccessible: boolean;
  vpcSecurityGroupIds: string[];
  subnetGroupName: string;
  parameterGroupName: string;
  parameterApplyStatus: "in-sync" | "applying" | "pending-reboot";
  backupRetention: number;
  backupWindow: string;
  maintenanceWindow: string;
  deletionProtection: boolean;
  copyTagsToSnapshot: boolean;
  autoMinorVersionUpgrade: boolean;
  piEnabled: boolean;
  piRetention: number | undefined;
  piKmsKeyArn: string | undefined;
  logExports: string[];
  caCert: string;
  /** CertificateRotationRestart of the pending CA change (false: no restart to load it). */
  caRotationRestart?: boolean;
  createdAt: number;
  tags: Tag[];
  pending: PendingValues;
  /** Epoch ms of the last storage change (size, type, IOPS, throughput): no other within 6 hours. */
  lastStorageChange: number | undefined;
  /** Epoch ms when the first automated backup finished: the start of the restorable window. */
  backupsSince: number | undefined;
  replicaSource: string | undefined;
  replicaIds: string[];
  /** Seconds; the ReplicaLag metric reported for a replica. */
  replicaLag: number;
  /** Bumped by every state change so a superseded scheduled transition does nothing. */
  epoch: number;
}

/** An RDS Proxy's authentication entry (UserAuthConfig), as created. */
export interface DbProxyAuth {
  description: string | undefined;
  authScheme: string;
  secretArn: string;
  iamAuth: string;
  clientPasswordAuthType: string | undefined;
}

/** An RDS Proxy with its one target group ("default") and the instance registered there (see rds-proxy.ts). */
export interface DbProxy {
  name: string;
  arn: string;
  status: string;
  engineFamily: string;
  auth: DbProxyAuth[];
  roleArn: string;
  vpcId: string;
  subnetIds: string[];
  securityGroupIds: string[];
  requireTls: boolean;
  idleClientTimeout: number;
  debugLogging: boolean;
  endpoint: string;
  createdAt: number;
  updatedAt: number;
  tags: Tag[];
  targetGroup: {
    arn: string;
    maxConnectionsPercent: number;
    maxIdleConnectionsPercent: number;
    connectionBorrowTimeout: number;
    initQuery: string | undefined;
    sessionPinningFilters: string[];
    createdAt: number;
    updatedAt: number;
  };
  /** Registered instances (RDS allows one per target group), with when they were registered. */
  targets: { instanceId: string; registeredAt: number }[];
  epoch: number;
}

export interface DbSnapshot {
  id: string;
  arn: string;
  instanceId: string;
  instanceResourceId: string;
  type: "manual" | "automated";
  status: string;
  createdAt: number;
  engine: string;
  engineVersion: string;
  instanceClass: string;
  allocatedStorage: number;
  storageType: string;
  iops: number | undefined;
  storageThroughput: number | undefined;
  encrypted: boolean;
  kmsKeyArn: string | undefined;
  masterUsername: string;
  /** The master password when it was taken: a restore from it gets that one (RDS keeps it in the snapshot). */
  masterPassword?: string;
  port: number;
  dbName: string | undefined;
  az: string;
  vpcId: string | undefined;
  sourceRegion: string | undefined;
  sourceSnapshotArn: string | undefined;
  tags: Tag[];
  percentProgress: number;
}

export interface ParameterValue {
  value: string;
  applyMethod: "immediate" | "pending-reboot";
}

export interface DbParameterGroup {
  name: string;
  arn: string;
  family: string;
  description: string;
  isDefault: boolean;
  /** Parameters the user changed (Source "user"). */
  values: Map<string, ParameterValue>;
  tags: Tag[];
}

export interface DbSubnetGroup {
  name: string;
  arn: string;
  description: string;
  vpcId: string;
  subnetIds: string[];
  tags: Tag[];
}

export interface Vpc {
  VpcId: string;
  CidrBlock: string;
  IsDefault: boolean;
  Tags: Tag[];
}

export interface Subnet {
  SubnetId: string;
  VpcId: string;
  AvailabilityZone: string;
  CidrBlock: string;
  MapPublicIpOnLaunch: boolean;
  Tags: Tag[];
}

export interface RouteTable {
  RouteTableId: string;
  VpcId: string;
  main: boolean;
  subnetIds: string[];
  /** Target of the 0.0.0.0/0 route: `igw-...` makes a public subnet, `nat-...` a private one. */
  defaultRoute: string | undefined;
}

export interface SgRule {
  ruleId: string;
  protocol: string;
  fromPort: number | undefined;
  toPort: number | undefined;
  sourceGroupId: string | undefined;
  cidr: string | undefined;
  description: string | undefined;
}

export interface SecurityGroup {
  GroupId: string;
  GroupName: string;
  Description: string;
  VpcId: string;
  ingress: SgRule[];
  egress: SgRule[];
  Tags: Tag[];
}

export interface SecretVersion {
  id: string;
  value: string | undefined;
  binary: Uint8Array | undefined;
  stages: string[];
  createdAt: number;
}

export interface Secret {
  name: string;
  arn: string;
  description: string | undefined;
  kmsKeyId: string | undefined;
  versions: SecretVersion[];
  tags: Tag[];
  createdAt: number;
  changedAt: number;
  accessedAt: number | undefined;
  deletedAt: number | undefined;
  deleteEpoch: number;
}

export interface KmsKey {
  keyId: string;
  arn: string;
  manager: "AWS" | "CUSTOMER";
  description: string;
  enabled: boolean;
  createdAt: number;
}

export interface EbPlatform {
  arn: string;
  name: string;
  version: string;
  branch: string;
  createdAt: number;
  lifecycle: string | undefined;
}

export interface EbEvent {
  at: number;
  message: string;
  severity: string;
}

/** What the application on the environment's instances sees, as of their last deployment. */
export interface AppEnvironment {
  /** Environment properties, and environment secrets resolved to the secrets' values. */
  variables: Record<string, string>;
  /** Simulated epoch ms of the deployment (instance launch, configuration update, app server restart). */
  loadedAt: number;
  /** Why secrets of the last attempt could not be fetched (the deployment then failed; `variables` kept). */
  errors: string[];
}

export interface EbEnvironment {
  id: string;
  name: string;
  application: string;
  platformArn: string;
  status: string;
  health: string;
  cname: string;
  createdAt: number;
  updatedAt: number;
  /** Option settings keyed `namespace|OptionName`. */
  options: Map<string, string>;
  /** The instance security group EB manages; attached whatever the SecurityGroups option says. */
  managedSecurityGroupId: string;
  instanceIds: string[];
  events: EbEvent[];
  epoch: number;
  /** The environment the application sees (loaded at each deployment to the instances). */
  app: AppEnvironment;
}

export interface Alarm {
  name: string;
  arn: string;
  input: Record<string, unknown>;
  state: "OK" | "ALARM" | "INSUFFICIENT_DATA";
  stateReason: string;
  stateUpdatedAt: number;
  updatedAt: number;
}

export interface MetricPoint {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  value: number;
  at: number;
  /** A statistic set (PutMetricData StatisticValues); `value` is then its mean. */
  stats?: { count: number; sum: number; min: number; max: number };
  unit?: string;
}

export interface SnsSubscription {
  arn: string;
  protocol: string;
  endpoint: string;
  confirmed: boolean;
}

export interface SnsTopic {
  name: string;
  arn: string;
  attributes: Record<string, string>;
  tags: Tag[];
  subscriptions: SnsSubscription[];
}

/** One resource of a CloudFormation stack (EB's awseb-<env-id>-stack holds the environment's resources). */
export interface StackResource {
  logicalId: string;
  physicalId: string;
  type: string;
  status: string;
  updatedAt: number;
}

/** A CloudFormation stack, as DescribeStacks and DescribeStackResources show it. */
export interface Stack {
  name: string;
  id: string;
  status: string;
  createdAt: number;
  updatedAt: number;
  tags: Tag[];
  resources: StackResource[];
}

export interface RegionState {
  name: string;
  rds: {
    instances: Map<string, DbInstance>;
    snapshots: Map<string, DbSnapshot>;
    parameterGroups: Map<string, DbParameterGroup>;
    subnetGroups: Map<string, DbSubnetGroup>;
    endpointSuffix: string;
    /** The account's CA for new instances in this region (ModifyCertificates); RDS's default when unset. */
    caOverride?: string;
    /** RDS Proxies by name (rds-proxy.ts). */
    proxies: Map<string, DbProxy>;
  };
  ec2: {
    vpcs: Map<string, Vpc>;
    subnets: Map<string, Subnet>;
    routeTables: Map<string, RouteTable>;
    securityGroups: Map<string, SecurityGroup>;
  };
  secrets: Map<string, Secret>;
  kms: { keys: Map<string, KmsKey>; aliases: Map<string, string> };
  eb: {
    applications: Set<string>;
    environments: Map<string, EbEnvironment>;
    platforms: Map<string, EbPlatform>;
  };
  cloudwatch: { alarms: Map<string, Alarm>; metrics: MetricPoint[] };
  sns: { topics: Map<string, SnsTopic> };
  /** CloudFormation stacks by name (made with EB environments; see eb-coupled.ts). */
  cloudformation: { stacks: Map<string, Stack> };
}

export interface IamRole {
  name: string;
  arn: string;
  roleId: string;
  assumeRolePolicy: string;
  policies: Map<string, string>;
  createdAt: number;
  tags: Tag[];
}

export interface InstanceProfile {
  name: string;
  arn: string;
  id: string;
  roles: string[];
  createdAt: number;
}

export interface IamState {
  roles: Map<string, IamRole>;
  instanceProfiles: Map<string, InstanceProfile>;
}

export function emptyRegion(name: string, endpointSuffix: string): RegionState {
  return {
    name,
    rds: {
      instances: new Map(),
      snapshots: new Map(),
      parameterGroups: new Map(),
      subnetGroups: new Map(),
      endpointSuffix,
      proxies: new Map(),
    },
    ec2: { vpcs: new Map(), subnets: new Map(), routeTables: new Map(), securityGroups: new Map() },
    secrets: new Map(),
    kms: { keys: new Map(), aliases: new Map() },
    eb: { applications: new Set(), environments: new Map(), platforms: new Map() },
    cloudwatch: { alarms: new Map(), metrics: [] },
    sns: { topics: new Map() },
    cloudformation: { stacks: new Map() },
  };
}
