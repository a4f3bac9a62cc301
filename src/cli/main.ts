import { Command, CommanderError, Option } from "commander";
import type { CommandContext } from "../api/context.js";
import { isEbdbError, userError } from "../errors.js";
import { refuseEmptyValues } from "./empty-values.js";
import { noteInterruptions } from "./interrupt.js";
import { TerminalIoHost } from "./io-host.js";
import { type CliContext, type GlobalFlags, type Output, printJson, processOutput } from "./output.js";

/**
 * The only place that prints errors and sets the exit code. Command modules are imported when
 * their command runs, so `ebdb validate` never loads the AWS SDK or pg.
 */
// biome-ignore lint/suspicious/noExplicitAny: each command module types its own positional arguments.
type Loader = () => Promise<{ run: (cli: CliContext, ...args: any[]) => Promise<number | undefined> }>;

/** The options every command takes, after the command or (for the program) before it. */
function addGlobal(cmd: Command, target: boolean): Command {
  cmd.option("--config <path>", "the configuration file (default ./config.env, or $EBDB_CONFIG)");
  cmd.option("--json", "machine-readable output on stdout");
  cmd.option("--debug", "show stack traces for errors");
  if (target) {
    cmd.addOption(
      new Option("--target <target>", "where the database runs (default local, or $EBDB_TARGET)").choices([
        "local",
        "aws",
      ]),
    );
    cmd.option("--profile <name>", "AWS profile, as in the AWS CLI");
    cmd.option("--region <region>", "AWS region, as in the AWS CLI");
  }
  return cmd;
}

function addCommon(cmd: Command, opts: { target?: boolean; aws?: boolean; yes?: boolean } = {}): Command {
  addGlobal(cmd, opts.target !== false);
  if (opts.yes)
    cmd.option("-y, --yes", "do not ask for confirmation (required when stdin is not a terminal)");
  return cmd;
}

