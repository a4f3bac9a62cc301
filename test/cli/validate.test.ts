import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import type { Output } from "../../src/cli/output.js";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const output: Output = { out: (t) => out.push(t), err: (t) => err.push(t), color: false, isTTY: false };
  return { output, out, err, stdout: () => out.join("\n"), stderr: () => err.join("\n") };
}

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function project(content: string | Uint8Array, name = "my-app"): string {
  const parent = mkdtempSync(join(tmpdir(), "ebdb-validate-"));
  made.push(parent);
  const dir = join(parent, name);
  spawnSync("mkdir", ["-p", dir]);
  writeFileSync(join(dir, "config.env"), content, { mode: 0o600 });
  return dir;
}

async function ebdb(args: string[], cwd: string, env: Record<string, string> = {}) {
  const c = capture();
  const code = await main(args, c.output, env, cwd);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

describe("ebdb validate", () => {
  it("accepts a valid file: exit 0", async () => {
    const r = await ebdb(["validate"], project('DB_ENGINE="postgres"\nDB_INSTANCE_CLASS="db.t3.small"\n'));
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toBe("config.env is valid.");
  });

  it("shows warnings on stderr with their line and hint, and still exits 0", async () => {
    const r = await ebdb(["validate"], project('# weak\nDB_MASTER_PASSWORD="abcdefgh"\n'));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^config\.env:2: warning: DB_MASTER_PASSWORD: is weak: .*\n {2}\S/);
    expect(r.stderr).not.toContain("abcdefgh");
    expect(r.stdout).toBe("config.env is valid (1 warning).");
  });

  it("lists every problem of a broken file with its line, exit 2", async () => {
    const text = [
      'DB_ENGINE="oracle"',
      'DB_BACKUP_RETENTION_DAY="7"',
      "",
      'DB_MULTI_AZ="yes"',
      'DB_READ_REPLICA_ENABLED="true"',
      'DB_BACKUP_RETENTION_DAYS="0"',
    ].join("\n");
    const r = await ebdb(["validate"], project(text));
    expect(r.code).toBe(2);
    const heads = r.stderr.split("\n").filter((l) => /^config\.env/.test(l));
    expect(heads).toEqual([
      expect.stringMatching(
        /^config\.env:1: error: DB_ENGINE: "oracle" is not one of postgres, mysql, mariadb$/,
      ),
      expect.stringMatching(
        /^config\.env:2: error: DB_BACKUP_RETENTION_DAY: unknown key; did you mean DB_BACKUP_RETENTION_DAYS\?$/,
      ),
      expect.stringMatching(/^config\.env:4: error: DB_MULTI_AZ: "yes" is not a boolean$/),
      expect.stringMatching(
        /^config\.env:5: error: DB_READ_REPLICA_ENABLED: read replicas need automated backups/,
      ),
      "config.env: 4 errors",
    ]);
    // Each problem has its hint on the next line.
    expect(r.stderr.split("\n").filter((l) => l.startsWith("  ")).length).toBe(4);
    expect(r.stdout).toBe("");
  });

  it("--json gives exactly ok and problems (and the file, the totals and how many are not listed)", async () => {
    const dir = project('DB_MULTI_AZ="1"\n');
    const r = await ebdb(["validate", "--json"], dir);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      ok: false,
      file: join(dir, "config.env"),
      problems: [
        {
          severity: "error",
          key: "DB_MULTI_AZ",
          line: 1,
          message: '"1" is not a boolean',
          hint: 'Write true (for "1").',
        },
      ],
      errors: 1,
      warnings: 0,
      omitted: 0,
    });
    const ok = await ebdb(["validate", "--json"], project(""));
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, problems: [] });
  });

  it("reads --config and EBDB_CONFIG", async () => {
    const dir = project("");
    writeFileSync(join(dir, "bad.env"), 'DB_PORT="80"\n');
    expect((await ebdb(["validate", "--config", "bad.env"], dir)).code).toBe(2);
    expect((await ebdb(["validate"], dir, { EBDB_CONFIG: join(dir, "bad.env") })).code).toBe(2);
    expect((await ebdb(["validate"], dir)).code).toBe(0);
  });

  it("ignores keys that are only in the process environment", async () => {
    const r = await ebdb(["validate"], project(""), { DB_ENGINE: "oracle", DB_PORT: "1" });
    expect(r.code).toBe(0);
  });

  it("a missing file is exit 2 with what to do, no stack trace", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ebdb-empty-"));
    made.push(dir);
    const r = await ebdb(["validate"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/config\.env/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("whatever the bytes: exit 0 or 2, never a crash or a stack trace", async () => {
    const line = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.string({ unit: "binary", maxLength: 60 }),
      fc
        .tuple(
          fc.constantFrom("DB_ENGINE", "DB_PORT", "DB_MULTI_AZ", "X", "export DB_NAME"),
          fc.string({ maxLength: 20 }),
        )
        .map(([k, v]) => `${k}=${v}`),
      fc.constantFrom(
        'DB_NAME="$(rm -rf /)"',
        "A=`id`",
        "B=(1 2)",
        'C="unterminated',
        "\r",
        "\u0000",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: bash expansion as a user writes it
        "${X:-y}",
      ),
    );
    const content = fc.oneof(
      fc.array(line, { maxLength: 12 }).map((ls) => new TextEncoder().encode(ls.join("\n"))),
      fc.uint8Array({ maxLength: 300 }),
    );
    const dir = project("");
    await fc.assert(
      fc.asyncProperty(content, async (bytes) => {
        writeFileSync(join(dir, "config.env"), bytes);
        const r = await ebdb(["validate"], dir);
        expect([0, 2]).toContain(r.code);
        expect(r.stderr).not.toMatch(/internal error|\n\s+at |TypeError|RangeError/);
        if (r.code === 2) expect(r.stderr).toMatch(/^config\.env(:\d+)?: error: /m);
      }),
      { numRuns: 100 },
    );
  });
});

