import { type AutoscaleNames, METRIC } from "./autoscale-names.js";

/**
 * The autoscaler's two IAM roles as policy documents: the Lambda function's (exactly the calls the
 * controller makes, on the database's own resources) and the one EventBridge Scheduler assumes to
 * invoke it. Pure. Actions and resource types from the Service Authorization Reference (Amazon RDS,
 * Amazon CloudWatch, Amazon Route 53, CloudWatch Logs, AWS Lambda); DescribeDBInstances with a filter
 * and CloudWatch's GetMetricData/PutMetricData take no resource-level permission, so `*`, the latter
 * held to ebdb's namespace by the `cloudwatch:namespace` condition key.
 */

export interface AutoscalerScope {
  partition: string;
  region: string;
  accountId: string;
  identifier: string;
  zoneId: string;
  names: AutoscaleNames;
  /** What a new replica uses (CreateDBInstanceReadReplica authorises each). */
  parameterGroup: string;
  subnetGroup: string;
}

const doc = (Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });

export function trustPolicy(
  service: "lambda.amazonaws.com" | "scheduler.amazonaws.com",
  accountId: string,
): string {
  return doc([
    {
      Effect: "Allow",
      Principal: { Service: service },
      Action: "sts:AssumeRole",
      // The confused-deputy guard AWS recommends: only this account's functions and schedules.
      Condition: { StringEquals: { "aws:SourceAccount": accountId } },
    },
  ]);
}

/** The function's inline policy. */
export function functionPolicy(s: AutoscalerScope): string {
  const rds = (type: string, name: string) =>
    `arn:${s.partition}:rds:${s.region}:${s.accountId}:${type}:${name}`;
  const replicas = rds("db", `${s.identifier}-replica-*`);
  return doc([
    { Sid: "ReadInstances", Effect: "Allow", Action: "rds:DescribeDBInstances", Resource: "*" },
    {
      Sid: "MakeReplicas",
      Effect: "Allow",
      Action: "rds:CreateDBInstanceReadReplica",
      Resource: [
        replicas,
        rds("db", s.identifier),
        rds("pg", s.parameterGroup),
        rds("subgrp", s.subnetGroup),
        rds("og", "*"),
      ],
    },
    { Sid: "RemoveReplicas", Effect: "Allow", Action: "rds:DeleteDBInstance", Resource: replicas },
    {
      Sid: "Remember",
      Effect: "Allow",
      Action: ["rds:AddTagsToResource", "rds:RemoveTagsFromResource"],
      Resource: [replicas, rds("db", s.identifier)],
    },
    { Sid: "ReadMetrics", Effect: "Allow", Action: "cloudwatch:GetMetricData", Resource: "*" },
    {
      Sid: "PublishMetric",
      Effect: "Allow",
      Action: "cloudwatch:PutMetricData",
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": METRIC.namespace } },
    },
    {
      Sid: "ReaderRecord",
      Effect: "Allow",
      Action: ["route53:ListResourceRecordSets", "route53:ChangeResourceRecordSets"],
      Resource: `arn:${s.partition}:route53:::hostedzone/${s.zoneId}`,
    },
    {
      Sid: "Log",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: `arn:${s.partition}:logs:${s.region}:${s.accountId}:log-group:${s.names.logGroup}:*`,
    },
  ]);
}

/** The scheduler role's inline policy: invoke this one function. */
export function schedulerPolicy(s: AutoscalerScope): string {
  return doc([
    {
      Effect: "Allow",
      Action: "lambda:InvokeFunction",
      Resource: `arn:${s.partition}:lambda:${s.region}:${s.accountId}:function:${s.names.functionName}`,
    },
  ]);
}
