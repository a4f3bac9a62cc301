import type {
  CreateDBParameterGroupCommandInput,
  CreateDBSubnetGroupCommandInput,
  DBParameterGroup,
  DeleteDBParameterGroupCommandInput,
  DeleteDBSubnetGroupCommandInput,
  DescribeDBParameterGroupsCommandInput,
  DescribeDBParametersCommandInput,
  DescribeDBSubnetGroupsCommandInput,
  ModifyDBParameterGroupCommandInput,
  ModifyDBSubnetGroupCommandInput,
  Parameter,
} from "@aws-sdk/client-rds";
import { type Ctx, type Handlers, read, write } from "./kit.js";
import { allowedValue, FAMILIES, parametersOf } from "./rds-catalog.js";
import { RDS_TIMES, subnetGroupShape } from "./rds-model.js";
import type { DbParameterGroup, DbSubnetGroup } from "./state.js";
import { mergeTags } from "./world.js";

const RECORDS = { min: 20, max: 100, param: "MaxRecords" };

/** default.<family> exists in every region, as in a real account. */
export function ensureDefaultParameterGroup(ctx: Ctx, family: string): DbParameterGroup {
  const name = `default.${family}`;
  let g = ctx.r.rds.parameterGroups.get(name);
  if (!g) {
    g = {
      name,
      arn: `arn:aws:rds:${ctx.region}:${ctx.w.accountId}:pg:${name}`,
      family,
      description: `Default parameter group for ${family}`,
      isDefault: true,
      values: new Map(),
      tags: [],
    };
    ctx.r.rds.parameterGroups.set(name, g);
  }
  return g;
}

function getParameterGroup(ctx: Ctx, name: string | undefined): DbParameterGroup {
  const lower = (name ?? "").toLowerCase();
  const g =
    ctx.r.rds.parameterGroups.get(lower) ??
    (lower.startsWith("default.") && FAMILIES.includes(lower.slice(8))
      ? ensureDefaultParameterGroup(ctx, lower.slice(8))
      : undefined);
  if (!g) throw ctx.err("DBParameterGroupNotFoundFault", `DBParameterGroup not found: ${name}`, 404);
  return g;
}

function groupShape(g: DbParameterGroup): DBParameterGroup {
  return {
    DBParameterGroupName: g.name,
    DBParameterGroupFamily: g.family,
    Description: g.description,
    DBParameterGroupArn: g.arn,
  };
}

function getSubnetGroup(ctx: Ctx, name: string | undefined): DbSubnetGroup {
  const g = ctx.r.rds.subnetGroups.get((name ?? "").toLowerCase());
  if (!g) throw ctx.err("DBSubnetGroupNotFoundFault", `DBSubnetGroup '${name}' not found.`, 404);
  return g;
}

/** Subnets of one VPC covering at least two AZs, as RDS requires of a DB subnet group. */
function checkSubnets(ctx: Ctx, ids: string[] | undefined): string {
  const subnets = (ids ?? []).map((id) => ctx.r.ec2.subnets.get(id));
  if (!ids || ids.length === 0 || subnets.some((s) => !s)) {
    throw ctx.err("InvalidSubnet", `Some input subnets in :[${(ids ?? []).join(", ")}] are invalid.`);
  }
  const vpcs = new Set(subnets.map((s) => s?.VpcId));
  if (vpcs.size > 1) {
    throw ctx.err("InvalidParameterValue", "DB Subnet group must contain subnets of one VPC only.");
  }
  const azs = [...new Set(subnets.map((s) => s?.AvailabilityZone))].sort();
  if (azs.length < 2) {
    throw ctx.err(
      "DBSubnetGroupDoesNotCoverEnoughAZs",
      `The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. Current AZ coverage: ${azs.join(", ")}. Add subnets to cover at least 2 AZs.`,
    );
  }
  return [...vpcs][0] as string;
}

function inUseBy(
  ctx: Ctx,
  pred: (i: { parameterGroupName: string; subnetGroupName: string }) => boolean,
): string[] {
  return [...ctx.r.rds.instances.values()].filter(pred).map((i) => i.id);
}

