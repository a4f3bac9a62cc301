import type {
  DescribeStackResourceCommandInput,
  DescribeStackResourcesCommandInput,
  DescribeStacksCommandInput,
  ListStackResourcesCommandInput,
  StackResource as SdkStackResource,
} from "@aws-sdk/client-cloudformation";
import { ensureEnvStacks } from "./eb-coupled.js";
import { type Ctx, type Handlers, read } from "./kit.js";
import type { Stack, StackResource } from "./state.js";

/**
 * CloudFormation, read-only: the stacks EB makes for its environments (`awseb-<environment-id>-stack`),
 * so a caller can find the resources of an environment, among them the RDS instance of a coupled
 * database (logical id AWSEBRDSDatabase). Errors as CloudFormation gives them: a missing stack or
 * resource is a ValidationError (HTTP 400), not a NotFound.
 */

function findStack(ctx: Ctx, nameOrId: string | undefined): Stack {
  ensureEnvStacks(ctx.w, ctx.r);
  const stack = [...ctx.r.cloudformation.stacks.values()].find(
    (s) => s.name === nameOrId || s.id === nameOrId,
  );
  if (!stack) throw ctx.err("ValidationError", `Stack with id ${nameOrId} does not exist`, 400);
  return stack;
}

function resourceShape(stack: Stack, r: StackResource): SdkStackResource {
  return {
    StackName: stack.name,
    StackId: stack.id,
    LogicalResourceId: r.logicalId,
    PhysicalResourceId: r.physicalId,
    ResourceType: r.type,
    Timestamp: new Date(r.updatedAt),
    ResourceStatus: r.status as SdkStackResource["ResourceStatus"],
  };
}

export const cloudformationHandlers: Handlers = {
  DescribeStacks: read<DescribeStacksCommandInput>((ctx, input) => {
    ensureEnvStacks(ctx.w, ctx.r);
    const stacks = input.StackName
      ? [findStack(ctx, input.StackName)]
      : [...ctx.r.cloudformation.stacks.values()];
    const page = ctx.w.page("cloudformation", stacks, input.NextToken, undefined, {
      min: 1,
      max: 100,
      param: "NextToken",
      badToken: "ValidationError",
    });
    return {
      Stacks: page.items.map((s) => ({
        StackName: s.name,
        StackId: s.id,
        StackStatus: s.status,
        CreationTime: new Date(s.createdAt),
        LastUpdatedTime: new Date(s.updatedAt),
        Tags: s.tags.map((t) => ({ ...t })),
      })),
      NextToken: page.next,
    };
  }),

  /**
   * Every resource of a stack (optionally one logical id), named by the stack or by the physical id of
   * one of its resources: "You must specify either StackName or PhysicalResourceId, but not both."
   */
  DescribeStackResources: read<DescribeStackResourcesCommandInput>((ctx, input) => {
    if (Boolean(input.StackName) === Boolean(input.PhysicalResourceId)) {
      throw ctx.err(
        "ValidationError",
        "You must specify either StackName or PhysicalResourceId, but not both.",
        400,
      );
    }
    ensureEnvStacks(ctx.w, ctx.r);
    const stack = input.StackName
      ? findStack(ctx, input.StackName)
      : [...ctx.r.cloudformation.stacks.values()].find((s) =>
          s.resources.some((r) => r.physicalId === input.PhysicalResourceId),
        );
    if (!stack) {
      throw ctx.err("ValidationError", `Stack for ${input.PhysicalResourceId} does not exist`, 400);
    }
    const resources = stack.resources.filter(
      (r) => !input.LogicalResourceId || r.logicalId === input.LogicalResourceId,
    );
    return { StackResources: resources.map((r) => resourceShape(stack, r)) };
  }),

  DescribeStackResource: read<DescribeStackResourceCommandInput>((ctx, input) => {
    const stack = findStack(ctx, input.StackName);
    const r = stack.resources.find((x) => x.logicalId === input.LogicalResourceId);
    if (!r) {
      throw ctx.err(
        "ValidationError",
        `Resource ${input.LogicalResourceId} does not exist for stack ${input.StackName}`,
        400,
      );
    }
    return {
      StackResourceDetail: {
        ...resourceShape(stack, r),
        LastUpdatedTimestamp: new Date(r.updatedAt),
        Metadata: "{}",
      },
    };
  }),

  ListStackResources: read<ListStackResourcesCommandInput>((ctx, input) => {
    const stack = findStack(ctx, input.StackName);
    const page = ctx.w.page("cloudformation", stack.resources, input.NextToken, undefined, {
      min: 1,
      max: 100,
      param: "NextToken",
      badToken: "ValidationError",
    });
    return {
      StackResourceSummaries: page.items.map((r) => ({
        LogicalResourceId: r.logicalId,
        PhysicalResourceId: r.physicalId,
        ResourceType: r.type,
        LastUpdatedTimestamp: new Date(r.updatedAt),
        ResourceStatus: r.status,
      })),
      NextToken: page.next,
    };
  }),
};
