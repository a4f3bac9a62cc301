import { AddTagsToResourceCommand, type DBInstance } from "@aws-sdk/client-rds";
import { DescribeEventsCommand } from "@aws-sdk/client-elastic-beanstalk";
import { systemError, userError } from "../../errors.js";
import { Secret } from "../../model/secret.js";
import { type Coupling, readCoupling } from "./adopt-coupling.js";
import { syncApp } from "./app-sync.js";
import type { AwsCtx } from "./context.js";
import { appVariablesOf, networkAdmits, type Reach, reachOf, type Target } from "./decouple-reach.js";
import { type LiveEnv, NS_RDS, readEnvironment, updateEnvironment, waitEnvReady } from "./eb.js";
import { readInstance, readInstances, waitReady } from "./instances.js";
import { modifyWithRetry } from "./modify.js";
import { gather } from "./observe.js";
import { ensureSecret, putDoc, sameDoc, wantedDoc } from "./secret.js";
import { networkStep } from "./steps.js";
import { replicaEndpoints } from "./wiring.js";

/** Tag on the instance naming the last decouple step finished (protect, secret, wire, uncouple). */
export const DECOUPLE_TAG = "ebdb:decouple-step";
export const DECOUPLE_STEPS = ["protect", "secret", "wire", "uncouple"] as const;
export type DecoupleStep = (typeof DECOUPLE_STEPS)[number];

export interface StepReport {
  step: DecoupleStep;
  /** done: this run made it; already: it was done (by an earlier run, or by hand). */
  outcome: "done" | "already";
  detail: string;
  /** Where the application's variables lead after the step (now, and once decoupled). */
  reach: Reach;
}

export interface DecoupleReport {
  identifier: string;
  environment: string;
  steps: StepReport[];
}

/** Where the password the application uses comes from, and its value. */
interface Credentials {
  password: string;
  from: string;
}

/** Finds a step's own failure reported by EB since `since` (the stack update that rolled back). */
async function ebErrors(ctx: AwsCtx, env: LiveEnv, since: Date): Promise<string[]> {
  const r = await ctx.aws.eb(
    new DescribeEventsCommand({
      ApplicationName: env.application,
      EnvironmentName: env.name,
      StartTime: since,
      Severity: "ERROR",
    }),
  );
  return (r.Events ?? []).map((e) => e.Message ?? "");
}

async function record(ctx: AwsCtx, inst: DBInstance, step: DecoupleStep): Promise<void> {
  await ctx.aws.rds(
    new AddTagsToResourceCommand({
      ResourceName: inst.DBInstanceArn!,
      Tags: [{ Key: DECOUPLE_TAG, Value: step }],
    }),
  );
}

/**
 * Takes a database EB made (coupled: in the environment's CloudFormation stack) out of EB's hands
 * without moving it, as the EB Developer Guide describes ("Decoupling an RDS DB instance from an
 * Elastic Beanstalk environment"), each step only when its goal does not hold yet:
 * 1. protect: deletion protection on (ModifyDBInstance), then the option DBDeletionPolicy=Retain, so
 *    no later step, environment rebuild or termination can delete it;
 * 2. secret: ebdb's secret holds the credentials the application uses now (EB's DBPassword option);
 * 3. wire: the environment gets ebdb's variables (RDS_* as properties and a secret, beside DB_*,
 *    DATABASE_URL, PG*), hidden by EB's own RDS_* until the next step;
 * 4. uncouple: HasCoupledDatabase=false; EB keeps the instance (Retain) and stops giving RDS_*.
 * After each step it checks that the application's variables (now, and as they will be once
 * decoupled) reach the same instance with the same credentials, and that its security groups admit
 * the environment's instances; it stops before uncoupling when they would not. Each finished step is
 * recorded in the instance's tag ebdb:decouple-step; a run after an interruption resumes (every step
 * reads before it writes). Never turns deletion protection off, never deletes anything.
 */