export function buildProgram(
  output: Output,
  env: NodeJS.ProcessEnv,
  cwd: string,
  done: (code: number) => void,
): Command {
  const program = new Command("ebdb")
    .description(
      "One config.env to a production-ready database for Elastic Beanstalk — on RDS, or locally with real PostgreSQL.",
    )
    .version("0.1.0")
    // Options before the command belong to the program (`ebdb --config x.env validate`), after it
    // to the command; the command's win when both are given.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: (s) => output.out(s.trimEnd()), writeErr: (s) => output.err(s.trimEnd()) });

  const action = (load: Loader) =>
    async function (this: Command, ...args: unknown[]) {
      const flags = flagsOf(this);
      const cli = makeCli(flags, output, env, cwd);
      const stopNoting = noteInterruptions(pathOf(this));
      try {
        refuseEmptyValues(this, args.slice(0, -2));
        const mod = await load();
        const code = await mod.run(cli, ...args.slice(0, -1));
        done(code ?? 0);
      } catch (e) {
        done(reportError(e, flags, output));
      } finally {
        stopNoting();
      }
    };

  const cmd = (name: string, description: string, opts?: Parameters<typeof addCommon>[1]) =>
    addCommon(program.command(name).description(description), opts);

  cmd("init", "write a commented config.env with the recommended defaults", { target: false })
    .option("--force", "overwrite an existing config.env")
    .action(action(() => import("./commands/init.js")));
  cmd("validate", "check config.env against every rule; exit 2 listing each problem", {
    target: false,
  }).action(action(() => import("./commands/validate.js")));
  cmd("config", "show the configuration as ebdb understood it", { target: false })
    .option("--show-secrets", "print secret values instead of redacting them")
    .action(action(() => import("./commands/config.js")));
  cmd("plan", "show what `up` would create or change")
    .option("--offline", "from the configuration alone, without looking at the target")
    .action(action(() => import("./commands/plan.js")));
  cmd("cost", "estimate the monthly cost on AWS (us-east-1 list prices)", { target: false }).action(
    action(() => import("./commands/cost.js")),
  );
  cmd("up", "create the database, or converge it to config.env", { yes: true })
    .option("--apply-immediately", "apply disruptive changes now instead of in the maintenance window")
    .option("--allow-replace", "allow changes that replace the instance (e.g. turning on encryption)")
    .action(action(() => import("./commands/up.js")));
  cmd(
    "adopt",
    "describe an existing RDS instance in config.env and tag it as ebdb's (AWS; changes nothing else)",
  )
    .requiredOption("--identifier <db-instance>", "the RDS instance to adopt (DBInstanceIdentifier)")
    .action(action(() => import("./commands/adopt.js")));
  cmd(
    "decouple",
    "take a database Elastic Beanstalk made (coupled) out of its environment, keeping it (AWS)",
    {
      yes: true,
    },
  ).action(action(() => import("./commands/decouple.js")));
  cmd("status", "each node's state, replication lag, backups and storage").action(
    action(() => import("./commands/status.js")),
  );
  cmd("env", "the connection settings the application gets (DB_*, DATABASE_URL, PG*, JDBC_DATABASE_URL, ...)")
    .addOption(
      new Option(
        "--format <format>",
        'dotenv: for bash `set -a; . ./.env`, node --env-file, the dotenv package and python-dotenv; shell: for eval "$(ebdb env --format shell)" in bash, dash and zsh; json: for any JSON reader',
      )
        .choices(["dotenv", "json", "shell"])
        .default("dotenv"),
    )
    .option("--instance <name>", "a replica's or restored instance's settings instead of the primary's")
    .option(
      "--out <file>",
      "write them to FILE (mode 0600, replaced whole and only on success) instead of stdout",
    )
    .action(action(() => import("./commands/env.js")));
  cmd("url", "the connection URL of the primary (password included: it is for your own use)")
    .option("--replica [name]", "a replica's URL instead")
    .option("--instance <name>", "a replica's or restored instance's URL instead")
    .action(action(() => import("./commands/url.js")));
  cmd("exec", "run a command with the connection in its environment (DB_*, DATABASE_URL, PG*, JDBC_*)")
    .option("--instance <name>", "connect it to a replica or a restored instance instead")
    .option("--replica [name]", "connect it to a replica instead")
    .argument(
      "<command...>",
      "the command and its arguments, after -- (`ebdb exec -- python manage.py migrate`)",
    )
    .allowUnknownOption()
    .action(action(() => import("./commands/exec.js")));
  cmd(
    "migrate",
    "run the project's migrations (Django, Alembic, Flyway, Liquibase, Prisma) against the primary, directly",
  )
    .addOption(
      new Option("--tool <tool>", "the migration tool; auto finds it from the project's files")
        .choices(["auto", "django", "alembic", "flyway", "liquibase", "prisma"])
        .default("auto"),
    )
    .argument("[args...]", "more arguments for the tool, after -- (`ebdb migrate -- --fake-initial`)")
    .action(action(() => import("./commands/migrate.js")));
  cmd("eb-files", "write the files that put the RDS CA bundle on the EB instances (for verify-full)", {
    target: false,
  })
    .option("--out <dir>", "the application's source bundle root (default: the current directory)")
    .action(action(() => import("./commands/eb-files.js")));
  const pooler = program.command("pooler").description("connection poolers beside the application");
  addCommon(
    pooler
      .command("pgbouncer")
      .description(
        "write PgBouncer's files for the application: pgbouncer.ini, start script, Dockerfile lines, EB hook",
      ),
  )
    .option("--out <dir>", "the application's source bundle root (default: the current directory)")
    .option("--port <port>", "the port PgBouncer listens on, on 127.0.0.1 (default 6432)")
    .option(
      "--max-instances <n>",
      "application instances at most (EB's aws:autoscaling:asg MaxSize), for the pool size",
    )
    .action(action(() => import("./commands/pooler-pgbouncer.js")));
  const ebHooks = program
    .command("eb-hooks")
    .description("Elastic Beanstalk deployment files for the application");
  addCommon(
    ebHooks
      .command("migrate")
      .description(
        "write the EB files that run the migrations once per deployment, on one instance (leader_only)",
      ),
    { target: false },
  )
    .addOption(
      new Option("--tool <tool>", "the migration tool; auto finds it from the bundle's files")
        .choices(["auto", "django", "alembic", "flyway", "liquibase", "prisma"])
        .default("auto"),
    )
    .addOption(
      new Option("--platform <platform>", "al2023: a predeploy platform hook; al2: a container command")
        .choices(["al2023", "al2"])
        .default("al2023"),
    )
    .option("--out <dir>", "the application's source bundle root (default: the current directory)")
    .action(action(() => import("./commands/eb-hooks-migrate.js")));
  cmd("psql", "open psql on the primary (needs a psql client); other arguments are psql's")
    .option("--replica [name]", "connect to a replica instead")
    .option("--instance <name>", "connect to a replica or a restored instance instead")
    .argument("[psql-args...]", "psql's own arguments (-c, -f, -At, ...); after -- all go to psql unchanged")
    .allowUnknownOption()
    .helpOption("--help", "display help for command (psql's -h, host, passes through)")
    .action(action(() => import("./commands/psql.js")));
  cmd("logs", "the database server's log")
    .option("-f, --follow", "keep printing new lines")
    .option("--node <name>", "a replica's or restored instance's log")
    .option("--slow", "only the slow statements (longer than DB_SLOW_QUERY_MS)")
    .option(
      "--since <time>",
      "only what was logged since a time (2026-01-15T12:00:00Z) or for a while (15m, 2h, 1d)",
    )
    .action(action(() => import("./commands/logs.js")));
  cmd("doctor", "check the database's health: each check green, yellow or red, with what it saw and the fix")
    .option("--instance <name>", "a replica or restored instance instead of the primary")
    .option("--long-query-seconds <s>", "a query running longer is a long query (default 5)")
    .action(action(() => import("./commands/doctor.js")));
  cmd("top", "a live view of CPU, connections, replication lag, free storage and top queries (q quits)")
    .option("--instance <name>", "a replica or restored instance instead of the primary")
    .option("--interval <s>", "seconds between refreshes (default 2)")
    .option("--count <n>", "print this many frames and exit (plain text, as when not on a terminal)")
    .action(action(() => import("./commands/top.js")));
  cmd("audit", "check the database against the production practices (exit 1 when one fails)")
    .option("--restore-days <n>", "a restore test counts for this many days (default 90)")
    .action(action(() => import("./commands/audit.js")));
  cmd("down", "stop the local database, keeping its data").action(action(() => import("./commands/down.js")));
  cmd("destroy", "remove the database and everything ebdb made for it", { yes: true })
    .option("--skip-final-snapshot", "do not take a final snapshot first (AWS)")
    .option("--instance <name>", "remove only this restored instance")
    .action(action(() => import("./commands/destroy.js")));

  const snapshot = program.command("snapshot").description("manual snapshots (base backups locally)");
  addCommon(snapshot.command("create [id]").description("take a snapshot now")).action(
    action(() => import("./commands/snapshot-create.js")),
  );
  addCommon(snapshot.command("list").description("list snapshots")).action(
    action(() => import("./commands/snapshot-list.js")),
  );
  addCommon(snapshot.command("delete <id>").description("delete a snapshot"), { yes: true }).action(
    action(() => import("./commands/snapshot-delete.js")),
  );
  addCommon(snapshot.command("copy <id>").description("copy a snapshot to another region (AWS)"), {
    yes: true,
  })
    .requiredOption("--to-region <region>", "destination region")
    .option("--kms-key <key>", "KMS key in the destination region (needed for encrypted snapshots)")
    .option("--name <id>", "name of the copy")
    .action(action(() => import("./commands/snapshot-copy.js")));

  cmd("restore", "restore into a NEW instance (never in place)", { yes: true })
    .option("--to-time <iso8601>", "point in time to restore to, e.g. 2024-01-15T12:00:00Z")
    .option("--latest", "the latest restorable time")
    .option("--from-snapshot <id>", "a snapshot")
    .option("--name <name>", "name of the new instance")
    .option("--switch", "point the application at the restored instance once it is available (AWS)")
    .action(action(() => import("./commands/restore.js")));

  const replica = program.command("replica").description("read replicas");
  addCommon(replica.command("add").description("add a read replica"), { yes: true }).action(
    action(() => import("./commands/replica-add.js")),
  );
  addCommon(replica.command("remove [name]").description("remove a read replica (the newest by default)"), {
    yes: true,
  }).action(action(() => import("./commands/replica-remove.js")));
  addCommon(replica.command("list").description("list read replicas with their lag")).action(
    action(() => import("./commands/replica-list.js")),
  );

  cmd("scale", "change the instance class or grow storage", { yes: true })
    .option("--instance-class <class>", "new instance class, e.g. db.m5.large")
    .option("--storage <GiB>", "new allocated storage in GiB (only grows)")
    .option("--apply-immediately", "now, instead of in the next maintenance window")
    .action(action(() => import("./commands/scale.js")));
  const insights = program.command("insights").description("Performance Insights (AWS)");
  addCommon(insights.command("enable").description("turn Performance Insights on"), { yes: true })
    .option("--retention <days>", "7 (free), 31 × months, or 731")
    .action(action(() => import("./commands/insights-enable.js")));
  cmd("slowlog", "set the slow-query threshold (log_min_duration_statement)", { yes: true })
    .requiredOption("--ms <n>", "log statements slower than this many milliseconds (-1 turns it off)")
    .action(action(() => import("./commands/slowlog.js")));

  const autoscale = program.command("autoscale").description("read-replica autoscaling");
  addCommon(
    autoscale
      .command("simulate")
      .description(
        "run an autoscaling policy over a load trace (CSV minute,demand_vcpu) with config.env's settings",
      ),
    { target: false },
  )
    .requiredOption("--trace <file>", "the load trace: CSV with the header minute,demand_vcpu")
    .addOption(
      new Option("--policy <policy>", "the policy to simulate")
        .choices(["ebdb", "target-tracking", "step"])
        .default("ebdb"),
    )
    .option("--provision-minutes <n>", "minutes from adding a replica to its being ready (default 10)")
    .option("--plot <file.svg>", "also draw the run as an SVG: demand, capacity, replicas and actions")
    .action(action(() => import("./commands/autoscale-simulate.js")));
  addCommon(
    autoscale
      .command("run")
      .description(
        "run the autoscaler: every step measure the replicas' CPU, add or remove replicas, serve the reader endpoint",
      ),
  )
    .option("--once", "one step, then exit (for cron; serves no reader endpoint)")
    .option("--interval <seconds>", "seconds per step (default 60); each step is a minute to the policy")
    .option(
      "--max-lag <seconds>",
      "the reader endpoint leaves out replicas lagging more (default DB_READ_REPLICA_MAX_LAG_SECONDS, 10)",
    )
    .action(action(() => import("./commands/autoscale-run.js")));
  addCommon(
    autoscale
      .command("status")
      .description(
        "min, max, target, current and desired replicas, the reader endpoint, the metric, decisions",
      ),
  ).action(action(() => import("./commands/autoscale-status.js")));
  // The local backup agent's process, which `up` starts: not a command for users.
  addCommon(program.command("backup-agent <identifier>", { hidden: true })).action(
    action(() => import("./commands/backup-agent.js")),
  );
  // The detached process a first local `up` starts to fill the initdb template cache: not for users.
  program
    .command("template-build <cache> <bindir> <pgVersion> <source>", { hidden: true })
    .action(action(() => import("./commands/template-build.js")));
  addGlobal(program, true);
  usageAfterErrors(program);
  return program;
}

