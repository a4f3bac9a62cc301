import { describe, expect, it } from "vitest";
import { KEY_NAMES } from "../../src/config/schema.js";
import { configTemplate } from "../../src/config/template.js";
import { parseForTest, resolveText } from "./helpers.js";

describe("the config.env that init writes", () => {
  const text = configTemplate({ appName: "shop" });

  it("is valid without a single warning, with the spec's defaults", () => {
    const { config, problems } = resolveText(text, "/somewhere/else/config.env");
    expect(problems).toEqual([]);
    expect(config).toMatchObject({
      appName: "shop",
      identifier: "shop-prod-db",
      engine: "postgres",
      engineVersion: "16.8",
      backup: { retentionDays: 7, window: "03:00-04:00" },
      storage: { allocatedGiB: 20, maxAllocatedGiB: 100, autoscaling: true, encrypted: true },
      replicas: { enabled: false, count: 0, min: 1, max: 3, targetCpu: 70 },
      masterPassword: null,
    });
  });

  it("warns, naming both keys, once DB_READ_REPLICA_COUNT changes while replicas stay off", () => {
    const edited = text.replace('DB_READ_REPLICA_COUNT="1"', 'DB_READ_REPLICA_COUNT="2"');
    expect(edited).not.toBe(text);
    const { config, problems } = resolveText(edited, "/somewhere/else/config.env");
    expect(config?.replicas.count).toBe(0);
    expect(problems).toEqual([
      expect.objectContaining({
        severity: "warning",
        key: "DB_READ_REPLICA_COUNT",
        line: edited.split("\n").indexOf('DB_READ_REPLICA_COUNT="2"') + 1,
        message: expect.stringContaining("DB_READ_REPLICA_ENABLED is false"),
        hint: expect.stringContaining('DB_READ_REPLICA_ENABLED="true"'),
      }),
    ]);
  });

  it("documents every key, each with its description", () => {
    for (const key of KEY_NAMES) expect(text).toMatch(new RegExp(`^(# )?${key}=`, "m"));
    const set = parseForTest(text).entries.map((e) => e.key);
    expect(set).toContain("DB_MASTER_PASSWORD");
    // Derived defaults are shown commented out, so they follow APP_NAME and DB_ENGINE.
    expect(set).not.toContain("DB_INSTANCE_IDENTIFIER");
    expect(set).not.toContain("DB_PORT");
  });
});
