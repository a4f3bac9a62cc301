import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { constants } from "node:os";
import { dyingWithParent } from "../child-process.js";

/**
 * Runs an interactive program (psql) in ebdb's place on the terminal, and resolves with the exit
 * code ebdb should return: the program's own, or 128 + the signal number that killed it (as a
 * shell reports it).
 *
 * While it runs, ebdb behaves as if the program ran alone:
 * - SIGINT and SIGQUIT do not kill ebdb. From the keyboard the terminal already delivers them to
 *   the whole foreground process group, psql included (psql cancels the running query on SIGINT),
 *   so ebdb forwards them only when they did not come from the terminal (`kill -INT <ebdb>`):
 *   forwarding a keyboard ^C as well would send psql two cancels, the second of which can cancel
 *   the next statement of a script.
 * - SIGTERM and SIGHUP are forwarded; ebdb then exits with the program's status.
 * - If ebdb itself dies (`kill -9`), the program gets SIGTERM at once (Linux: `setpriv
 *   --pdeathsig`, util-linux >= 2.33), rather than living on as an orphan that fights the shell
 *   for the terminal. Where setpriv is missing the program starts directly and that guarantee is
 *   lost, nothing else.
 */
export function runInForeground(
  command: string,
  args: string[],
  opts: { env: Record<string, string>; cwd?: string },
): Promise<number> {
  const [file, argv] = dyingWithParent(command, args, "TERM", opts.env);
  return new Promise<number>((resolve, reject) => {
    const child = spawn(file, argv, { stdio: "inherit", env: opts.env, cwd: opts.cwd });
    const forward = (signal: NodeJS.Signals) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    const handlers: [NodeJS.Signals, () => void][] = [
      ["SIGINT", () => fromTerminal() || forward("SIGINT")],
      ["SIGQUIT", () => fromTerminal() || forward("SIGQUIT")],
      ["SIGTERM", () => forward("SIGTERM")],
      ["SIGHUP", () => forward("SIGHUP")],
    ];
    for (const [s, h] of handlers) process.on(s, h);
    const done = () => {
      for (const [s, h] of handlers) process.off(s, h);
    };
    child.on("error", (e) => {
      done();
      reject(e);
    });
    child.on("exit", (code, signal) => {
      done();
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}

/**
 * Whether ebdb is in its terminal's foreground process group, where a signal it gets is almost
 * surely from the keyboard and already reached the child, which shares the group. Linux reads it
 * from /proc (the tpgid field, -1 without a terminal); elsewhere a terminal on stdin stands in.
 */
function fromTerminal(): boolean {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    // After "pid (comm) ": state ppid pgrp session tty_nr tpgid ...; comm may hold spaces.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(f[5]) > 0 && f[5] === f[2];
  } catch {
    return Boolean(process.stdin.isTTY);
  }
}