/** The options given before the command and after it; the command's own win (commander's globals would). */
function flagsOf(cmd: Command): GlobalFlags {
  const chain: Command[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) chain.unshift(c);
  return Object.assign({}, ...chain.map((c) => c.opts())) as GlobalFlags;
}

/**
 * After a usage error (an unknown command or option, a bad choice, a missing argument) commander
 * prints the error and its "Did you mean" hint; then one line naming the help to read, rather than
 * the whole help, which buries the error.
 */
function usageAfterErrors(cmd: Command, path: string[] = []): void {
  cmd.showHelpAfterError(`Run \`${["ebdb", ...path].join(" ")} --help\` for usage.`);
  for (const sub of cmd.commands) usageAfterErrors(sub, [...path, sub.name()]);
}

/** The command's path without the program: "up", "snapshot create". */
function pathOf(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

function makeCli(flags: GlobalFlags, output: Output, env: NodeJS.ProcessEnv, cwd: string): CliContext {
  const io = new TerminalIoHost(output, { yes: Boolean(flags.yes), json: Boolean(flags.json) });
  const ctx: CommandContext = {
    cwd,
    env,
    io,
    configPath: flags.config,
    target: flags.target as CommandContext["target"],
    aws: { profile: flags.profile, region: flags.region },
  };
  return { ctx, flags, output };
}

/** Turns any error into what the user sees, and its exit code. */
export function reportError(e: unknown, flags: GlobalFlags, output: Output): number {
  if (isEbdbError(e)) {
    if (flags.json) {
      printJson(output, {
        ok: false,
        error: { code: e.code, message: e.message, hint: e.hint ?? null, ...e.details },
      });
    } else {
      output.err(`error: ${e.message}${e.hint ? `\n  ${e.hint}` : ""}`);
    }
    if (flags.debug && e.stack) output.err(e.stack);
    return e.exitCode;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  output.err(`internal error (this is a bug in ebdb): ${err.message}`);
  output.err(
    flags.debug && err.stack
      ? err.stack
      : "  Run again with --debug for the stack trace, and please report it.",
  );
  return 1;
}

export async function main(
  argv: string[],
  output: Output = processOutput,
  env = process.env,
  cwd = process.cwd(),
): Promise<number> {
  let code = 0;
  // The SDK warns on every run under Node 20 that its 2027 releases will need Node 22; ebdb supports
  // Node 20 with the SDK it pins, so the notice is noise in every AWS command's output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const program = buildProgram(output, env, cwd, (c) => {
    code = c;
  });
  try {
    const target = env.EBDB_TARGET;
    if (target !== undefined && target !== "" && target !== "local" && target !== "aws") {
      throw userError(
        "BAD_TARGET",
        `EBDB_TARGET is "${target}", which is not a target.`,
        "Set EBDB_TARGET to local or aws, or unset it.",
      );
    }
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are not errors; everything else commander rejects is bad input.
      return e.exitCode === 0 ? 0 : 2;
    }
    return reportError(e, {}, output);
  }
  return code;
}
