import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { topFrame } from "../../src/doctor/top-frame.js";
import { cutToWidth, topLines } from "../../src/cli/render/top.js";
import { BIN, type CliProject, upProject } from "../cli/psql-helpers.js";
import { AT, observation, pg as pgFacts } from "./observation-fixture.js";

const ESC = /\u001b\[/;

describe("top's frame and screen (pure)", () => {
  const row = (calls: number, totalMs: number) => ({
    query: "SELECT * FROM orders WHERE id = $1",
    database: "app",
    calls,
    totalMs,
    meanMs: totalMs / calls,
    maxMs: 3,
    rows: calls,
  });
  const withTop = (at: string, calls: number, totalMs: number) =>
    observation(
      { at },
      { statements: { ...pgFacts().statements, top: [row(calls, totalMs)], totalMs: totalMs * 2 } },
    );

  test("query rates come from the frame before: calls and time per second since then", () => {
    const first = topFrame(withTop(AT, 100, 50));
    expect(first.queries[0]).toMatchObject({ calls: 100, share: 0.5, callsPerSecond: null });
    const later = new Date(Date.parse(AT) + 2000).toISOString();
    const second = topFrame(withTop(later, 300, 150), first);
    expect(second.queries[0]).toMatchObject({ callsPerSecond: 100, msPerSecond: 50 });
  });

  test("colour only when asked; every line cut to the terminal's width, colour sequences kept whole", () => {
    const f = topFrame(observation({ cpu: { utilization: 91, source: "x" } }));
    const plain = topLines(f, { width: 200, color: false, intervalSeconds: 2, live: false });
    expect(plain.join("\n")).not.toMatch(ESC);
    expect(plain.join("\n")).not.toContain("q quits");
    expect(plain.find((l) => l.startsWith("CPU"))).toMatch(/^CPU +91\.0% \[#{18}\.\.\]/);
    const coloured = topLines(f, { width: 30, color: true, intervalSeconds: 2, live: true });
    expect(coloured.find((l) => l.startsWith("CPU"))).toContain("\u001b[33m"); // yellow from 80%
    for (const l of coloured) expect(l.replace(/\u001b\[[0-9;]*m/g, "").length).toBeLessThanOrEqual(30);
    expect(cutToWidth("\u001b[31mabcdef\u001b[0m", 3)).toBe("\u001b[31mabc\u001b[0m");
  });
});

// The live view in a real terminal (tmux): start it, read the screen, quit with q. On its own tmux
// server (-L), so nobody else's sessions are touched; every wait is bounded.
const hasTmux = spawnSync("tmux", ["-V"]).status === 0;
const SOCKET = `ebdb-top-${process.pid}`;
/** The tmux session (and its one pane) the current case drives. */
let pane = "top0";
let sessions = 0;
const tmux = (...args: string[]) =>
  spawnSync("tmux", ["-L", SOCKET, ...args], { encoding: "utf8", timeout: 5000 });

async function screen(until: (s: string) => boolean, ms = 20_000, escapes = false): Promise<string> {
  const deadline = Date.now() + ms;
  let last = "";
  while (Date.now() < deadline) {
    last = tmux("capture-pane", "-p", ...(escapes ? ["-e"] : []), "-t", pane).stdout ?? "";
    if (until(last)) return last;
    await sleep(100);
  }
  throw new Error(`the screen did not show what was expected within ${ms} ms:\n${last}`);
}

/** Waits for the exit status the pane's shell writes once ebdb top has ended. */
async function topExit(file: string, ms = 10_000): Promise<string> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const text = existsSync(file) ? readFileSync(file, "utf8").trim() : "";
    if (text) return text;
    await sleep(100);
  }
  const screenNow = tmux("capture-pane", "-p", "-t", pane).stdout;
  throw new Error(`ebdb top did not exit within ${ms} ms of q:\n${screenNow}`);
}

describe("the CLI on a real local database: ebdb doctor, and ebdb top in a terminal (tmux) and in a pipe", () => {
  let p: CliProject;
  const sql = async (text: string) => {
    const v = p.vars;
    const c = new pg.Client({
      host: v.DB_HOST,
      port: Number(v.DB_PORT),
      user: v.DB_USERNAME,
      password: v.DB_PASSWORD,
      database: v.DB_NAME,
      ssl: { rejectUnauthorized: false },
    });
    await c.connect();
    try {
      await c.query(text);
    } finally {
      await c.end();
    }
  };
  beforeAll(async () => {
    p = await upProject("top");
    // Something for the top-queries pane to show.
    for (let i = 0; i < 20; i++) await sql("SELECT count(*) FROM generate_series(1, 1000)");
  }, 180_000);
  afterAll(async () => {
    tmux("kill-server");
    // Its socket file stays unless removed (tmux(1): $TMUX_TMPDIR or /tmp, tmux-<uid>/<-L name>).
    const dir = join(process.env.TMUX_TMPDIR || "/tmp", `tmux-${process.getuid?.() ?? 0}`);
    rmSync(join(dir, SOCKET), { force: true });
    await p?.cleanup();
  }, 60_000);

  let exitFile = "";
  const start = (env: string) => {
    // A new session each time, the ended ones kept (remain-on-exit) until the server is killed: a
    // server left without sessions exits, and a new-session racing that exit fails.
    pane = `top${++sessions}`;
    exitFile = join(p.dir, `top-exit-${Date.now()}`);
    const cmd = `cd '${p.dir}' && env ${env} EBDB_TARGET= '${process.execPath}' '${BIN}' top --interval 0.5; echo "exit $?" > '${exitFile}'`;
    const r = tmux("new-session", "-d", "-s", pane, "-x", "120", "-y", "30", cmd);
    expect(r.status, r.stderr).toBe(0);
    tmux("set-option", "-t", pane, "remain-on-exit", "on");
  };

  const ebdbCli = (...args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], {
      cwd: p.dir,
      env: p.env,
      encoding: "utf8",
      timeout: 30_000,
    });

  test("doctor --json: every check in the issue's shape, exit 0; a burnt sequence is red with exit 1; fixed, 0 again", async () => {
    const ok = ebdbCli("doctor", "--json");
    expect(ok.status, ok.stderr).toBe(0);
    const r = JSON.parse(ok.stdout);
    expect(r).toMatchObject({ target: "local", identifier: expect.stringMatching(/^top\d+-dev-db$/) });
    expect(r.checks.length).toBeGreaterThanOrEqual(30);
    for (const c of r.checks) {
      expect(Object.keys(c).sort()).toEqual(["fix", "id", "observed", "status", "summary"]);
      expect(["green", "skipped"]).toContain(c.status);
    }
    await sql("CREATE TABLE invoices (id serial PRIMARY KEY); SELECT setval('invoices_id_seq', 2100000000)");
    const bad = ebdbCli("doctor");
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(
      /^ {2}RED {6}Sequences near their limit +public\.invoices_id_seq for public\.invoices\.id has used 97\.8%/m,
    );
    expect(bad.stdout).toMatch(/fix: Inserts fail when it runs out/);
    expect(bad.stdout).toMatch(/^1 red, 0 yellow, \d+ green, 2 skipped$/m);
    expect(bad.stdout).not.toMatch(ESC);
    await sql("ALTER TABLE invoices ALTER COLUMN id TYPE bigint; ALTER SEQUENCE invoices_id_seq AS bigint");
    expect(ebdbCli("doctor").status).toBe(0);
    const flag = ebdbCli("doctor", "--long-query-seconds", "soon");
    expect(flag.status).toBe(2);
    expect(flag.stderr).toMatch(/--long-query-seconds soon is not a number of seconds/);
  }, 60_000);

  test.skipIf(!hasTmux)(
    "top draws CPU, connections, replication, storage and top queries, refreshes, and quits with q",
    async () => {
      start("TERM=xterm-256color");
      const first = await screen((s) => /Top queries/.test(s) && /generate_series/.test(s));
      expect(first).toMatch(
        /^ebdb top: top\d+-dev-db \(local\), primary top\d+-dev-db running +\d\d:\d\d:\d\d UTC, every 0\.5 s, q quits/m,
      );
      expect(first).toMatch(/^CPU +\d+\.\d%/m);
      expect(first).toMatch(/^Connections +\d+ of 100/m);
      expect(first).toMatch(/^Replication +no read replicas/m);
      expect(first).toMatch(/^Storage +[\d.]+ [KMGT]iB free of/m);
      expect(first).toMatch(/SELECT count\(\*\) FROM generate_series\(\$1, \$2\)/);
      // Refreshed: the clock in the title moves on.
      const time = first.match(/(\d\d:\d\d:\d\d) UTC/)![1];
      await screen((s) => !s.includes(`${time} UTC`) && /UTC, every/.test(s));
      // Coloured on a terminal.
      expect(await screen(() => true, 1000, true)).toMatch(ESC);
      tmux("send-keys", "-t", pane, "q");
      expect(await topExit(exitFile)).toBe("exit 0");
      // The alternate screen is left: the view is gone from the terminal.
      expect(tmux("capture-pane", "-p", "-t", pane).stdout).not.toMatch(/Top queries/);
    },
    60_000,
  );

  test.skipIf(!hasTmux)(
    "top with NO_COLOR: the same view without a colour sequence",
    async () => {
      start("TERM=xterm-256color NO_COLOR=1");
      const s = await screen((x) => /Top queries/.test(x), 20_000, true);
      expect(s).not.toMatch(ESC);
      tmux("send-keys", "-t", pane, "q");
      expect(await topExit(exitFile)).toBe("exit 0");
    },
    40_000,
  );

  test("top not on a terminal: plain frames, no escape sequences; --json one frame per line", async () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [BIN, "top", ...args], {
        cwd: p.dir,
        env: p.env,
        encoding: "utf8",
        timeout: 30_000,
      });
    const plain = run("--count", "2", "--interval", "0.5");
    expect(plain.status, plain.stderr).toBe(0);
    expect(plain.stdout).not.toMatch(ESC);
    expect(plain.stdout.match(/^ebdb top: /gm)).toHaveLength(2);
    expect(plain.stdout).not.toContain("q quits");
    const json = run("--count", "1", "--json");
    const frame = JSON.parse(json.stdout.trim());
    expect(frame).toMatchObject({ target: "local", connections: { max: 100 }, replicas: [] });
    const bad = run("--interval", "0");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--interval 0 is not a number of seconds from 0\.5 to 3600/);
  }, 60_000);
});
