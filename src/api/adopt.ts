import { readFile, writeFile } from "node:fs/promises";
import {
  type AdoptedConfig,
  configFromInstance,
  replicaClassNote,
  replicaSettingsNote,
  storageLimitNote,
} from "../adopt/config-from-instance.js";
import { encryptionPath } from "../plan/encryption-path.js";
import { fileLabel } from "../config/format-problem.js";
import { parseEnv } from "../config/parse.js";
import { configPathFor } from "../config/read.js";
import { resolveConfig } from "../config/resolve.js";
import { systemError, userError } from "../errors.js";
import type { Change } from "../model/change.js";
import { deriveDesired } from "../model/desired.js";
import { coupledNote } from "../plan/coupled.js";
import { diff } from "../plan/diff.js";
import type { Clock } from "../targets/aws/clients.js";
import type { CommandContext } from "./context.js";

export interface AdoptOptions {
  /** --identifier: the RDS instance to adopt. */
  identifier: string;
  /** Simulated time (tests). */
  clock?: Clock;
}

export interface AdoptResult {
  identifier: string;
  /** Absolute path of config.env. */
  file: string;
  /** written: new; rewritten: it described the same instance and differed; unchanged: identical. */
  config: "written" | "rewritten" | "unchanged";
  /** Keys an earlier config.env of the same instance had with other values (now the live ones). */
  replacedKeys: string[];
  replicas: string[];
  environment: { application: string; name: string; coupled: boolean; deletionPolicy: string | null } | null;
  /** Instances whose tags adopt wrote (empty on a second run). */
  tagged: string[];
  /** Live settings below ebdb's production defaults, each with what setting the default would do. */
  differences: { key: string; live: string; production: string; changes: Change[] }[];
  /** The coupled database's risk and what decouple does; the encryption path; what is next. */
  notes: string[];
}

const IDENTIFIER = /^[a-zA-Z][a-zA-Z0-9-]{0,62}$/;

/** The identifier an existing config.env describes, or null when it does not parse to a configuration. */
function identifierOf(file: string, text: string): string | null {
  const parsed = parseEnv(Buffer.from(text), {});
  return resolveConfig(file, parsed.entries).config?.identifier ?? null;
}

/** config.env's values for the keys that differ from `values` (for saying what a rewrite replaced). */
function changedKeys(text: string, values: Record<string, string>): string[] {
  const parsed = parseEnv(Buffer.from(text), {});
  const old = new Map(parsed.entries.map((e) => [e.key, e.value]));
  return Object.keys(values).filter((k) => (old.get(k) ?? "") !== values[k] && k !== "DB_MASTER_PASSWORD");
}

/**
 * `ebdb adopt --identifier ID`: reads a live RDS instance ebdb did not make (its replicas, parameter
 * group, subnet and security groups, an RDS-managed secret, the EB environment that uses it, coupled
 * or not), writes the config.env that describes it, every value commented with its source, and tags
 * it and its replicas as ebdb's. Nothing else changes. An existing config.env is replaced only when
 * it describes the same identifier. Running it again changes nothing. The result lists the settings
 * below ebdb's production defaults with what changing each would do (the planner's changes and
 * impacts), and for a database EB made, why to decouple it first.
 */
