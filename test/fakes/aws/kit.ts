import { awsError, type ServiceName } from "./errors.js";
import type { RegionState } from "./state.js";
import type { World } from "./world.js";

/** What a command handler gets: the world, the state of the client's region and an error factory. */
export interface Ctx {
  w: World;
  r: RegionState;
  region: string;
  service: ServiceName;
  /** An error of this service, shaped as the SDK throws it. */
  err(name: string, message: string, status?: number): Error;
}

export interface CommandSpec {
  /** Whether the call changes anything (Describe/List/Get are read-only). */
  mutating: boolean;
  run(ctx: Ctx, input: unknown): unknown;
}

export type Handlers = Record<string, CommandSpec>;

/** A read-only command. */
export function read<I>(run: (ctx: Ctx, input: I) => unknown): CommandSpec {
  return { mutating: false, run: run as (ctx: Ctx, input: unknown) => unknown };
}

/** A command that changes state. */
export function write<I>(run: (ctx: Ctx, input: I) => unknown): CommandSpec {
  return { mutating: true, run: run as (ctx: Ctx, input: unknown) => unknown };
}

export function makeCtx(w: World, service: ServiceName, region: string): Ctx {
  return {
    w,
    r: w.region(region),
    region,
    service,
    err: (name, message, status) => awsError(service, name, message, status),
  };
}

/** Throws the service's "missing required parameter" error when `value` is absent. */
export function need<T>(ctx: Ctx, value: T | undefined | null, param: string): T {
  if (value === undefined || value === null || value === "") {
    const name =
      ctx.service === "secretsmanager" || ctx.service === "kms" ? "ValidationException" : "MissingParameter";
    throw ctx.err(name, `The request must contain the parameter ${param}.`);
  }
  return value;
}

/** Matches EC2-style `tag:Key` / `tag-key` filters against a tag list. */
export function tagFilterMatches(
  tags: readonly { Key: string; Value: string }[],
  name: string,
  values: readonly string[],
): boolean | undefined {
  if (name === "tag-key") return tags.some((t) => values.includes(t.Key));
  if (name.startsWith("tag:")) {
    const key = name.slice(4);
    return tags.some((t) => t.Key === key && values.some((v) => wildcard(v, t.Value)));
  }
  return undefined;
}

/** EC2 filter values accept `*` and `?` wildcards. */
export function wildcard(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  );
  return re.test(value);
}
