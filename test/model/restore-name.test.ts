import { describe, expect, it } from "vitest";
import { checkRestoreName, defaultRestoreName } from "../../src/model/restore-name.js";

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

describe("checkRestoreName (--name of a restored instance)", () => {
  const id = "shop-prod-db";
  it.each([
    ["abc-", /ends with a hyphen/],
    ["a--b", /two hyphens in a row/],
    ["UPPER", /upper-case/],
    ["9lives", /start with a letter/],
    ["a_b", /other than letters, digits and hyphens/],
    ["a".repeat(64), /64 characters/],
    [id, /the primary's identifier/],
    [`${id}-replica-3`, /read replica's name/],
    ["other-db-replica-1", /read replica's name/],
  ])("refuses %s, saying why", (name, why) => {
    const err = (() => {
      try {
        checkRestoreName(id, name);
      } catch (e) {
        return e as { code: string; message: string; hint: string; fault: string };
      }
      return null;
    })();
    expect(err).toMatchObject({ code: "BAD_NAME", fault: "user" });
    expect(err!.message).toMatch(why);
    expect(err!.hint).toMatch(/lower-case letters, digits and single hyphens/);
  });

  it("suggests a name it would take", () => {
    expect(() => checkRestoreName(id, `${id}-replica-3`)).toThrow(/./);
    try {
      checkRestoreName(id, "My--Restore-");
    } catch (e) {
      expect((e as { hint: string }).hint).toMatch(/--name my-restore\b/);
    }
  });

  it.each(["shop-prod-db-restored-1", "before-migration", "a", `x${"y".repeat(62)}`])(
    "accepts %s",
    (name) => {
      expect(() => checkRestoreName(id, name)).not.toThrow();
    },
  );
});
