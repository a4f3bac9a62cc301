import fc from "fast-check";
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

describe("did you mean, bounded", () => {
  // The plain definition, to check the early exits against.
  function nearestPlain(input: string, candidates: readonly string[]): string | undefined {
    const limit = Math.min(2, Math.max(1, Math.floor(input.length / 3)));
    let best: string | undefined;
    let bestD = Number.POSITIVE_INFINITY;
    for (const c of candidates) {
      const d = editDistance(input, c);
      if (d < bestD) [best, bestD] = [c, d];
    }
    return bestD <= limit ? best : undefined;
  }

  it("with a bound, gives the exact distance up to it and bound + 1 beyond", () => {
    const word = fc.string({ unit: fc.constantFrom("A", "B", "C", "_"), maxLength: 9 });
    fc.assert(
      fc.property(word, word, fc.integer({ min: 0, max: 4 }), (a, b, max) => {
        const exact = editDistance(a, b);
        expect(editDistance(a, b, max)).toBe(exact <= max ? exact : max + 1);
      }),
      { numRuns: 2000 },
    );
  });

  it("suggests what the plain definition suggests, for typos of every key and random words", () => {
    const typo = fc
      .tuple(fc.constantFrom(...KEY_NAMES), fc.nat(), fc.constantFrom("drop", "dup", "swap", "change"))
      .map(([k, at, how]) => {
        const i = at % k.length;
        if (how === "drop") return k.slice(0, i) + k.slice(i + 1);
        if (how === "dup") return k.slice(0, i) + k[i] + k.slice(i);
        if (how === "swap") return k.slice(0, i) + (k[i + 1] ?? "") + k[i] + k.slice(i + 2);
        return `${k.slice(0, i)}X${k.slice(i + 1)}`;
      });
    fc.assert(
      fc.property(fc.oneof(typo, fc.string({ maxLength: 30 })), (input) => {
        expect(nearest(input, KEY_NAMES)).toBe(nearestPlain(input, KEY_NAMES));
      }),
      { numRuns: 3000 },
    );
  });

  it("stays exact when a long word follows short ones (the reused rows grow)", () => {
    expect(editDistance("a".repeat(200), `${"a".repeat(199)}b`, 2)).toBe(1);
    expect(editDistance("ab", "ba", 2)).toBe(1);
  });
});
