import { describe, expect, it } from "vitest";
import { defaultRestoreName } from "../../../src/targets/aws/restore-name.js";

describe("defaultRestoreName", () => {
  const at = new Date("2025-06-02T10:07:09.500Z");

  it("stamps the second, so two restores in one minute differ, and numbers later tries", () => {
    expect(defaultRestoreName("my-app-prod-db", at)).toBe("my-app-prod-db-restored-20250602100709");
    expect(defaultRestoreName("my-app-prod-db", new Date("2025-06-02T10:07:41Z"))).toBe(
      "my-app-prod-db-restored-20250602100741",
    );
    expect(defaultRestoreName("my-app-prod-db", at, 2)).toBe("my-app-prod-db-restored-20250602100709-2");
  });

  it("fits RDS's 63 characters, shortening the identifier without leaving a trailing hyphen", () => {
    const long = `${"a".repeat(30)}-${"b".repeat(21)}`; // 52, the longest identifier replicas allow
    for (const n of [1, 2, 12]) {
      const name = defaultRestoreName(long, at, n);
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(name).not.toMatch(/--/);
      expect(name.endsWith(n > 1 ? `-restored-20250602100709-${n}` : "-restored-20250602100709")).toBe(true);
    }
  });
});
