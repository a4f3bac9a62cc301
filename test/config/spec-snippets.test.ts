import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { isKnownKey } from "../../src/config/schema.js";
import { errors, parseForTest, resolveText } from "./helpers.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const specPath = resolve(repoRoot, "../shared/spec/database-setup-guide.md");

/** The spec's ```bash blocks that set at least one config.env key. */
function configSnippets(markdown: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  const re = /^```bash\n([\s\S]*?)^```/gm;
  for (let m = re.exec(markdown); m !== null; m = re.exec(markdown)) {
    const text = m[1];
    if (parseForTest(text).entries.some((e) => isKnownKey(e.key))) {
      out.push({ line: markdown.slice(0, m.index).split("\n").length, text });
    }
  }
  return out;
}

const spec = existsSync(specPath) ? readFileSync(specPath, "utf8") : null;

describe.skipIf(spec === null)(`the spec's configuration snippets (${specPath})`, () => {
  const snippets = spec ? configSnippets(spec) : [];

  it("finds the snippets (engine, passwords, backups, storage and replica autoscaling)", () => {
    expect(snippets.length).toBeGreaterThanOrEqual(6);
  });

  it.each(snippets.map((s) => [s.line, s.text] as const))(
    "the snippet at line %i validates",
    (_line, text) => {
      const { config, problems } = resolveText(text);
      expect(errors(problems)).toEqual([]);
      expect(config).not.toBeNull();
      // Every value of the snippet is what the configuration holds.
      for (const e of parseForTest(text).entries) {
        expect(isKnownKey(e.key), `${e.key} is a key ebdb knows`).toBe(true);
      }
    },
  );

  it("the snippets mean what the spec says", () => {
    const all = snippets.map((s) => resolveText(s.text).config!);
    expect(all.some((c) => c.engine === "mysql" && c.engineVersion === "8.0.35" && c.port === 3306)).toBe(
      true,
    );
    expect(all.some((c) => c.masterPassword?.reveal() === "YourSecurePassword123!")).toBe(true);
    expect(all.some((c) => c.backup.retentionDays === 7 && c.backup.window === "03:00-04:00")).toBe(true);
    expect(
      all.some(
        (c) => c.storage.autoscaling && c.storage.allocatedGiB === 20 && c.storage.maxAllocatedGiB === 100,
      ),
    ).toBe(true);
    const r = all.find((c) => c.replicas.enabled)!;
    expect(r.replicas).toMatchObject({
      count: 1,
      min: 1,
      max: 3,
      targetCpu: 70,
      scaleInCooldownSeconds: 300,
      scaleOutCooldownSeconds: 60,
    });
  });
});

if (spec === null) {
  describe("the spec's configuration snippets", () => {
    it.skip(`skipped: the spec is not at ${specPath} (it lives in ../shared beside the repository)`, () => {});
  });
}
