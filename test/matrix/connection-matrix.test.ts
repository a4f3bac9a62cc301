import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { CommandContext } from "../../src/api/context.js";
import { env } from "../../src/api/env.js";
import type { EnvFormat } from "../../src/api/env-format.js";
import { execLaunch } from "../../src/api/exec.js";
import { url } from "../../src/api/url.js";
import { requireConfig } from "../../src/config/load.js";
import { isEbdbError } from "../../src/errors.js";
import { RecordingIoHost } from "../../src/io.js";
import { deriveDesired } from "../../src/model/desired.js";
import { Secret } from "../../src/model/secret.js";
import { createLocalTarget } from "../../src/targets/local/index.js";
import { scramVerifier } from "../../src/targets/local/secrets.js";
import { openSession } from "../../src/targets/local/session.js";
import { localCa } from "../../src/targets/local/tls.js";
import type { Target } from "../../src/targets/target.js";
import { type CliProject, hasPsql, spawnEbdb, upProject } from "../cli/psql-helpers.js";
import { ALLOWED, MATRIX_SIZE, passwordCases } from "./passwords.js";

// The connection matrix (issue 8): one local server, many passwords (one role each, all live at
// once), every client batched in one process. Each case's settings come from ebdb itself: `env` in
// each format, `url`, and the environment `exec` gives, computed by the same api functions the CLI
// calls (the master user's generated password goes through the CLI itself). Every client must
// connect with verified TLS from them unchanged; every reader of every format must read back every
// value exactly; no injected command may ever run (each would create an INJ* file in `work`).

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLIENTS = join(ROOT, "test/matrix/clients");
const PY = "/usr/bin/python3"; // Debian's, with python3-psycopg2, -dotenv, -alembic, -django
const JDBC_JAR = "/usr/share/java/postgresql.jar";
const FORMATS: EnvFormat[] = ["dotenv", "shell", "json"];
// Where a client is missing the test is skipped, except in CI, where .ci/run installs them all.
const has = (cmd: string, ...args: string[]) =>
  spawnSync(cmd, args).status === 0 || process.env.CI === "true";
const hasPython = has(PY, "-c", "import psycopg2, dotenv, alembic, django, sqlalchemy");
const hasJdbc = has("java", "-version") && (existsSync(JDBC_JAR) || process.env.CI === "true");
const shells = (["bash", "dash", "zsh"] as const).filter((sh) => has(sh, "-c", "true"));

interface Case {
  id: string;
  kind: "generated" | "hand-set" | "master";
  password: string;
  role: string;
  vars: Record<string, string>;
  /** Each format's text; dotenv null when ebdb refused it (BAD_DOTENV_VALUE). */
  texts: Record<EnvFormat, string | null>;
  url: string;
  /** The whole environment `ebdb exec` gives the command. */
  execEnv: Record<string, string>;
}

let p: CliProject;
let work: string;
let cases: Case[] = [];
let wrongCa: string;
/** Results for the summary: "client source" -> cases that connected. */
const tally = new Map<string, number>();

