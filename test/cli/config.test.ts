import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import type { Output } from "../../src/cli/output.js";

/** Every temporary folder a case made, removed at the end (a config.env may hold a password). */
const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function project(content: string): string {
  const root = mkdtempSync(join(tmpdir(), "ebdb-config-"));
  made.push(root);
  const dir = join(root, "shop");
  mkdirSync(dir);
  writeFileSync(join(dir, "config.env"), content);
  return dir;
}

async function ebdb(args: string[], cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  const output: Output = { out: (t) => out.push(t), err: (t) => err.push(t), color: false, isTTY: false };
  const code = await main(args, output, {}, cwd);
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

const PASSWORD = "Quite$ecret-Pa55word";
const FILE = [
  'ENV_NAME="staging"',
  `DB_MASTER_PASSWORD='${PASSWORD}'`,
  'DB_INSTANCE_CLASS="db.t3.small"   # spec catalog',
  'DB_READ_REPLICA_ENABLED="true"',
  "",
].join("\n");

describe("ebdb config", () => {
  it("prints every key resolved, defaults marked, password redacted", async () => {
    const r = await ebdb(["config"], project(FILE));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ENV_NAME="staging"\n');
    expect(r.stdout).toContain('APP_NAME="shop"  # default');
    expect(r.stdout).toContain('DB_INSTANCE_IDENTIFIER="shop-staging-db"  # default');
    expect(r.stdout).toContain('DB_READ_REPLICA_COUNT="1"  # default');
    expect(r.stdout).toMatch(/DB_MASTER_PASSWORD="\*{8}" {2}# redacted/);
    expect(r.stdout).toMatch(/secret\s+shop\/staging\/db-password/);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });

  it("--json: the file's values as bash gives them and the typed configuration", async () => {
    const dir = project(FILE);
    const r = await ebdb(["config", "--json"], dir);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(Object.keys(json)).toEqual(["file", "values", "resolved", "notes"]);
    expect(json.file).toBe(join(dir, "config.env"));
    expect(json.values).toEqual({
      ENV_NAME: "staging",
      DB_MASTER_PASSWORD: "********",
      DB_INSTANCE_CLASS: "db.t3.small",
      DB_READ_REPLICA_ENABLED: "true",
    });
    expect(json.resolved).toMatchObject({
      appName: "shop",
      identifier: "shop-staging-db",
      masterPassword: "********",
      instanceClass: "db.t3.small",
      replicas: { enabled: true, count: 1, min: 1, max: 3, instanceClass: "db.t3.small" },
      names: { secret: "shop/staging/db-password" },
    });
    expect(r.stdout).not.toContain(PASSWORD);
  });

  it("--show-secrets shows the password, in values and resolved", async () => {
    const r = await ebdb(["config", "--json", "--show-secrets"], project(FILE));
    const json = JSON.parse(r.stdout);
    expect(json.values.DB_MASTER_PASSWORD).toBe(PASSWORD);
    expect(json.resolved.masterPassword).toBe(PASSWORD);
    const text = await ebdb(["config", "--show-secrets"], project(FILE));
    expect(text.stdout).toContain(`DB_MASTER_PASSWORD="Quite\\$ecret-Pa55word"`);
  });

  it("an empty password resolves to null, with a note that it will be generated", async () => {
    const r = await ebdb(["config", "--json"], project('DB_MASTER_PASSWORD=""\n'));
    const json = JSON.parse(r.stdout);
    expect(json.values.DB_MASTER_PASSWORD).toBe("");
    expect(json.resolved.masterPassword).toBeNull();
    expect(json.notes.join(" ")).toMatch(/generates a 35-character password/);
    const text = await ebdb(["config"], project(""));
    expect(text.stderr).toMatch(/note: .*generates/);
  });

  it("an invalid file gives the same problem list as validate, exit 2", async () => {
    const dir = project('DB_PORT="5"\nDB_BOGUS="1"\n');
    const r = await ebdb(["config"], dir);
    const v = await ebdb(["validate"], dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(v.stderr);
    const j = await ebdb(["config", "--json"], dir);
    expect(JSON.parse(j.stdout)).toEqual(JSON.parse((await ebdb(["validate", "--json"], dir)).stdout));
  });
});
