import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { writeMigrateHooks } from "../../src/api/eb-files.js";
import { RecordingIoHost } from "../../src/io.js";
import { LEADER_MARK, MIGRATE_HOOK, MIGRATE_SCRIPT } from "../../src/migrate/eb-hooks.js";

// The README's Migrations section shows what the tests run: the test project's settings and env.py
// line, and the files `ebdb eb-hooks migrate` writes. A change to either side must be made on both.
const read = (rel: string) => readFileSync(fileURLToPath(new URL(rel, import.meta.url)), "utf8");
const readme = read("../../README.md");
const section = readme.slice(readme.indexOf("## Migrations"), readme.indexOf("## Configuration reference"));

describe("README: Migrations", () => {
  test("the test projects read the connection as the README says", () => {
    const settings = read("fixtures/django/site_conf/settings.py");
    expect(readme).toContain(`\`\`\`python\n${settings.slice(settings.indexOf("DATABASES = {"))}\`\`\``);
    const line = read("fixtures/alembic/migrations/env.py")
      .split("\n")
      .find((l) => l.startsWith("config.set_main_option"));
    expect(section).toContain(`\`env.py\`: \`${line}\``);
  });

  test("the files listed are the ones eb-hooks migrate writes, in order", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ebdb-readme-hooks-"));
    try {
      writeFileSync(join(dir, "manage.py"), "");
      const r = await writeMigrateHooks({ cwd: dir, env: {}, io: new RecordingIoHost() });
      const listed = [...section.matchAll(/^wrote (\S+) /gm)].map((m) => m[1]);
      expect(listed).toEqual(r.files.map((f) => f.path));
      for (const path of [MIGRATE_SCRIPT, MIGRATE_HOOK, `touch ${LEADER_MARK}`])
        expect(section).toContain(path);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
