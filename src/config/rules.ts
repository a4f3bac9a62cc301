import type { Problem } from "../model/problem.js";
import { checkLogExports, checkParameterGroup } from "./rules-aws-settings.js";
import { checkBackups } from "./rules-backups.js";
import { checkCallerEnvironment } from "./rules-caller-env.js";
import { Findings, Values } from "./rules-context.js";
import { checkEngine } from "./rules-engine.js";
import { checkNames, deriveDefaults } from "./rules-names.js";
import { checkPassword } from "./rules-password.js";
import { checkMonitoring, checkReplicas } from "./rules-replicas.js";
import { checkStorage } from "./rules-storage.js";
import { checkKeys, lastEntries, readScalars, secretValues } from "./rules-values.js";
import type { EnvEntry } from "./types.js";

/**
 * Reads config.env's assignments against the schema and checks every rule, collecting every
 * problem rather than stopping at the first. A rule whose input is already invalid stays quiet.
 * Pure: `file` is used only for APP_NAME's default (its folder name).
 */
export function checkRules(
  file: string,
  entries: readonly EnvEntry[],
): { values: Values; problems: Problem[] } {
  const last = lastEntries(entries);
  const f = new Findings(last);
  checkKeys(entries, f);
  const v = new Values();
  const secrets = secretValues(entries);
  readScalars(last, f, v, secrets);
  deriveDefaults(file, v);
  checkNames(v, f);
  checkEngine(v, f);
  checkPassword(v, f);
  checkStorage(v, f);
  checkBackups(v, f);
  checkReplicas(v, f);
  checkMonitoring(v, f);
  checkParameterGroup(v, f);
  checkLogExports(v, f);
  return {
    values: v,
    problems: redactProblems([...f.problems, ...checkCallerEnvironment(entries)], secrets),
  };
}

/**
 * No rule quotes the password, but another key's value may hold it (`DB_NAME=$DB_MASTER_PASSWORD`),
 * so any message that would contain it gets the redaction instead.
 */
export function redactProblems(problems: Problem[], secrets: readonly string[]): Problem[] {
  const forms = secrets.filter((s) => s.length >= 4).flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]);
  if (forms.length === 0) return problems;
  const hide = (text: string) => forms.reduce((acc, form) => acc.split(form).join("********"), text);
  return problems.map((p) => ({
    ...p,
    message: hide(p.message),
    ...(p.hint === undefined ? {} : { hint: hide(p.hint) }),
  }));
}

/** In line order, those without a line last, keeping the rules' order among equals. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort(
      (a, b) => (a.p.line ?? Number.MAX_SAFE_INTEGER) - (b.p.line ?? Number.MAX_SAFE_INTEGER) || a.i - b.i,
    )
    .map(({ p }) => p);
}
