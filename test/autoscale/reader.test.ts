import { describe, expect, test } from "vitest";
import { type ReplicaHealth, readiness, WalClock } from "../../src/autoscale/reader.js";

const ok: ReplicaHealth = { name: "r", accepting: true, problem: null, lagSeconds: 0.5, warmed: true };

describe("the reader endpoint's rule: available, caught up, warmed", () => {
  test.each([
    [{ accepting: false, problem: "stopped" }, false, "stopped"],
    [{ accepting: false, problem: null }, false, "not accepting connections"],
    [{ lagSeconds: null }, false, "replication lag not known yet"],
    [{ lagSeconds: 12 }, false, "lag 12 s over the 10 s bound"],
    [{ lagSeconds: 10 }, true, "ready (lag 10 s)"],
    [{ warmed: false }, false, "caught up, not warmed yet"],
    [{}, true, "ready (lag 0.5 s)"],
  ])("%o → ready %s (%s)", (change, ready, why) => {
    expect(readiness({ ...ok, ...change }, 10)).toEqual({ ready, why });
  });
});

describe("lag from the primary's WAL positions over time", () => {
  test("nothing recorded: unknown; replayed all the primary had: 0", () => {
    const c = new WalClock(10);
    expect(c.lagSeconds(100, 0)).toBeNull();
    c.record(1000, 500);
    expect(c.lagSeconds(500, 1500)).toBe(0);
    expect(c.lagSeconds(900, 1500)).toBe(0);
  });

  test("behind: at least the age of the oldest position it has not reached", () => {
    const c = new WalClock(10);
    for (let s = 0; s <= 20; s++) c.record(s * 1000, s * 100); // 100 bytes a second
    expect(c.lagSeconds(2000, 20_000)).toBe(0);
    expect(c.lagSeconds(1950, 20_000)).toBe(0); // missed only the last second's WAL: within one check
    expect(c.lagSeconds(1500, 20_300)).toBe(4.3);
  });

  test("an idle primary: a replica that replayed everything is caught up however old the last write", () => {
    const c = new WalClock(10);
    for (let s = 0; s <= 600; s += 2) c.record(s * 1000, 7777);
    expect(c.lagSeconds(7777, 600_000)).toBe(0);
  });

  test("behind every position recorded: unknown until they span the horizon, then at least that", () => {
    const c = new WalClock(10);
    c.record(0, 100);
    c.record(5000, 200);
    expect(c.lagSeconds(50, 5000)).toBeNull();
    for (let s = 6; s <= 60; s++) c.record(s * 1000, 100 * s);
    expect(c.lagSeconds(50, 60_000)).toBeGreaterThanOrEqual(20);
  });

  test("a new primary (positions going back) starts the record over", () => {
    const c = new WalClock(10);
    c.record(0, 10_000);
    c.record(1000, 50);
    expect(c.lagSeconds(50, 1000)).toBe(0);
  });
});
