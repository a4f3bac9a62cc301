import { spawnSync } from "node:child_process";
import { accessSync, constants, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { EbdbError, isEbdbError, userError } from "../errors.js";
import {
  describeFound,
  detectTools,
  type Found,
  PROBE_DIRS,
  PROBE_FILES,
  TOOLS,
  type ToolName,
} from "../migrate/detect.js";
import { type Invocation, POOLED_NAMES, TOOL_SPECS, type ToolSpec, toolEnv } from "../migrate/tools.js";
import type { Target } from "../targets/target.js";
import { type CommandContext, targetOf } from "./context.js";
import { execLaunch } from "./exec.js";

export type ToolChoice = ToolName | "auto";

/** The tool to run and why: named by --tool, or found from the project's files. */
export interface ChosenTool {
  spec: ToolSpec;
  /** The files that point to it (empty when --tool named a tool whose files are elsewhere). */
  evidence: string[];
  /** True when `auto` chose it from the files. */
  detected: boolean;
}

/** How to start the migration, as `exec` starts a command (see ExecLaunch), and what was decided. */
export interface MigrateLaunch {
  tool: ToolName;
  evidence: string[];
  detected: boolean;
  /** The program (absolute path) and its arguments: the tool's usual command plus the user's extra ones. */
  command: string;
  args: string[];
  /** The caller's environment plus the direct connection's variables and the tool's own; no pooled names. */
  env: Record<string, string>;
  /** The names ebdb set (never the values). */
  names: string[];
  /** Where the migration connects: the primary's address, directly. */
  host: string;
  port: number;
}

/** The relative paths among the detection probes that exist in `dir` (fs reads only). */
export function projectFiles(dir: string): string[] {
  const present = PROBE_FILES.filter((f) => {
    try {
      return statSync(join(dir, f)).isFile();
    } catch {
      return false;
    }
  });
  for (const d of PROBE_DIRS) {
    try {
      for (const e of readdirSync(join(dir, d), { withFileTypes: true })) {
        if (e.isFile()) present.push(`${d}/${e.name}`);
      }
    } catch {}
  }
  return present;
}

/**
 * The tool `ebdb migrate` runs in `ctx.cwd`: the one `choice` names, or with `auto` the only one the
 * project's files point to (detectTools). Errors (exit 2): NO_MIGRATION_TOOL when no tool's files are
 * there, SEVERAL_MIGRATION_TOOLS when more than one's are, each naming what was looked for or found
 * and --tool.
 */
export function chooseTool(ctx: CommandContext, choice: ToolChoice = "auto"): ChosenTool {
  const found = detectTools(projectFiles(ctx.cwd));
  if (choice !== "auto") {
    return {
      spec: TOOL_SPECS[choice],
      evidence: found.find((f) => f.tool === choice)?.evidence ?? [],
      detected: false,
    };
  }
  const flag = `--tool ${TOOLS.join("|")}`;
  if (found.length === 0) {
    throw userError(
      "NO_MIGRATION_TOOL",
      `No migration tool found in ${ctx.cwd}: looked for manage.py (django), alembic.ini (alembic), flyway.conf or sql/V*__*.sql (flyway), liquibase.properties or a changelog (liquibase), prisma/schema.prisma (prisma).`,
      `Run ebdb migrate in the project's folder, or name the tool: ${flag}.`,
    );
  }
  if (found.length > 1) {
    throw userError(
      "SEVERAL_MIGRATION_TOOLS",
      `Several migration tools found in ${ctx.cwd}: ${describeFound(found)}.`,
      `Say which one runs the migrations: ${found.map((f) => `--tool ${f.tool}`).join(" or ")}.`,
      { candidates: found },
    );
  }
  const [one] = found as [Found];
  return { spec: TOOL_SPECS[one.tool], evidence: one.evidence, detected: true };
}

/** `program`'s absolute path as execvp finds it (a name in PATH, or a path from `cwd`); null if none. */
export function findProgram(program: string, path: string, cwd: string): string | null {
  const candidates = program.includes("/")
    ? [resolve(cwd, program)]
    : path.split(":").map((dir) => resolve(cwd, dir || ".", program));
  for (const file of candidates) {
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return file;
    } catch {}
  }
  return null;
}