export async function adopt(ctx: CommandContext, opts: AdoptOptions): Promise<AdoptResult> {
  // RDS keeps identifiers in lower case and matches them so (RDS User Guide, "DB instance identifier").
  const id = opts.identifier.toLowerCase();
  if (!IDENTIFIER.test(id) || id.includes("--") || id.endsWith("-")) {
    throw userError(
      "BAD_IDENTIFIER",
      `--identifier ${JSON.stringify(opts.identifier)} is not an RDS instance identifier.`,
      "Pass the DBInstanceIdentifier: 1-63 letters, digits and hyphens, a letter first, no `--`, no hyphen last.",
    );
  }
  const file = configPathFor(ctx);
  const label = fileLabel(file, ctx.cwd);
  const before = await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return null;
    throw userError("CONFIG_UNREADABLE", `Cannot read ${label}: ${e.message}`, "Check its permissions.");
  });
  if (before !== null) {
    const has = identifierOf(file, before);
    if (has?.toLowerCase() !== id.toLowerCase()) {
      throw userError(
        "CONFIG_EXISTS",
        `${label} already exists and describes ${has ? `another instance, ${has}` : "no valid configuration"}; adopt leaves it as it is.`,
        "Run adopt in another folder, or pass --config with a new file's path.",
      );
    }
  }

  const [{ AwsClients, realClock }, { readForAdopt, tagAdopted }, { createAwsTarget }] = await Promise.all([
    import("../targets/aws/clients.js"),
    import("../targets/aws/adopt-read.js"),
    import("../targets/aws/index.js"),
  ]);
  const profile = ctx.aws?.profile || ctx.env.AWS_PROFILE || null;
  const settings = {
    region: ctx.aws?.region || ctx.env.AWS_REGION || ctx.env.AWS_DEFAULT_REGION || "us-east-1",
    profile,
    endpoint: ctx.env.AWS_ENDPOINT_URL || null,
  };
  const clock = opts.clock ?? realClock;
  const aws = new AwsClients(settings, clock);
  const read = await readForAdopt(aws, id, profile);
  const adopted: AdoptedConfig = configFromInstance(read.db);
  // What adopt writes must be a valid configuration: anything else is ebdb's bug, found before writing.
  const check = resolveConfig(file, parseEnv(Buffer.from(adopted.text), {}).entries);
  if (!check.config) {
    throw systemError(
      "INTERNAL",
      `Internal error (a bug in ebdb): adopt made a configuration that does not validate: ${check.problems.map((p) => `${p.key}: ${p.message}`).join("; ")}`,
      "Nothing was written. Please report it with this message.",
    );
  }
  const config = check.config;

  let state: AdoptResult["config"] = "written";
  let replacedKeys: string[] = [];
  if (before === adopted.text) state = "unchanged";
  else {
    if (before !== null) {
      state = "rewritten";
      replacedKeys = changedKeys(before, adopted.values);
    }
    await writeFile(file, adopted.text, { mode: 0o644 });
  }
  const tagged = await tagAdopted(aws, read, config.appName, config.envName);

  // What the production defaults would change, planned as `up` would (against what was just read).
  const target = createAwsTarget(ctx, { clock, settings });
  // Each production default taken only when the configuration still validates with it: one the
  // instance cannot take as it is (say, a class without Performance Insights) must not hide the rest.
  const resolves = (text: string) => resolveConfig(file, parseEnv(Buffer.from(text), {}).entries).config;
  const prodText = adopted.differences.reduce((t, d) => {
    const next = t.replace(new RegExp(`^${d.key}=.*$`, "m"), `${d.key}="${d.production}"`);
    return resolves(next) ? next : t;
  }, adopted.text);
  const prod = resolves(prodText);
  const differences: AdoptResult["differences"] = [];
  let secretMissing = false;
  // Without an EB environment there is nothing to plan against (observe reads the environment).
  if (prod && !read.db.eb) for (const d of adopted.differences) differences.push({ ...d, changes: [] });
  if (prod && read.db.eb) {
    const desired = deriveDesired(prod, "aws");
    const observed = await target.observe(desired);
    secretMissing = observed.secret === null;
    const plan = diff(desired, { ...observed, coupled: null }, { now: clock.now() });
    const all = [...plan.changes, ...plan.refused];
    for (const d of adopted.differences) {
      const of = CHANGES_OF[d.key] ?? (() => false);
      // The primary's own change says most (the group it attaches, with its restart), then an alarm.
      const rank = (c: Change) => (c.kind === "instance" ? 0 : c.kind === "alarm" ? 1 : 2);
      const mine = all.filter((c) => of(c, id)).sort((a, b) => rank(a) - rank(b));
      differences.push({ ...d, changes: mine });
    }
  }

  const notes: string[] = [];
  if (!read.db.eb) {
    notes.push(
      `No Elastic Beanstalk environment in ${settings.region} uses ${id} (none was made with it, and none has its endpoint in DB_HOST, RDS_HOSTNAME or PGHOST): set EB_APPLICATION_NAME and EB_ENVIRONMENT_NAME in ${label} to the environment that should use it (they default to ${config.ebApplication} and ${config.ebEnvironment}) before \`ebdb plan --target aws\`.`,
    );
  }
  if (read.coupling) {
    notes.push(
      coupledNote(id, {
        environment: read.coupling.environment,
        deletionPolicy: read.coupling.deletionPolicy,
      }),
    );
  }
  if (!read.coupling && secretMissing && read.db.masterUserSecretArn) {
    notes.push(
      `RDS manages the master password of ${id} in its own secret (${read.db.masterUserSecretArn}); ebdb keeps it in ${config.names.secret}, and RDS refuses a password of ebdb's while it manages it, so the plan refuses to make that secret. To hand the password to ebdb, set DB_MASTER_PASSWORD in config.env for the first \`ebdb up --target aws\` (single quotes; then empty it again): up turns RDS's management off (RDS deletes its secret: whatever reads it must read ebdb's variables instead).`,
    );
  } else if (!read.coupling && secretMissing) {
    // secretStep sets a new master password when the instance exists and ebdb's secret does not.
    notes.push(
      `ebdb keeps the master password in Secrets Manager (${config.names.secret}), which does not exist yet: the first \`ebdb up --target aws\` sets a new master password on ${id} and gives it to the application through the EB environment. To keep the current one, set DB_MASTER_PASSWORD in config.env for that first up (single quotes; then empty it again: the secret keeps it).`,
    );
  }
  for (const note of [storageLimitNote(read.db), replicaClassNote(read.db), replicaSettingsNote(read.db)])
    if (note) notes.push(`${note[0].toUpperCase()}${note.slice(1)}.`);
  if (!read.db.encrypted) notes.push(encryptionPath(id, read.db.allocatedGiB, read.replicas.length));
  notes.push(
    read.coupling
      ? "Next: `ebdb decouple --target aws`, then `ebdb plan --target aws`."
      : "Next: `ebdb plan --target aws` shows what ebdb would add (its secret, parameter group, alarms, EB wiring).",
  );
  return {
    identifier: id,
    file,
    config: state,
    replacedKeys,
    replicas: read.replicas.map((r) => r.DBInstanceIdentifier!),
    environment: read.db.eb
      ? {
          application: read.db.eb.application,
          name: read.db.eb.environment,
          coupled: read.db.eb.coupled,
          deletionPolicy: read.db.eb.deletionPolicy,
        }
      : null,
    tagged,
    differences,
    notes,
  };
}