/** A child process's exit, with a bound. */
function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; ms?: number } = {}) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
    const c = spawn(cmd, args, {
      cwd: work,
      env: opts.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    c.stdout.on("data", (d) => {
      out += d;
    });
    c.stderr.on("data", (d) => {
      err += d;
    });
    const timer = setTimeout(() => {
      c.kill("SIGKILL");
      reject(new Error(`${cmd} ${args.join(" ")} took over ${opts.ms ?? 60_000} ms\n${err}`));
    }, opts.ms ?? 60_000);
    // "close", not "exit": only then has all of its output been read.
    c.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

/** Runs `fn` over `items`, `n` at a time. */
async function pool<T, R>(items: T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

/** The environment with the sslrootcert swapped for another CA's: every client must then refuse. */
function withWrongCa(e: Record<string, string>, caPath: string): Record<string, string> {
  const swap = (u: string) => u.replace(/sslrootcert=[^&]*/, `sslrootcert=${caPath}`);
  return {
    ...e,
    PGSSLROOTCERT: caPath,
    DATABASE_URL: swap(e.DATABASE_URL),
    JDBC_DATABASE_URL: swap(e.JDBC_DATABASE_URL),
  };
}

interface Result {
  id: string;
  source: string;
  user?: string;
  ssl?: boolean;
  error?: string;
}

/** Every case connected as its own role over TLS, from every source; the wrong-CA control failed. */
function expectConnected(client: string, results: Result[], ids = cases.map((k) => k.id)) {
  const byId = new Map(cases.map((k) => [k.id, k]));
  for (const id of ids) {
    const mine = results.filter((r) => r.id === id);
    expect(mine.length, `${client} ${id}: no result`).toBeGreaterThan(0);
    for (const r of mine) {
      expect(r.error, `${client} ${id} ${r.source}`).toBeUndefined();
      expect([r.user, r.ssl], `${client} ${id} ${r.source}`).toEqual([byId.get(id)?.role, true]);
      tally.set(`${client} ${r.source}`, (tally.get(`${client} ${r.source}`) ?? 0) + 1);
    }
  }
  const control = results.filter((r) => r.id === "wrong-ca");
  expect(control.length, `${client}: the wrong-CA control did not run`).toBeGreaterThan(0);
  for (const r of control) expect(r.error, `${client} ${r.source} connected with another CA`).toBeDefined();
}

/** The batch input for a client: each case's exec environment and its env outputs, plus the control. */
function batch(extra: (k: Case) => Record<string, unknown> = () => ({})) {
  const master = cases.find((k) => k.kind === "master")!;
  return [
    ...cases.map((k) => ({
      id: k.id,
      env: k.execEnv,
      dotenv: k.texts.dotenv,
      json: k.texts.json,
      ...extra(k),
    })),
    { id: "wrong-ca", env: withWrongCa(master.execEnv, wrongCa) },
  ];
}

function writeJson(name: string, data: unknown): string {
  const file = join(work, name);
  writeFileSync(file, JSON.stringify(data));
  return file;
}

beforeAll(async () => {
  p = await upProject("matrix");
  work = mkdtempSync(join(tmpdir(), "ebdb-matrix-"));
  wrongCa = join(work, "other-ca.crt");
  writeFileSync(wrongCa, localCa("another project").cert);
  const ctx: CommandContext = { cwd: p.dir, env: p.env, io: new RecordingIoHost() };
  const desired = deriveDesired(await requireConfig(ctx), "local");
  const local = createLocalTarget(ctx);
  const base = await local.connection(desired);

  // The master user, through the CLI as a user runs it.
  const texts = {} as Record<EnvFormat, string | null>;
  for (const f of FORMATS) texts[f] = (await p.ebdb("env", "--format", f)).out.replace(/\n$/, "");
  const master: Case = {
    id: "master",
    kind: "master",
    password: base.password.reveal(),
    role: base.username,
    vars: JSON.parse(texts.json!),
    texts,
    url: (await p.ebdb("url")).out.trim(),
    execEnv: (await execLaunch(ctx, { command: ["true"] })).env,
  };

  // One role per password, made through ebdb's internal superuser (SCRAM verifier: no password in SQL).
  const pw = passwordCases(MATRIX_SIZE);
  const s = await openSession(ctx, desired);
  await s.withAdmin(base.port, "postgres", async (c) => {
    for (const k of pw) await c.query(`CREATE ROLE mx_${k.id} LOGIN PASSWORD '${scramVerifier(k.password)}'`);
  });
  cases = [master];
  for (const k of pw) {
    const role = `mx_${k.id}`;
    // The local target's connection (read once: it is the same server), as this role.
    const target: Target = {
      ...local,
      connection: async () => ({ ...base, username: role, password: new Secret(k.password) }),
    };
    const t = {} as Record<EnvFormat, string | null>;
    for (const f of FORMATS) {
      try {
        t[f] = (await env(ctx, { format: f, target })).text;
      } catch (e) {
        if (!(f === "dotenv" && isEbdbError(e) && e.code === "BAD_DOTENV_VALUE")) throw e;
        t[f] = null;
      }
    }
    cases.push({
      ...k,
      role,
      vars: (await env(ctx, { format: "json", target })).vars,
      texts: t,
      url: (await url(ctx, { target })).url,
      execEnv: (await execLaunch(ctx, { command: ["true"], target })).env,
    });
  }
  for (const k of cases) {
    if (k.texts.dotenv !== null) writeFileSync(join(work, `${k.id}.env`), `${k.texts.dotenv}\n`);
    writeFileSync(join(work, `${k.id}.sh`), `${k.texts.shell}\n`);
  }
});

afterAll(async () => {
  if (tally.size > 0) {
    const lines = [...tally].map(([k, n]) => `  ${k}: ${n}`).join("\n");
    console.log(`connection matrix (${cases.length} passwords):\n${lines}`);
  }
  await p?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the passwords", () => {
  test("cover every character the rules allow, generated and hand-set, at least 50 hand-set", () => {
    const hand = cases.filter((k) => k.kind === "hand-set");
    expect(hand.length).toBeGreaterThanOrEqual(50);
    expect(cases.filter((k) => k.kind !== "hand-set").length).toBeGreaterThanOrEqual(4);
    const used = new Set(hand.flatMap((k) => [...k.password]));
    expect([...ALLOWED].filter((c) => !used.has(c))).toEqual([]);
    expect(hand.some((k) => k.password.startsWith("-"))).toBe(true);
    for (const k of cases) expect(k.password.length, k.id).toBeGreaterThanOrEqual(8);
    // dotenv refuses only what it must, and still carries at least 50 hand-set passwords.
    expect(hand.filter((k) => k.texts.dotenv !== null).length).toBeGreaterThanOrEqual(50);
    expect(cases.filter((k) => k.kind !== "hand-set").every((k) => k.texts.dotenv !== null)).toBe(true);
  });
});

describe("each format, read by each reader it is for, gives back every value exactly", () => {
  const check = (reader: string, id: string, got: Record<string, unknown> | undefined) => {
    const k = cases.find((x) => x.id === id)!;
    expect(got, `${reader} ${id}`).toBeDefined();
    for (const [key, want] of Object.entries(k.vars)) expect(got?.[key], `${reader} ${id} ${key}`).toBe(want);
    tally.set(`reader ${reader}`, (tally.get(`reader ${reader}`) ?? 0) + 1);
  };

  for (const sh of ["bash", "dash", "zsh"]) {
    test.skipIf(!shells.includes(sh as "bash"))(
      `${sh}: dotenv with \`set -a; . ./f\` and shell with eval`,
      async () => {
        const keys = Object.keys(cases[0].vars);
        const print = `printf '%s\\0' ${keys.map((k) => `"$${k}"`).join(" ")}`;
        const script = cases
          .flatMap((k) => [
            k.texts.dotenv !== null && sh !== "zsh"
              ? `( set -a; . ./${k.id}.env; ${print} ) > ${k.id}.${sh}.dotenv.out`
              : "",
            `( eval "$(cat ./${k.id}.sh)"; ${print} ) > ${k.id}.${sh}.shell.out`,
          ])
          .filter(Boolean)
          .join("\n");
        const r = await run(sh, ["-c", script], { env: { PATH: process.env.PATH } });
        expect(r.err).toBe("");
        for (const k of cases) {
          for (const fmt of ["dotenv", "shell"] as const) {
            if (fmt === "dotenv" && (k.texts.dotenv === null || sh === "zsh")) continue;
            const values = readFileSync(join(work, `${k.id}.${sh}.${fmt}.out`), "utf8").split("\0");
            check(`${sh} ${fmt}`, k.id, Object.fromEntries(keys.map((key, i) => [key, values[i]])));
          }
        }
      },
    );
  }

  test("node --env-file: dotenv", async () => {
    const keys = Object.keys(cases[0].vars);
    const withDotenv = cases.filter((k) => k.texts.dotenv !== null);
    const got = await pool(withDotenv, 4, (k) =>
      run(
        process.execPath,
        [
          `--env-file=${k.id}.env`,
          "-e",
          `process.stdout.write(JSON.stringify(Object.fromEntries(${JSON.stringify(keys)}.map((k) => [k, process.env[k]]))))`,
        ],
        { env: { PATH: process.env.PATH } },
      ),
    );
    for (const [i, k] of withDotenv.entries()) check("node --env-file", k.id, JSON.parse(got[i].out));
  });

  test("the dotenv package (parse, config) and JSON.parse: dotenv and json", async () => {
    const file = writeJson(
      "readers-node.json",
      cases.map((k) => ({
        id: k.id,
        dotenv: k.texts.dotenv,
        dotenvFile: join(work, `${k.id}.env`),
        json: k.texts.json,
      })),
    );
    const r = await run(process.execPath, [
      join(CLIENTS, "readers.cjs"),
      ROOT,
      file,
      join(work, "readers-node.out"),
    ]);
    expect(r.err).toBe("");
    const out = JSON.parse(readFileSync(join(work, "readers-node.out"), "utf8"));
    for (const k of cases)
      for (const [reader, got] of Object.entries(out[k.id])) check(reader, k.id, got as never);
  });

  test.skipIf(!hasPython)(
    "python-dotenv (dotenv_values, load_dotenv) and Python's json: dotenv and json",
    async () => {
      const file = writeJson(
        "readers-py.json",
        cases.map((k) => ({ id: k.id, dotenv: k.texts.dotenv, json: k.texts.json })),
      );
      const r = await run(PY, [join(CLIENTS, "readers.py"), file, join(work, "readers-py.out")]);
      expect(r.err).toBe("");
      const out = JSON.parse(readFileSync(join(work, "readers-py.out"), "utf8"));
      for (const k of cases)
        for (const [reader, got] of Object.entries(out[k.id])) check(reader, k.id, got as never);
    },
  );
});

describe("each client connects with verified TLS from what env, exec and url give, unchanged", () => {
  test.skipIf(!hasPsql)("psql: under exec (PG* only), and with the URL from `ebdb url`", async () => {
    const Q = "SELECT current_user || '|' || ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
    const clean = { PATH: process.env.PATH ?? "" };
    const control = withWrongCa(cases[0].execEnv, wrongCa);
    // Under exec: one psql per password, its environment exactly what exec gives. With the URL as
    // psql's argument for a few; for all of them, one psql that `\connect`s to each URL in turn
    // (the same libpq URI parsing; a refused one leaves no row, and says so on stderr).
    const jobs = [
      ...cases.map((k) => ({ id: k.id, source: "exec", args: ["-XAtc", Q], env: k.execEnv })),
      ...cases
        .slice(0, 8)
        .map((k) => ({ id: k.id, source: "url argument", args: ["-XAtc", Q, k.url], env: clean })),
      { id: "wrong-ca", source: "exec", args: ["-XAtc", Q], env: control },
      { id: "wrong-ca", source: "url argument", args: ["-XAtc", Q, control.DATABASE_URL], env: clean },
    ];
    const results = await pool(jobs, 4, async (j): Promise<Result> => {
      const r = await run("psql", j.args, { env: j.env });
      if (r.code !== 0 || !r.out.includes("|"))
        return { id: j.id, source: j.source, error: `${r.code} ${r.out} ${r.err}` };
      const [user, ssl] = r.out.trim().split("|");
      return { id: j.id, source: j.source, user, ssl: ssl === "true" };
    });
    const urls = [...cases.map((k) => [k.id, k.url]), ["wrong-ca", control.DATABASE_URL]];
    const script = urls
      .map(
        ([id, u]) =>
          `\\connect '${u}'\nSELECT '${id}|' || current_user || '|' || ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid();`,
      )
      .join("\n");
    writeFileSync(join(work, "connect-each.sql"), `${script}\n`);
    const each = await run("psql", ["-XAt", "-f", "connect-each.sql", cases[0].url], {
      env: clean,
      ms: 120_000,
    });
    const rows = new Map(
      each.out
        .trim()
        .split("\n")
        .map((l) => [l.split("|")[0], l.split("|")]),
    );
    for (const [id] of urls) {
      const row = rows.get(id);
      results.push(
        row
          ? { id, source: "url \\connect", user: row[1], ssl: row[2] === "true" }
          : { id, source: "url \\connect", error: "no row" },
      );
    }
    expectConnected("psql", results);
  });

  test("the master user's generated password: each client run by the real `ebdb exec`", async () => {
    const master = cases.find((k) => k.kind === "master")!;
    const input = writeJson("exec-master.json", [{ id: "master", env: null, dotenv: master.texts.dotenv }]);
    const runs: [string, string[]][] = [
      [process.execPath, [join(CLIENTS, "pg.cjs"), ROOT, input, join(work, "m-pg.out")]],
    ];
    if (hasPython) {
      for (const c of ["psycopg2", "sqlalchemy", "django"])
        runs.push([PY, [join(CLIENTS, "py_clients.py"), c, input, join(work, `m-${c}.out`), work]]);
    }
    for (const [cmd, args] of runs) {
      const e = spawnEbdb(p, ["exec", "--", cmd, ...args]);
      expect(await e.exit(60_000), e.err()).toEqual({ code: 0, signal: null });
    }
    const results: Result[] = [
      ...JSON.parse(readFileSync(join(work, "m-pg.out"), "utf8")),
      ...(hasPython
        ? ["psycopg2", "sqlalchemy", "django"].flatMap((c) =>
            JSON.parse(readFileSync(join(work, `m-${c}.out`), "utf8")),
          )
        : []),
    ];
    for (const r of results) {
      expect(r.error, r.source).toBeUndefined();
      expect([r.user, r.ssl], r.source).toEqual([master.role, true]);
    }
  });

  test("node-postgres: DATABASE_URL from the exec environment and from the .env the dotenv package loads", async () => {
    const input = writeJson("pg.json", batch());
    const r = await run(process.execPath, [join(CLIENTS, "pg.cjs"), ROOT, input, join(work, "pg.out")]);
    expect(r.err).toBe("");
    expectConnected("node-postgres", JSON.parse(readFileSync(join(work, "pg.out"), "utf8")));
  });

  for (const client of ["psycopg2", "sqlalchemy", "django"]) {
    test.skipIf(!hasPython)(
      `${client}: from the exec environment${client === "sqlalchemy" ? " (Alembic)" : " and from the .env python-dotenv loads"}`,
      async () => {
        const input = writeJson(`${client}.json`, batch());
        const r = await run(
          PY,
          [join(CLIENTS, "py_clients.py"), client, input, join(work, `${client}.out`), work],
          {
            ms: 120_000,
          },
        );
        expect(r.code, r.err).toBe(0);
        expectConnected(client, JSON.parse(readFileSync(join(work, `${client}.out`), "utf8")));
      },
    );
  }

  test.skipIf(!hasJdbc)("pgjdbc: JDBC_DATABASE_URL (user and password as parameters)", async () => {
    const lines = batch().map((k) => `${k.id}\t${k.env.JDBC_DATABASE_URL}`);
    writeFileSync(join(work, "jdbc.tsv"), `${lines.join("\n")}\n`);
    // C1 only and the serial collector: a short run starts faster.
    const jvm = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", JDBC_JAR];
    const r = await run("java", [...jvm, join(CLIENTS, "Jdbc.java"), "jdbc.tsv", "jdbc.out"], {
      ms: 120_000,
    });
    expect(r.code, r.err).toBe(0);
    const results = readFileSync(join(work, "jdbc.out"), "utf8")
      .trim()
      .split("\n")
      .map((l): Result => {
        const [id, user, ssl] = l.split("\t");
        return user === "ERROR"
          ? { id, source: "url", error: ssl }
          : { id, source: "url", user, ssl: ssl === "true" };
      });
    expectConnected("pgjdbc", results);
  });
});

describe("no injected command ever runs", () => {
  test("no INJ* file anywhere a reader or client ran (checked last)", () => {
    const inj = (dir: string) =>
      readdirSync(dir, { recursive: true })
        .map(String)
        .filter((f) => /(^|\/)INJ/.test(f));
    expect(inj(work)).toEqual([]);
    expect(inj(p.dir)).toEqual([]);
    expect(inj(process.cwd())).toEqual([]);
  });
});