export async function decoupleAws(ctx: AwsCtx): Promise<DecoupleReport> {
  const d = ctx.desired;
  const id = d.identifier;
  const aws = ctx.aws;
  // An update of the environment interrupted earlier finishes (or rolls back) first.
  await waitEnvReady(ctx, (await gather(aws, d)).env);
  const live = await gather(aws, d);
  const primary = live.instances.primary;
  if (!primary) {
    throw userError(
      "NOT_FOUND",
      `${id} does not exist in ${aws.settings.region}.`,
      "Check DB_INSTANCE_IDENTIFIER in config.env (ebdb adopt writes it) and --region.",
    );
  }
  let env = live.env;
  let coupling: Coupling | null = live.coupling;
  const coupledHere = () => coupling !== null && coupling.instanceId === id;
  if (coupling && !coupledHere()) {
    throw userError(
      "COUPLED_TO_ANOTHER",
      `EB environment ${env.name} is coupled to ${coupling.instanceId ?? "a database it no longer has"}, not ${id}.`,
      "Check EB_ENVIRONMENT_NAME and DB_INSTANCE_IDENTIFIER in config.env (`ebdb adopt` writes both).",
    );
  }
  // Neither coupled nor ever decoupled by ebdb (a decoupling stopped later left its tag): nothing to do.
  if (!coupledHere() && primary.TagList?.find((t) => t.Key === DECOUPLE_TAG) === undefined) {
    throw userError(
      "NOT_COUPLED",
      `${id} is not coupled to EB environment ${env.name}: there is nothing to decouple.`,
      "`ebdb plan --target aws` shows what ebdb would change.",
    );
  }
  const steps: StepReport[] = [];
  let inst: DBInstance = primary;
  const creds = credentialsOf(env, live.secret?.doc?.password ?? null, coupledHere());
  aws.redact(creds.password);
  const target: Target = {
    host: inst.Endpoint?.Address ?? "",
    port: inst.Endpoint?.Port ?? d.primary.port,
    dbName: inst.DBName ?? d.config.dbName,
    username: inst.MasterUsername ?? d.config.masterUsername,
    password: creds.password,
  };

  /** Checks the application's variables now (and once decoupled); throws when they would not reach the instance. */
  const verify = async (step: DecoupleStep, strictAfter: boolean): Promise<Reach> => {
    inst = (await readInstance(aws, id)) ?? inst;
    const [now, after, network] = await Promise.all([
      appVariablesOf(aws, env, inst, coupledHere()),
      appVariablesOf(aws, env, inst, false),
      networkAdmits(aws, env, inst),
    ]);
    const reachNow = reachOf(now.vars, target);
    const reachAfter = reachOf(after.vars, target);
    const problems = [...now.problems, ...reachNow.problems.map((p) => `now: ${p}`)];
    if (!network)
      problems.push(`no security group of ${id} admits the instances of EB environment ${env.name}`);
    if (strictAfter) {
      problems.push(...after.problems, ...reachAfter.problems.map((p) => `once decoupled: ${p}`));
      const lost = reachNow.families.filter((f) => !reachAfter.families.includes(f));
      if (lost.length)
        problems.push(
          `once decoupled the application would no longer get ${lost.map((f) => `${f}_*`).join(", ")}`,
        );
    }
    if (problems.length > 0) {
      throw systemError(
        "DECOUPLE_UNREACHABLE",
        `After step ${step}, the application of EB environment ${env.name} would not reach ${id}: ${problems.join("; ")}.`,
        "Nothing was decoupled past this step and the instance is protected. Fix what is named, then run `ebdb decouple --target aws` again.",
      );
    }
    return { families: [...new Set([...reachNow.families, ...reachAfter.families])], problems: [] };
  };
  const finish = async (
    step: DecoupleStep,
    outcome: StepReport["outcome"],
    detail: string,
    strict = false,
  ) => {
    const reach = await verify(step, strict);
    // Recorded once verified, also when an interrupted run made it but stopped before recording it.
    const recorded = DECOUPLE_STEPS.indexOf(
      inst.TagList?.find((t) => t.Key === DECOUPLE_TAG)?.Value as DecoupleStep,
    );
    if (DECOUPLE_STEPS.indexOf(step) > recorded) await record(ctx, inst, step);
    ctx.io.event({ type: "progress", message: `decouple ${step}: ${detail}`, resource: id });
    steps.push({ step, outcome, detail, reach });
  };

  // 1. protect.
  {
    const did: string[] = [];
    if (!inst.DeletionProtection) {
      await waitReady(ctx, id);
      await modifyWithRetry(ctx, {
        DBInstanceIdentifier: id,
        DeletionProtection: true,
        ApplyImmediately: true,
      });
      did.push("deletion protection on");
    }
    if (coupledHere() && env.rdsOptions.DBDeletionPolicy !== "Retain") {
      await updateEnvironment(ctx, env, {
        set: [
          { Namespace: NS_RDS, OptionName: "DBDeletionPolicy", Value: "Retain" },
          ...storageInStep(env, inst),
        ],
        remove: [],
      });
      env = await readEnvironment(aws, env.application, env.name);
      if (env.rdsOptions.DBDeletionPolicy !== "Retain") {
        throw systemError(
          "DECOUPLE_FAILED",
          `EB environment ${env.name} did not take DBDeletionPolicy=Retain (it has ${env.rdsOptions.DBDeletionPolicy || "Delete"}).`,
          "See the environment's events (eb events); the instance is protected. Run decouple again once the environment is Ready.",
        );
      }
      did.push("DBDeletionPolicy Retain");
    }
    await finish(
      "protect",
      did.length ? "done" : "already",
      did.length ? did.join(", ") : "deletion protection was on and DBDeletionPolicy Retain",
    );
  }

  // 2. secret: ebdb's secret holds the password the application uses now.
  const desiredWith = { ...d, config: { ...d.config, masterPassword: new Secret(creds.password) } };
  const sctx: AwsCtx = { ...ctx, desired: desiredWith };
  let secretArn: string;
  {
    const s = await ensureSecret(sctx, live.secret, target.host);
    const want = wantedDoc(desiredWith, creds.password, target.host);
    let outcome: StepReport["outcome"] = live.secret?.doc ? "already" : "done";
    if (!sameDoc(s.doc, want)) {
      await putDoc(aws, s.arn, want, s.versionId);
      outcome = "done";
    }
    secretArn = s.arn;
    await finish(
      "secret",
      outcome,
      outcome === "done"
        ? `${d.secret.name} holds the credentials (${creds.from})`
        : `${d.secret.name} held them`,
    );
  }

  // 3. wire the environment the ebdb way (its RDS_* hidden by EB's while coupled).
  {
    if (!live.secretsSupported) {
      throw userError(
        "EB_PLATFORM_NO_SECRETS",
        `EB environment ${env.name}'s platform version does not resolve Secrets Manager secrets into variables, so RDS_PASSWORD and DB_PASSWORD could not be given once EB stops giving them.`,
        "Update the environment's platform version (released from 2025-03-26), then run decouple again; the instance is protected meanwhile.",
      );
    }
    const clientSg = d.network.accessMode === "client-sg" ? (await networkStep(ctx, live)).clientSg : null;
    // DB_REPLICA_HOSTS names the replicas: replicas made by hand sit in the VPC's default group, so
    // they join the database's group first (added, none taken away: online, as RDS documents).
    const joined = await replicasJoin(ctx, live.dbSg?.id ?? null, (await readInstances(aws, id)).replicas);
    const fresh = await readInstances(aws, id);
    const changed = await syncApp(
      ctx,
      { env, envSecrets: live.envSecrets, role: live.role, secretsSupported: live.secretsSupported },
      {
        endpoints: { primary: target.host, replicas: replicaEndpoints(fresh.replicas) },
        password: creds.password,
        secretArn,
        clientSg,
        manageSecurityGroups: clientSg !== null,
      },
    );
    env = await readEnvironment(aws, env.application, env.name);
    const replicasNote = joined.length
      ? `; replicas ${joined.join(", ")} put behind security group ${d.network.dbSecurityGroup}`
      : "";
    await finish(
      "wire",
      changed || joined.length ? "done" : "already",
      (changed
        ? `EB environment ${env.name} has ebdb's variables (${d.eb.properties.join(", ")})`
        : "the environment had ebdb's variables") + replicasNote,
      true,
    );
  }
  if (coupledHere()) {
    inst = (await readInstance(aws, id)) ?? inst;
    if (!inst.DeletionProtection || env.rdsOptions.DBDeletionPolicy !== "Retain") {
      throw systemError(
        "DECOUPLE_UNPROTECTED",
        `${id} lost its protection meanwhile (deletion protection ${inst.DeletionProtection ? "on" : "off"}, DBDeletionPolicy ${env.rdsOptions.DBDeletionPolicy || "Delete"}): not decoupling.`,
        "Run `ebdb decouple --target aws` again: it protects it first.",
      );
    }
    const since = ctx.clock.now();
    await updateEnvironment(ctx, env, {
      set: [
        { Namespace: NS_RDS, OptionName: "HasCoupledDatabase", Value: "false" },
        ...storageInStep(env, inst),
      ],
      remove: [],
    });
    env = await readEnvironment(aws, env.application, env.name);
    coupling = await readCoupling(aws, env);
    if (coupledHere()) {
      const errors = await ebErrors(ctx, env, since);
      throw systemError(
        "DECOUPLE_FAILED",
        `EB could not decouple ${id} from ${env.name}; the environment rolled back${errors.length ? `: ${errors.join(" | ")}` : ""}.`,
        "The instance is protected and the application keeps its variables. Fix the cause, then run `ebdb decouple --target aws` again.",
      );
    }
    await finish(
      "uncouple",
      "done",
      `EB environment ${env.name} no longer holds ${id} (HasCoupledDatabase=false)`,
      true,
    );
  } else {
    await finish("uncouple", "already", `EB environment ${env.name} does not hold ${id}`, true);
  }
  return { identifier: id, environment: env.name, steps };
}