describe("ebdb validate with very many problems", () => {
  const unknown = (n: number) => Array.from({ length: n }, (_, i) => `K${i}=1`).join("\n");

  it("lists the first 100, then says how many more (text)", async () => {
    const r = await ebdb(["validate"], project(unknown(5000)));
    expect(r.code).toBe(2);
    const heads = r.stderr.split("\n").filter((l) => /^config\.env:\d+: error:/.test(l));
    expect(heads).toHaveLength(100);
    expect(heads[0]).toBe("config.env:1: error: K0: unknown key");
    expect(heads[99]).toBe("config.env:100: error: K99: unknown key");
    expect(r.stderr).toContain(
      "config.env: and 4900 more problems not shown (4900 errors); fix these first, then run `ebdb validate` again.",
    );
    expect(r.stderr.trimEnd().endsWith("config.env: 5000 errors")).toBe(true);
    expect(r.stderr.length).toBeLessThan(20_000);
  });

  it("lists the first 100 in --json, with the totals", async () => {
    const r = await ebdb(["validate", "--json"], project(unknown(5000)));
    const j = JSON.parse(r.stdout);
    expect(j.problems).toHaveLength(100);
    expect(j).toMatchObject({ ok: false, errors: 5000, warnings: 0, omitted: 4900 });
  });

  it("a key set 50,000 times is one warning that does not list every line", async () => {
    const r = await ebdb(
      ["validate"],
      project(Array.from({ length: 50_000 }, () => "DB_NAME=app").join("\n")),
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^config\.env:50000: warning: DB_NAME: set more than once: on lines 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 49989 more lines and on line 50000; the last one \(line 50000\) counts$/m,
    );
    expect(r.stderr.length).toBeLessThan(1000);
  });

  it("a value that doubles itself line after line is refused at 64 KiB, not grown to gigabytes", async () => {
    const doubling = ["A=0123456789abcdef", ...Array.from({ length: 40 }, () => 'A="$A$A"')].join("\n");
    const r = await ebdb(["validate"], project(doubling));
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/internal error|RangeError/);
    expect(r.stderr).toMatch(
      /^config\.env:14: error: A: the \$NAME expansions on this line add more than 65536 characters \(64 KiB\)$/m,
    );
  });
});

describe("ebdb validate, spawned as a user runs it", () => {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const bin = join(root, "bin", "ebdb.js");
  const built = existsSync(join(root, "dist", "cli", "main.js"));

  it.skipIf(!built)("exit 2 with each problem on stderr, no stack trace (needs `npm run build`)", () => {
    const dir = project('DB_ENGINE="postgress"\nDB_ALLOCATED_STORAGE="twenty"\n');
    const r = spawnSync(process.execPath, [bin, "validate"], {
      cwd: dir,
      encoding: "utf8",
      env: { PATH: process.env.PATH },
    });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("config.env:1: error: DB_ENGINE:");
    expect(r.stderr).toContain("Did you mean postgres?");
    expect(r.stderr).toContain("config.env:2: error: DB_ALLOCATED_STORAGE:");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
