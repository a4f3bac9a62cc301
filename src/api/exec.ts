import { connect } from "node:net";
import { systemError, userError } from "../errors.js";
import type { Target } from "../targets/target.js";
import { connectionVars } from "../targets/connection-vars.js";
import { readerVars } from "./autoscale-reader.js";
import type { CommandContext } from "./context.js";
import { openDay2 } from "./day2-common.js";
import { launchEnv } from "./launch-env.js";
import { pickNode } from "./url.js";

/** How to start the command: the program, its arguments (the user's, unchanged) and its whole environment. */
export interface ExecLaunch {
  command: string;
  args: string[];
  /** The caller's environment (minus redirecting libpq variables) plus every connection variable. */
  env: Record<string, string>;
  /** The names ebdb set, in order (for `--json` and tests; never the values). */
  names: string[];
}

/** How long `exec` waits for the server to accept a TCP connection before saying it cannot be reached. */
const REACH_TIMEOUT_MS = 3000;

/** Resolves with whether a TCP connection to host:port opens within `ms` (never throws). */
export function reachable(host: string, port: number, ms = REACH_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), ms);
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * `ebdb exec [--instance NAME | --replica [name]] -- <command ...>`: how to run a command with the
 * connection in its environment: the DB_* names, DATABASE_URL, libpq's PG* (with PGSSLMODE and
 * PGSSLROOTCERT, so any libpq client verifies the server), JDBC_DATABASE_URL and its user and
 * password, and RDS_* when EB_RDS_PROPERTIES is on (connectionVars). The password is in the
 * command's environment only, never in any process's arguments (launchEnv).
 *
 * Before handing over, the chosen instance must accept a TCP connection from here (3 s): on AWS the
 * database is private to the EB environment's VPC, and that is said plainly rather than left to the
 * command's own time-out. Errors: NO_COMMAND, CONFLICTING_FLAGS, INSTANCE_NOT_FOUND (exit 2);
 * NOT_REACHABLE (exit 1); the target's own (e.g. NOT_CREATED).
 */
export async function execLaunch(
  ctx: CommandContext,
  opts: { command: string[]; instance?: string; replica?: string | boolean; target?: Target },
): Promise<ExecLaunch> {
  const [command, ...args] = opts.command;
  if (!command) {
    throw userError(
      "NO_COMMAND",
      "ebdb exec needs a command to run.",
      "Put it after --, e.g. `ebdb exec -- python manage.py migrate`.",
    );
  }
  const { desired, target } = await openDay2(ctx, opts.target);
  const c = await target.connection(desired);
  const node = pickNode(c, opts.replica, opts.instance);
  await requireReachable(target, node.name ?? desired.identifier, node);
  const vars = {
    ...connectionVars(c, { node, rdsNames: desired.config.ebRdsProperties }),
    ...(await readerVars(ctx, target, desired)),
  };
  return { command, args, env: launchEnv(ctx.env, vars), names: Object.keys(vars) };
}

/**
 * Before a program is started on a node: a node that does not accept connections is an error that
 * says why (locally stopped or starting: run `ebdb up`; on AWS private to the VPC), rather than the
 * program's own "connection refused". Errors: NOT_REACHABLE (exit 1).
 */
export async function requireReachable(
  target: Target,
  which: string,
  node: { host: string; port: number },
): Promise<void> {
  if (!(await reachable(node.host, node.port))) {
    if (target.name === "aws") {
      throw systemError(
        "NOT_REACHABLE",
        `${which} (${node.host}:${node.port}) is not reachable from here: the database is private to the Elastic Beanstalk environment's VPC (no public address; its security group admits only the EB instances), as it should be.`,
        "Run the command where the application runs (`eb ssh`, then the command, or a platform hook), or from a machine inside the VPC.",
      );
    }
    throw systemError(
      "NOT_REACHABLE",
      `${which} does not accept connections on ${node.host}:${node.port} (it is stopped, or still starting).`,
      "Run `ebdb up` to start it, and `ebdb status` to see each server's state.",
    );
  }
}
