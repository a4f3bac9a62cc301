import type { World } from "./world.js";

interface Statement {
  Effect?: string;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: string | string[];
  NotResource?: unknown;
  Condition?: unknown;
}

const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

/** IAM's `*` and `?` wildcards; actions compare case-insensitively, resources exactly (IAM policy grammar). */
function matches(pattern: string, value: string, caseInsensitive: boolean): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
    caseInsensitive ? "i" : "",
  );
  return re.test(value);
}

/**
 * A statement's Condition holds: only `StringEquals` on keys the request context has (e.g.
 * `cloudwatch:namespace`); any other operator, or a key the context lacks, never holds.
 */
function conditionHolds(condition: unknown, context: Record<string, string>): boolean {
  if (condition === undefined) return true;
  const ops = Object.entries(condition as Record<string, Record<string, string | string[]>>);
  return ops.every(
    ([op, keys]) =>
      op === "StringEquals" &&
      Object.entries(keys).every(([k, v]) => k in context && list(v).includes(context[k])),
  );
}

function applies(s: Statement, action: string, resource: string, context: Record<string, string>): boolean {
  // NotAction and NotResource are not modelled: such a statement never applies.
  if (s.NotAction !== undefined || s.NotResource !== undefined || !conditionHolds(s.Condition, context))
    return false;
  return (
    list(s.Action).some((a) => matches(a, action, true)) &&
    list(s.Resource).some((r) => matches(r, resource, false))
  );
}

/**
 * Whether the role's inline policies allow `action` on `resource`: some Allow statement matches and no
 * Deny does (IAM's evaluation logic, without managed policies, boundaries or conditions).
 */
export function roleAllows(
  w: World,
  roleName: string,
  action: string,
  resource: string,
  context: Record<string, string> = {},
): boolean {
  const role = w.iam.roles.get(roleName);
  if (!role) return false;
  const statements: Statement[] = [];
  for (const doc of role.policies.values()) {
    try {
      const parsed = JSON.parse(doc) as { Statement?: Statement | Statement[] };
      const s = parsed.Statement;
      statements.push(...(Array.isArray(s) ? s : s ? [s] : []));
    } catch {
      // PutRolePolicy refuses malformed documents; nothing to evaluate.
    }
  }
  const hit = statements.filter((s) => applies(s, action, resource, context));
  return hit.some((s) => s.Effect === "Allow") && !hit.some((s) => s.Effect === "Deny");
}

/** The role behind an instance profile (name or ARN), as EC2 instances launched with it assume. */
export function roleOfInstanceProfile(w: World, profile: string | undefined): string | undefined {
  if (!profile) return undefined;
  const name = profile.includes("/") ? profile.slice(profile.lastIndexOf("/") + 1) : profile;
  return w.iam.instanceProfiles.get(name)?.roles[0];
}