const onPrimary =
  (field: string) =>
  (c: Change, id: string): boolean =>
    c.kind === "instance" && c.resource === id && c.field === field;

/**
 * The plan's changes that each configuration key adopt compares with the production defaults would
 * bring (the CLI shows the first, with the worst impact of all).
 */
const CHANGES_OF: Record<string, (c: Change, id: string) => boolean> = {
  DB_MULTI_AZ: onPrimary("multiAz"),
  DB_DELETION_PROTECTION: onPrimary("deletionProtection"),
  DB_STORAGE_TYPE: onPrimary("storage.type"),
  DB_STORAGE_AUTOSCALING_ENABLED: onPrimary("storage.maxAllocatedGiB"),
  DB_STORAGE_ENCRYPTED: onPrimary("storage.encrypted"),
  DB_BACKUP_RETENTION_DAYS: onPrimary("backup.retentionDays"),
  DB_PERFORMANCE_INSIGHTS_ENABLED: onPrimary("performanceInsights.enabled"),
  DB_AUTO_MINOR_VERSION_UPGRADE: onPrimary("autoMinorVersionUpgrade"),
  DB_PARAMETER_GROUP_NAME: (c) => c.kind === "parameter-group" || c.field === "parameterGroup",
  DB_CLOUDWATCH_LOGS_EXPORTS: (c) => c.field === "logExports",
  DB_ALARMS_ENABLED: (c) => c.kind === "alarm" || c.kind === "topic",
  DB_READ_REPLICA_MAX_CAPACITY: (c) => c.kind === "autoscaler",
};
