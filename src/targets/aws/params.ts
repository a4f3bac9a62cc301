import {
  CreateDBParameterGroupCommand,
  DeleteDBParameterGroupCommand,
  DescribeDBParameterGroupsCommand,
  DescribeDBParametersCommand,
  ModifyDBParameterGroupCommand,
} from "@aws-sdk/client-rds";
import type { DesiredParameter } from "../../model/desired-types.js";
import { isAwsCode } from "./aws-errors.js";
import type { AwsClients } from "./clients.js";
import { type AwsCtx, tagList } from "./context.js";

export interface LiveParamGroup {
  name: string;
  family: string;
  /** Parameters set by the user (Source "user"). */
  values: Record<string, string>;
}

export async function readParamGroup(aws: AwsClients, name: string): Promise<LiveParamGroup | null> {
  let family: string;
  try {
    const r = await aws.rds(new DescribeDBParameterGroupsCommand({ DBParameterGroupName: name }));
    const g = r.DBParameterGroups?.[0];
    if (!g) return null;
    family = g.DBParameterGroupFamily!;
  } catch (e) {
    if (isAwsCode(e, "DBParameterGroupNotFoundFault", "DBParameterGroupNotFound")) return null;
    throw e;
  }
  const values: Record<string, string> = {};
  let marker: string | undefined;
  do {
    const r = await aws.rds(
      new DescribeDBParametersCommand({ DBParameterGroupName: name, Source: "user", Marker: marker }),
    );
    for (const p of r.Parameters ?? [])
      if (p.ParameterName && p.ParameterValue !== undefined) values[p.ParameterName] = p.ParameterValue;
    marker = r.Marker;
  } while (marker);
  return { name, family, values };
}

/** Parameter values compare as RDS stores them; comma lists (shared_preload_libraries) may hold more. */
export function sameParam(have: string | undefined, want: string): boolean {
  if (have === undefined) return false;
  if (have.trim().toLowerCase() === want.trim().toLowerCase()) return true;
  if (
    Number.isFinite(Number(have)) &&
    Number.isFinite(Number(want)) &&
    have.trim() !== "" &&
    Number(have) === Number(want)
  )
    return true;
  if (!have.includes(",") && !want.includes(",")) return false;
  const h = new Set(have.split(",").map((s) => s.trim()));
  return want.split(",").every((s) => h.has(s.trim()));
}

/** The parameters that differ from what the configuration wants. */
export function paramDrift(
  live: LiveParamGroup | null,
  want: Record<string, DesiredParameter>,
): [string, DesiredParameter][] {
  return Object.entries(want).filter(([k, p]) => !sameParam(live?.values[k], p.value));
}

/** Creates the group when missing and sets every parameter that differs (20 per call, RDS's limit). */
export async function ensureParamGroup(
  ctx: AwsCtx,
  live: LiveParamGroup | null,
): Promise<{ staticChanged: boolean }> {
  const pg = ctx.desired.parameterGroup;
  if (!live) {
    try {
      await ctx.aws.rds(
        new CreateDBParameterGroupCommand({
          DBParameterGroupName: pg.name,
          DBParameterGroupFamily: pg.family,
          Description: `Parameters of ${ctx.desired.identifier} (managed by ebdb)`,
          Tags: tagList(ctx.desired),
        }),
      );
    } catch (e) {
      if (!isAwsCode(e, "DBParameterGroupAlreadyExistsFault", "DBParameterGroupAlreadyExists")) throw e;
    }
  }
  const drift = paramDrift(live, pg.parameters);
  for (let i = 0; i < drift.length; i += 20) {
    await ctx.aws.rds(
      new ModifyDBParameterGroupCommand({
        DBParameterGroupName: pg.name,
        Parameters: drift.slice(i, i + 20).map(([k, p]) => ({
          ParameterName: k,
          ParameterValue: p.value,
          ApplyMethod: p.applyMethod,
        })),
      }),
    );
  }
  return { staticChanged: live !== null && drift.some(([, p]) => p.applyMethod === "pending-reboot") };
}

/** Sets some parameters of the group at once (day-2 slowlog). */
export async function setParams(
  aws: AwsClients,
  group: string,
  params: Record<string, string>,
): Promise<void> {
  await aws.rds(
    new ModifyDBParameterGroupCommand({
      DBParameterGroupName: group,
      Parameters: Object.entries(params).map(([k, v]) => ({
        ParameterName: k,
        ParameterValue: v,
        ApplyMethod: "immediate",
      })),
    }),
  );
}

export async function deleteParamGroup(ctx: AwsCtx, name: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await ctx.aws.rds(new DeleteDBParameterGroupCommand({ DBParameterGroupName: name }));
      return;
    } catch (e) {
      if (isAwsCode(e, "DBParameterGroupNotFoundFault", "DBParameterGroupNotFound")) return;
      // Still attached to an instance being deleted.
      if (!isAwsCode(e, "InvalidDBParameterGroupStateFault", "InvalidDBParameterGroupState") || i >= 30)
        throw e;
      await ctx.clock.sleep(20_000);
    }
  }
}
