import type { Filter } from "@aws-sdk/client-ec2";
import { type Ctx, tagFilterMatches, wildcard } from "./kit.js";
import type { Tag } from "./state.js";

export type Fields<T> = Record<string, (item: T) => string | string[] | undefined>;

/** EC2 filters: every filter must match (values OR'ed, `*` wildcards); an unknown name is refused. */
export function filter<T extends { Tags: Tag[] }>(
  ctx: Ctx,
  items: T[],
  filters: Filter[] | undefined,
  fields: Fields<T>,
): T[] {
  return items.filter((item) =>
    (filters ?? []).every((f) => {
      const name = f.Name ?? "";
      const values = f.Values ?? [];
      const byTag = tagFilterMatches(item.Tags, name, values);
      if (byTag !== undefined) return byTag;
      const get = fields[name];
      if (!get) throw ctx.err("InvalidParameterValue", `The filter '${name}' is invalid`);
      const v = get(item);
      const have = Array.isArray(v) ? v : v === undefined ? [] : [v];
      return have.some((h) => values.some((pat) => wildcard(pat, h)));
    }),
  );
}

/** EC2 pages with MaxResults/NextToken; MaxResults cannot be combined with explicit ids. */
export function ec2Page<T>(
  ctx: Ctx,
  items: T[],
  input: { NextToken?: string; MaxResults?: number },
  ids: unknown[] | undefined,
  min = 5,
) {
  if (ids && ids.length > 0) {
    if (input.MaxResults !== undefined) {
      throw ctx.err(
        "InvalidParameterCombination",
        "The parameter ids cannot be used with the parameter maxResults",
      );
    }
    return { items, next: undefined };
  }
  return ctx.w.page("ec2", items, input.NextToken, input.MaxResults, {
    min,
    max: 1000,
    param: "MaxResults",
    badToken: "InvalidPaginationToken",
  });
}

export function byIds<T>(
  ctx: Ctx,
  map: Map<string, T>,
  ids: string[] | undefined,
  notFound: (id: string) => [string, string],
): T[] {
  if (!ids || ids.length === 0) return [...map.values()];
  return ids.map((id) => {
    const v = map.get(id);
    if (!v) {
      const [code, msg] = notFound(id);
      throw ctx.err(code, msg);
    }
    return v;
  });
}

const DIRECTIONS: Record<string, string> = {
  north: "n",
  south: "s",
  east: "e",
  west: "w",
  central: "c",
  northeast: "ne",
  northwest: "nw",
  southeast: "se",
  southwest: "sw",
};

/** AWS's zone id for a zone name, e.g. us-east-1b → use1-az2, ap-southeast-2a → apse2-az1. */
export function zoneId(zone: string): string {
  const region = zone.slice(0, -1);
  const [geo, dir, num] = region.split("-");
  return `${geo}${DIRECTIONS[dir] ?? dir}${num}-az${zone.charCodeAt(zone.length - 1) - 96}`;
}
