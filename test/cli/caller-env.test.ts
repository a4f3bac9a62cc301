import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { main } from "../../src/cli/main.js";
import { captureOutput } from "../fixtures/output.js";

// A master password that bash completes from the caller's environment ($Tk9), on the local target.
const dir = mkdtempSync(join(tmpdir(), "ebdb-cli-callerenv-"));
const app = `cenv${process.pid % 10000}`;

async function ebdb(tk9: string | undefined, ...argv: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, EBDB_TARGET: "" };
  delete env.Tk9;
  if (tk9 !== undefined) env.Tk9 = tk9;
  const o = captureOutput();
  const code = await main(argv, o, env, dir);
  return { code, out: o.stdout(), err: o.stderr() };
}

const WARNING =
  /warning: config\.env:5: DB_MASTER_PASSWORD: the master password depends on who runs ebdb: .* `up` then changes the database's master password to it\./;

beforeAll(() => {
  writeFileSync(
    join(dir, "config.env"),
    [
      `APP_NAME="${app}"`,
      'ENV_NAME="dev"',
      'DB_ENGINE_VERSION="15.8"',
      'DB_READ_REPLICA_ENABLED="false"',
      'DB_MASTER_PASSWORD="Pa55word!$Tk9"',
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
});
afterAll(async () => {
  await ebdb("laptop", "destroy", "--yes");
  rmSync(dir, { recursive: true, force: true });
});

describe("DB_MASTER_PASSWORD with a $NAME from the caller's environment (CLI, local target)", () => {
  test("validate: exit 0, the warning on stderr, never the password nor its variable", async () => {
    const r = await ebdb("laptop", "validate");
    expect(r.code).toBe(0);
    expect(r.err).toMatch(
      /^config\.env:5: warning: DB_MASTER_PASSWORD: the master password depends on who runs ebdb/m,
    );
    expect(r.out.trim()).toBe("config.env is valid (1 warning).");
    const json = await ebdb("laptop", "validate", "--json");
    expect(JSON.parse(json.out).problems).toEqual([
      expect.objectContaining({ severity: "warning", key: "DB_MASTER_PASSWORD", line: 5 }),
    ]);
    for (const text of [r.out, r.err, json.out, json.err]) {
      for (const secret of ["Pa55word", "Tk9", "laptop"]) expect(text).not.toContain(secret);
    }
  });

  test("up warns; plan from another shell says why it would change the master password", async () => {
    const first = await ebdb("laptop", "up", "--yes");
    expect(first.code, first.err).toBe(0);
    expect(first.err).toMatch(WARNING);

    const same = await ebdb("laptop", "plan", "--json");
    expect(same.code).toBe(0);
    expect(JSON.parse(same.out).plan.changes).toEqual([]);

    const other = await ebdb(undefined, "plan");
    expect(other.code).toBe(0);
    expect(other.err).toMatch(WARNING);
    expect(other.out).toMatch(
      /Sets the master password to DB_MASTER_PASSWORD .* — DB_MASTER_PASSWORD depends on who runs ebdb \(config\.env fills a \$NAME in it from the caller's environment\), so it may differ only because ebdb runs in another shell or as another user/,
    );
    const json = await ebdb("desktop", "plan", "--json");
    expect(JSON.parse(json.out).plan.changes).toEqual([
      expect.objectContaining({
        field: "password",
        reason: expect.stringMatching(/depends on who runs ebdb/),
      }),
    ]);
    for (const text of [first.err, other.out, other.err, json.out, json.err]) {
      for (const secret of ["Pa55word", "Tk9", "laptop", "desktop"]) expect(text).not.toContain(secret);
    }
  });

  const bin = fileURLToPath(new URL("../../bin/ebdb.js", import.meta.url));
  test.skipIf(!existsSync(fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url))))(
    "spawned: validate exits 0 with the warning on stderr, whatever $Tk9 holds; an error still exits 2",
    () => {
      for (const tk9 of [undefined, "laptop"]) {
        const r = spawnSync(process.execPath, [bin, "validate"], {
          cwd: dir,
          encoding: "utf8",
          env: { PATH: process.env.PATH, ...(tk9 === undefined ? {} : { Tk9: tk9 }) },
          timeout: 30_000,
        });
        expect(r.status).toBe(0);
        expect(r.stderr).toMatch(
          /^config\.env:5: warning: DB_MASTER_PASSWORD: the master password depends on who runs ebdb/,
        );
        expect(r.stdout).toBe("config.env is valid (1 warning).\n");
        for (const secret of ["Pa55word", "Tk9", "laptop"]) expect(r.stdout + r.stderr).not.toContain(secret);
      }
      const broken = mkdtempSync(join(tmpdir(), "ebdb-cli-callerenv-bad-"));
      try {
        writeFileSync(join(broken, "config.env"), 'DB_MASTER_PASSWORD="ab$X"\n');
        const r = spawnSync(process.execPath, [bin, "validate"], {
          cwd: broken,
          encoding: "utf8",
          env: { PATH: process.env.PATH, X: "cdefghij" },
          timeout: 30_000,
        });
        // With X set, bash gives 10 characters: valid. Without, 2: an error, and the warning says why.
        expect(r.status).toBe(0);
        const bad = spawnSync(process.execPath, [bin, "validate"], {
          cwd: broken,
          encoding: "utf8",
          env: { PATH: process.env.PATH },
          timeout: 30_000,
        });
        expect(bad.status).toBe(2);
        expect(bad.stderr).toMatch(/DB_MASTER_PASSWORD: is 2 characters long/);
        expect(bad.stderr).toMatch(/DB_MASTER_PASSWORD: the master password depends on who runs ebdb/);
        for (const text of [r.stderr, bad.stderr]) expect(text).not.toContain("cdefghij");
      } finally {
        rmSync(broken, { recursive: true, force: true });
      }
    },
  );
});