/**
 * The first of the tool's invocations that is installed: its program is found in the caller's PATH
 * and, for a Python module, that Python imports it (`python3 -c "import django"`, run in the project's
 * folder, bounded at 30 s). Error TOOL_NOT_INSTALLED (exit 2) naming what was tried and how to install.
 */
export function installedInvocation(
  ctx: CommandContext,
  spec: ToolSpec,
  extra: string[],
  opts: { hook?: boolean } = {},
): Invocation & { path: string } {
  const env = Object.fromEntries(Object.entries(ctx.env).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
  const tried: string[] = [];
  for (const inv of spec.invocations(extra, opts)) {
    const path = findProgram(inv.program, env.PATH ?? "", ctx.cwd);
    if (!path) {
      tried.push(`${inv.program}: not found`);
      continue;
    }
    if (inv.module) {
      const r = spawnSync(path, ["-c", `import ${inv.module}`], {
        cwd: ctx.cwd,
        env,
        stdio: "ignore",
        timeout: 30_000,
      });
      if (r.status !== 0) {
        tried.push(`${path}: cannot import ${inv.module}`);
        continue;
      }
    }
    return { ...inv, path };
  }
  throw userError(
    "TOOL_NOT_INSTALLED",
    `${spec.tool} is not installed here (${tried.join("; ")}).`,
    spec.install,
    { tool: spec.tool, tried },
  );
}

/**
 * `ebdb migrate [--tool T|auto] [-- extra args]`: how to run the project's migration tool with its
 * usual command (TOOL_SPECS; `extra` appended) against the primary, directly: the environment
 * `ebdb exec` gives (execLaunch: the connection in the environment only, never in arguments; the
 * server reached first), minus the pooled names (DB_POOL_HOST, DB_POOL_PORT, DATABASE_POOL_URL: a
 * migration holds a session, takes locks and may SET, which a transaction-mode pooler does not keep),
 * plus the tool's own variables (toolEnv). The tool is chosen, and found installed, before the
 * database is touched. Errors: chooseTool's and installedInvocation's (exit 2), execLaunch's.
 */
export async function migrateLaunch(
  ctx: CommandContext,
  opts: { tool?: ToolChoice; args?: string[]; target?: Target } = {},
): Promise<MigrateLaunch> {
  const chosen = chooseTool(ctx, opts.tool);
  const inv = installedInvocation(ctx, chosen.spec, opts.args ?? []);
  const launch = await execLaunch(ctx, { command: [inv.path, ...inv.args], target: opts.target }).catch(
    (e: unknown) => {
      if (isEbdbError(e) && e.code === "NOT_REACHABLE" && (opts.target?.name ?? targetOf(ctx)) === "aws") {
        throw new EbdbError({
          code: e.code,
          message: e.message,
          fault: e.fault,
          hint: "Migrate at each deployment on one EB instance (`ebdb eb-hooks migrate`), or from here through an EB instance with SSM port forwarding (README: Migrations, From a laptop).",
        });
      }
      throw e;
    },
  );
  const env = launch.env;
  for (const name of POOLED_NAMES) delete env[name];
  const found = chosen.evidence.length ? { tool: chosen.spec.tool, evidence: chosen.evidence } : undefined;
  const own = toolEnv(chosen.spec.tool, env, found, ctx.cwd, ctx.env);
  Object.assign(env, own);
  const names = [
    ...launch.names.filter((n) => !(POOLED_NAMES as readonly string[]).includes(n)),
    ...Object.keys(own),
  ];
  return {
    tool: chosen.spec.tool,
    evidence: chosen.evidence,
    detected: chosen.detected,
    command: launch.command,
    args: launch.args,
    env,
    names: [...new Set(names)],
    host: env.DB_HOST ?? "",
    port: Number(env.DB_PORT),
  };
}
