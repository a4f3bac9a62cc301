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

function applies(s: Statement, action: string, resource: string): boolean {
  // NotAction, NotResource and conditions are not modelled: such a statement never applies.
  if (s.NotAction !== undefined || s.NotResource !== undefined || s.Condition !== undefined) return false;
  return (
    list(s.Action).some((a) => matches(a, action, true)) &&
    list(s.Resource).some((r) => matches(r, resource, false))
  );
}

/**
 * Whether the role's inline policies allow `action` on `resource`: some Allow statement matches and no
 * Deny does (IAM's evaluation logic, without managed policies, boundaries or conditions).
 */
export function roleAllows(w: World, roleName: string, action: string, resource: string): boolean {
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
  const hit = statements.filter((s) => applies(s, action, resource));
  return hit.some((s) => s.Effect === "Allow") && !hit.some((s) => s.Effect === "Deny");
}

/** The role behind an instance profile (name or ARN), as EC2 instances launched with it assume. */
export function roleOfInstanceProfile(w: World, profile: string | undefined): string | undefined {
  if (!profile) return undefined;
  const name = profile.includes("/") ? profile.slice(profile.lastIndexOf("/") + 1) : profile;
  return w.iam.instanceProfiles.get(name)?.roles[0];
}
