import { setTimeout as sleep } from "node:timers/promises";
import { checkInterval, openTop } from "../../api/top.js";
import type { TopFrame } from "../../doctor/top-frame.js";
import { userError } from "../../errors.js";
import { type CliContext, type GlobalFlags, processOutput } from "../output.js";
import { topLines } from "../render/top.js";

type TopFlags = GlobalFlags & { instance?: string; interval?: string; count?: string };

// Plain ANSI (ECMA-48 / xterm): the alternate screen, so the shell's screen comes back on quit;
// the cursor hidden while drawing; each line cleared to its end, then everything below.
const ENTER = "\u001b[?1049h\u001b[?25l";
const LEAVE = "\u001b[?25h\u001b[?1049l";
const HOME = "\u001b[H";
const CLEAR_EOL = "\u001b[K";
const CLEAR_BELOW = "\u001b[J";

function checkCount(text: string): number {
  if (!/^\s*[1-9]\d{0,5}\s*$/.test(text))
    throw userError("BAD_COUNT", `--count ${text} is not a whole number from 1.`, "For example --count 1.");
  return Number(text);
}

/**
 * `ebdb top [--instance NAME] [--interval S] [--count N] [--json]`: a live view refreshed every
 * interval (2 s). On a terminal it draws in place and `q` (or Ctrl-C) quits; when stdout is not a
 * terminal (a pipe, a log) it prints plain frames one after another (`--count` of them, else until
 * stopped); `--json` prints one JSON frame per line. No colour with NO_COLOR or TERM=dumb.
 */
export async function run(cli: CliContext): Promise<number> {
  const flags = cli.flags as TopFlags;
  const interval = flags.interval === undefined ? 2 : checkInterval(flags.interval);
  const count = flags.count === undefined ? null : checkCount(flags.count);
  const top = await openTop(cli.ctx, { instance: flags.instance });
  const live = cli.output === processOutput && Boolean(process.stdout.isTTY) && count === null && !flags.json;
  if (!live) {
    for (let i = 0; count === null || i < count; i++) {
      const started = Date.now();
      const frame = await top.next();
      const text = flags.json
        ? JSON.stringify(frame)
        : topLines(frame, {
            width: Number.POSITIVE_INFINITY,
            color: false,
            intervalSeconds: interval,
            live: false,
          }).join("\n");
      // Plain frames one after another, a blank line between them (as `top -b`).
      cli.output.out(i > 0 && !flags.json ? `\n${text}` : text);
      if (count !== null && i + 1 >= count) break;
      await sleep(Math.max(0, interval * 1000 - (Date.now() - started)));
    }
    return 0;
  }
  const env = cli.ctx.env;
  const color = !env.NO_COLOR && env.TERM !== "dumb";
  return liveView(() => top.next(), interval, color);
}

/** The terminal view: draws each frame in place until q, Ctrl-C, SIGTERM or SIGHUP. */
async function liveView(next: () => Promise<TopFrame>, interval: number, color: boolean): Promise<number> {
  const out = process.stdout;
  const stdin = process.stdin;
  // Quitting ends the wait at once (its timer too, so the process exits without waiting it out).
  const stop = new AbortController();
  let quit!: () => void;
  const quitting = new Promise<null>((resolve) => {
    quit = () => {
      stop.abort();
      resolve(null);
    };
  });
  const onKey = (data: Buffer) => {
    const k = data.toString("utf8");
    if (k === "q" || k === "Q" || k.includes("\u0003") || k.includes("\u0004")) quit();
  };
  let last: TopFrame | null = null;
  let error: string | null = null;
  const draw = () => {
    const width = out.columns || 80;
    const lines = last
      ? topLines(last, { width, color, intervalSeconds: interval, live: true })
      : ["ebdb top: reading the database...  (q quits)"];
    if (error) lines.push("", `could not refresh: ${error}`.slice(0, width));
    const rows = out.rows || lines.length;
    // Raw mode turns off the terminal's newline translation: each line ends in \r\n.
    out.write(
      HOME +
        lines
          .slice(0, rows)
          .map((l) => l + CLEAR_EOL)
          .join("\r\n") +
        CLEAR_BELOW,
    );
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  out.write(ENTER);
  if (stdin.isTTY) stdin.setRawMode(true);
  stdin.on("data", onKey);
  stdin.resume();
  out.on("resize", draw);
  for (const s of signals) process.on(s, quit);
  try {
    draw();
    for (;;) {
      const started = Date.now();
      try {
        const frame = await Promise.race([next(), quitting]);
        if (frame === null) break;
        last = frame;
        error = null;
      } catch (e) {
        if (!last) throw e;
        error = (e as Error).message;
      }
      draw();
      const wait = sleep(Math.max(0, interval * 1000 - (Date.now() - started)), undefined, {
        signal: stop.signal,
      }).catch(() => null);
      if ((await Promise.race([wait, quitting])) === null) break;
    }
  } finally {
    for (const s of signals) process.off(s, quit);
    out.off("resize", draw);
    stdin.off("data", onKey);
    if (stdin.isTTY) stdin.setRawMode(false);
    stdin.pause();
    out.write(LEAVE);
  }
  return 0;
}