export const rdsGroupHandlers: Handlers = {
  CreateDBParameterGroup: write<CreateDBParameterGroupCommandInput>((ctx, input) => {
    const name = input.DBParameterGroupName ?? "";
    if (!/^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,254}$/.test(name) || name.endsWith("-")) {
      throw ctx.err(
        "InvalidParameterValue",
        `The parameter DBParameterGroupName is not a valid identifier: ${name}`,
      );
    }
    const lower = name.toLowerCase();
    if (ctx.r.rds.parameterGroups.has(lower) || lower.startsWith("default")) {
      throw ctx.err("DBParameterGroupAlreadyExistsFault", `Parameter group ${lower} already exists`);
    }
    const family = input.DBParameterGroupFamily ?? "";
    if (!FAMILIES.includes(family)) {
      throw ctx.err(
        "InvalidParameterValue",
        `ParameterGroupFamily ${family} is not a valid parameter group family`,
      );
    }
    const g: DbParameterGroup = {
      name: lower,
      arn: `arn:aws:rds:${ctx.region}:${ctx.w.accountId}:pg:${lower}`,
      family,
      description: input.Description ?? "",
      isDefault: false,
      values: new Map(),
      tags: mergeTags([], input.Tags),
    };
    ctx.r.rds.parameterGroups.set(lower, g);
    ctx.w.created("DBParameterGroup", ctx.region, lower);
    return { DBParameterGroup: groupShape(g) };
  }),

  DescribeDBParameterGroups: read<DescribeDBParameterGroupsCommandInput>((ctx, input) => {
    let groups: DbParameterGroup[];
    if (input.DBParameterGroupName) {
      const g = getParameterGroup(ctx, input.DBParameterGroupName);
      if (!ctx.w.visible("DBParameterGroup", ctx.region, g.name)) {
        throw ctx.err(
          "DBParameterGroupNotFoundFault",
          `DBParameterGroup not found: ${input.DBParameterGroupName}`,
          404,
        );
      }
      groups = [g];
    } else {
      groups = [...ctx.r.rds.parameterGroups.values()]
        .filter((g) => ctx.w.visible("DBParameterGroup", ctx.region, g.name))
        .sort((a, b) => a.name.localeCompare(b.name));
    }
    const page = ctx.w.page("rds", groups, input.Marker, input.MaxRecords, RECORDS);
    return { DBParameterGroups: page.items.map(groupShape), Marker: page.next };
  }),

  DescribeDBParameters: read<DescribeDBParametersCommandInput>((ctx, input) => {
    const g = getParameterGroup(ctx, input.DBParameterGroupName);
    const params: Parameter[] = parametersOf(g.family)
      .map((d) => {
        const set = g.values.get(d.name);
        return {
          ParameterName: d.name,
          ParameterValue: set ? set.value : d.default,
          Description: d.description,
          Source: set ? "user" : d.default === undefined ? "engine-default" : "system",
          ApplyType: d.apply,
          DataType: d.dataType,
          AllowedValues: d.allowed || undefined,
          IsModifiable: d.modifiable,
          ApplyMethod: set ? set.applyMethod : "pending-reboot",
          SupportedEngineModes: ["provisioned"],
        } satisfies Parameter;
      })
      .filter((p) => !input.Source || p.Source === input.Source)
      .filter((p) => {
        const f = input.Filters?.find((x) => x.Name === "parameter-name");
        return !f || (f.Values ?? []).includes(p.ParameterName ?? "");
      });
    const page = ctx.w.page("rds", params, input.Marker, input.MaxRecords, RECORDS);
    return { Parameters: page.items, Marker: page.next };
  }),

  ModifyDBParameterGroup: write<ModifyDBParameterGroupCommandInput>((ctx, input) => {
    const g = getParameterGroup(ctx, input.DBParameterGroupName);
    if (g.isDefault) throw ctx.err("InvalidParameterValue", "Default parameter groups cannot be modified.");
    const changes = input.Parameters ?? [];
    if (changes.length === 0 || changes.length > 20) {
      throw ctx.err("InvalidParameterValue", "The request must contain between 1 and 20 parameters.");
    }
    const defs = parametersOf(g.family);
    const staged: [string, { value: string; applyMethod: "immediate" | "pending-reboot" }][] = [];
    for (const c of changes) {
      const def = defs.find((d) => d.name === c.ParameterName);
      if (!def)
        throw ctx.err("InvalidParameterValue", `Could not find parameter with name: ${c.ParameterName}`);
      if (!def.modifiable)
        throw ctx.err("InvalidParameterValue", `The parameter ${def.name} cannot be modified.`);
      const method = c.ApplyMethod;
      if (method !== "immediate" && method !== "pending-reboot") {
        throw ctx.err(
          "InvalidParameterValue",
          `Invalid apply method ${method} for parameter ${def.name}: use immediate or pending-reboot.`,
        );
      }
      if (def.apply === "static" && method === "immediate") {
        throw ctx.err(
          "InvalidParameterCombination",
          `cannot use immediate apply method for static parameter ${def.name}`,
        );
      }
      const value = c.ParameterValue ?? "";
      if (!allowedValue(def, value)) {
        throw ctx.err(
          "InvalidParameterValue",
          `Value: ${value} is outside of range: ${def.allowed} for parameter: ${def.name}`,
        );
      }
      staged.push([def.name, { value, applyMethod: method }]);
    }
    let needsReboot = false;
    let immediate = false;
    for (const [name, v] of staged) {
      if (g.values.get(name)?.value === v.value) continue;
      g.values.set(name, v);
      if (v.applyMethod === "pending-reboot") needsReboot = true;
      else immediate = true;
    }
    for (const inst of ctx.r.rds.instances.values()) {
      if (inst.parameterGroupName !== g.name) continue;
      if (needsReboot) inst.parameterApplyStatus = "pending-reboot";
      else if (immediate && inst.parameterApplyStatus === "in-sync") {
        inst.parameterApplyStatus = "applying";
        ctx.w.clock.schedule(ctx.w.now() + RDS_TIMES.paramApply, () => {
          if (inst.parameterApplyStatus === "applying") inst.parameterApplyStatus = "in-sync";
        });
      }
    }
    return { DBParameterGroupName: g.name };
  }),

  DeleteDBParameterGroup: write<DeleteDBParameterGroupCommandInput>((ctx, input) => {
    const g = getParameterGroup(ctx, input.DBParameterGroupName);
    if (g.isDefault)
      throw ctx.err("InvalidDBParameterGroupStateFault", "Default parameter group cannot be deleted");
    const users = inUseBy(ctx, (i) => i.parameterGroupName === g.name);
    if (users.length > 0) {
      throw ctx.err(
        "InvalidDBParameterGroupStateFault",
        `One or more database instances are still members of this parameter group ${g.name}, so the group cannot be deleted`,
      );
    }
    ctx.r.rds.parameterGroups.delete(g.name);
    return {};
  }),

  CreateDBSubnetGroup: write<CreateDBSubnetGroupCommandInput>((ctx, input) => {
    const name = (input.DBSubnetGroupName ?? "").toLowerCase();
    if (!/^[a-z0-9 ._-]{1,255}$/.test(name) || name === "default") {
      throw ctx.err(
        "InvalidParameterValue",
        `The parameter DBSubnetGroupName is not a valid identifier: ${input.DBSubnetGroupName}`,
      );
    }
    if (ctx.r.rds.subnetGroups.has(name)) {
      throw ctx.err("DBSubnetGroupAlreadyExistsFault", `The DB subnet group '${name}' already exists.`);
    }
    if (!input.DBSubnetGroupDescription) {
      throw ctx.err("MissingParameter", "The request must contain the parameter DBSubnetGroupDescription");
    }
    const vpcId = checkSubnets(ctx, input.SubnetIds);
    const g: DbSubnetGroup = {
      name,
      arn: `arn:aws:rds:${ctx.region}:${ctx.w.accountId}:subgrp:${name}`,
      description: input.DBSubnetGroupDescription,
      vpcId,
      subnetIds: [...new Set(input.SubnetIds)],
      tags: mergeTags([], input.Tags),
    };
    ctx.r.rds.subnetGroups.set(name, g);
    ctx.w.created("DBSubnetGroup", ctx.region, name);
    return { DBSubnetGroup: subnetGroupShape(ctx.r, g) };
  }),

  ModifyDBSubnetGroup: write<ModifyDBSubnetGroupCommandInput>((ctx, input) => {
    const g = getSubnetGroup(ctx, input.DBSubnetGroupName);
    const vpcId = checkSubnets(ctx, input.SubnetIds);
    if (vpcId !== g.vpcId && inUseBy(ctx, (i) => i.subnetGroupName === g.name).length > 0) {
      throw ctx.err(
        "InvalidParameterValue",
        "The new subnets are not in the same VPC as the DB subnet group's instances.",
      );
    }
    g.subnetIds = [...new Set(input.SubnetIds)];
    g.vpcId = vpcId;
    if (input.DBSubnetGroupDescription) g.description = input.DBSubnetGroupDescription;
    return { DBSubnetGroup: subnetGroupShape(ctx.r, g) };
  }),

  DescribeDBSubnetGroups: read<DescribeDBSubnetGroupsCommandInput>((ctx, input) => {
    let groups: DbSubnetGroup[];
    if (input.DBSubnetGroupName) {
      const g = getSubnetGroup(ctx, input.DBSubnetGroupName);
      if (!ctx.w.visible("DBSubnetGroup", ctx.region, g.name)) {
        throw ctx.err(
          "DBSubnetGroupNotFoundFault",
          `DBSubnetGroup '${input.DBSubnetGroupName}' not found.`,
          404,
        );
      }
      groups = [g];
    } else {
      groups = [...ctx.r.rds.subnetGroups.values()]
        .filter((g) => ctx.w.visible("DBSubnetGroup", ctx.region, g.name))
        .sort((a, b) => a.name.localeCompare(b.name));
    }
    const page = ctx.w.page("rds", groups, input.Marker, input.MaxRecords, RECORDS);
    return { DBSubnetGroups: page.items.map((g) => subnetGroupShape(ctx.r, g)), Marker: page.next };
  }),

  DeleteDBSubnetGroup: write<DeleteDBSubnetGroupCommandInput>((ctx, input) => {
    const g = getSubnetGroup(ctx, input.DBSubnetGroupName);
    const users = inUseBy(ctx, (i) => i.subnetGroupName === g.name);
    if (users.length > 0) {
      throw ctx.err(
        "InvalidDBSubnetGroupStateFault",
        `Cannot delete the subnet group '${g.name}' because at least one database instance: ${users[0]} is still using it.`,
      );
    }
    ctx.r.rds.subnetGroups.delete(g.name);
    return {};
  }),
};
