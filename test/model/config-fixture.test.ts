import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../src/config/load.js";
import type { EnvEntry } from "../../src/config/types.js";
import { makeConfig, makeConfigWithReplicas } from "../fixtures/config.js";

const entries = (vars: Record<string, string>): EnvEntry[] =>
  Object.entries(vars).map(([key, value], i) => ({ key, value, line: i + 1, exported: false }));

/** The shared fixture must be what the loader makes of the same config.env, or tests built on it lie. */
describe("makeConfig fixture", () => {
  it("equals the loader's Config for APP_NAME=my-app and the spec's defaults", () => {
    const file = "/work/project/config.env";
    const { config, problems } = resolveConfig(
      file,
      entries({ APP_NAME: "my-app", DB_ENGINE_VERSION: "16.4" }),
    );
    expect(problems.filter((p) => p.severity === "error")).toEqual([]);
    expect(config).toEqual(makeConfig({ file }));
  });

  it("equals the loader's Config for the spec's read-replica example on MySQL", () => {
    const file = "/work/project/config.env";
    const { config } = resolveConfig(
      file,
      entries({
        APP_NAME: "my-app",
        DB_ENGINE: "mysql",
        DB_ENGINE_VERSION: "8.0.35",
        DB_READ_REPLICA_ENABLED: "true",
      }),
    );
    expect(config).toEqual(makeConfigWithReplicas({ file, engine: "mysql" }));
  });
});
