import { describe, expect, it } from "vitest";
import { editDistance, nearest } from "../../src/config/rules-suggest.js";
import { KEY_NAMES } from "../../src/config/schema.js";

describe("did you mean", () => {
  it.each([
    ["", "", 0],
    ["abc", "abc", 0],
    ["abc", "acb", 1], // a transposition is one edit
    ["DB_BACKUP_RETENTION_DAY", "DB_BACKUP_RETENTION_DAYS", 1],
    ["kitten", "sitting", 3],
    ["ca", "abc", 3], // optimal string alignment, not full Damerau
  ])("distance(%s, %s) = %i", (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
  });

  it.each([
    ["DB_BACKUP_RETENTION_DAY", "DB_BACKUP_RETENTION_DAYS"],
    ["DB_ENGNIE", "DB_ENGINE"],
    ["DB_MULTIAZ", "DB_MULTI_AZ"],
    ["DB_READ_REPLICA_MAX_CAPACTIY", "DB_READ_REPLICA_MAX_CAPACITY"],
    ["DB_ALLOCATED_STORAG", "DB_ALLOCATED_STORAGE"],
  ])("%s -> %s", (typo, key) => {
    expect(nearest(typo, KEY_NAMES)).toBe(key);
  });

  it("suggests nothing for a key far from all of them", () => {
    expect(nearest("MY_OWN_SETTING", KEY_NAMES)).toBeUndefined();
    expect(nearest("XY", ["AB"])).toBeUndefined();
  });
});