/**
 * EB's DBAllocatedStorage option brought up to the instance's storage when it grew outside EB (storage
 * autoscaling, or a change in RDS): an update of the environment whose option is below the instance's
 * size fails ("DB Allocated storage should be more than the previous value"; the loop of EB roadmap
 * #303; CloudFormation's own, aws-cloudformation/cloudformation-coverage-roadmap#430, whose workaround
 * is this: the template takes the size the instance has), so the live value goes with the update and
 * CloudFormation finds nothing to modify. Nothing when they agree.
 */
function storageInStep(
  env: LiveEnv,
  inst: DBInstance,
): { Namespace: string; OptionName: string; Value: string }[] {
  const option = Number(env.rdsOptions.DBAllocatedStorage);
  const live = inst.AllocatedStorage ?? 0;
  return Number.isFinite(option) && option < live
    ? [{ Namespace: NS_RDS, OptionName: "DBAllocatedStorage", Value: String(live) }]
    : [];
}

/**
 * Adds the database's security group to each replica that lacks it (ModifyDBInstance
 * VpcSecurityGroupIds, applied at once; a change of security groups needs no reboot). Returns the
 * replicas changed. No group found (DB_SECURITY_GROUP_NAME names none): nothing to do here, the plan says.
 */
async function replicasJoin(ctx: AwsCtx, dbSgId: string | null, replicas: DBInstance[]): Promise<string[]> {
  if (!dbSgId) return [];
  const out: string[] = [];
  for (const r of replicas) {
    const have = (r.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!);
    if (have.includes(dbSgId)) continue;
    await waitReady(ctx, r.DBInstanceIdentifier!);
    await modifyWithRetry(ctx, {
      DBInstanceIdentifier: r.DBInstanceIdentifier!,
      VpcSecurityGroupIds: [...have, dbSgId],
      ApplyImmediately: true,
    });
    out.push(r.DBInstanceIdentifier!);
  }
  return out;
}

/**
 * The password the application uses: EB's DBPassword option while coupled (EB gives it as
 * RDS_PASSWORD), else what ebdb's secret holds (an earlier run stored it there).
 */
function credentialsOf(env: LiveEnv, secretPassword: string | null, coupled: boolean): Credentials {
  if (coupled && env.rdsOptions.DBPassword)
    return { password: env.rdsOptions.DBPassword, from: "EB's DBPassword option" };
  if (secretPassword) return { password: secretPassword, from: "ebdb's secret" };
  throw userError(
    "DECOUPLE_NO_PASSWORD",
    `Neither EB environment ${env.name}'s DBPassword option nor ebdb's secret holds the master password.`,
    "Set DB_MASTER_PASSWORD in config.env to the instance's master password (ebdb then keeps it in Secrets Manager), or reset it with the RDS console, then run decouple again.",
  );
}
