import { describe, expect, test } from "vitest";
import {
  addPoint,
  cpuUtilization,
  decisionRecord,
  desiredCount,
  policyMsOfStep,
  provisionSteps,
  readerAverage,
  stepLine,
  stepOf,
  toPolicyMs,
} from "../../src/autoscale/runner-clock.js";

const MIN = 60_000;

describe("a runner's clock: one step per interval, a minute to the policy", () => {
  test("at the default interval a step is the wall-clock minute", () => {
    const t = Date.UTC(2026, 0, 1, 12, 3, 45);
    expect(policyMsOfStep(stepOf(t, 60_000))).toBe(Date.UTC(2026, 0, 1, 12, 3));
    expect(toPolicyMs(t, 60_000)).toBe(Date.UTC(2026, 0, 1, 12, 3));
    expect(toPolicyMs(null, 60_000)).toBeNull();
  });

  test("a short interval runs the policy's minutes faster: 2 steps of 0.5 s are 2 minutes apart", () => {
    expect(toPolicyMs(10_500, 500)! - toPolicyMs(9_500, 500)!).toBe(2 * MIN);
    expect(stepOf(999, 500)).toBe(1);
  });

  test("the provisioning time in steps, at least one", () => {
    expect(provisionSteps(null, 60_000)).toBe(1);
    expect(provisionSteps(3, 500)).toBe(6);
    expect(provisionSteps(5, 60_000)).toBe(1);
    expect(provisionSteps(600, 60_000)).toBe(10);
  });
});

describe("the metric", () => {
  test("CPUUtilization is CPU time over wall time, as a share of the class's vCPUs, 0 to 100", () => {
    expect(cpuUtilization(1, 1, 2)).toBe(50);
    expect(cpuUtilization(30, 60, 4)).toBe(12.5);
    expect(cpuUtilization(5, 1, 2)).toBe(100);
    expect(cpuUtilization(1, 0, 2)).toBe(0);
  });

  test("the readers' average: the mean over ready replicas; with none, 100 only if reads found none", () => {
    expect(readerAverage(5 * MIN, [40, 60, 20], false)).toEqual({
      atMs: 5 * MIN,
      cpuPercent: 40,
      readyReplicas: 3,
    });
    expect(readerAverage(0, [], true)).toEqual({ atMs: 0, cpuPercent: 100, readyReplicas: 0 });
    expect(readerAverage(0, [], false)).toEqual({ atMs: 0, cpuPercent: 0, readyReplicas: 0 });
  });

  test("the history keeps one point per step, in order, the last N steps", () => {
    const pt = (m: number, cpu = 10) => ({ atMs: m * MIN, cpuPercent: cpu, readyReplicas: 1 });
    let h = [pt(1), pt(2)];
    h = addPoint(h, pt(2, 99), 5);
    expect(h.map((p) => p.cpuPercent)).toEqual([10, 10]);
    h = addPoint(h, pt(4), 5);
    h = addPoint(h, pt(3), 5);
    expect(h.map((p) => p.atMs / MIN)).toEqual([1, 2, 3, 4]);
    h = addPoint(h, pt(9), 5);
    expect(h.map((p) => p.atMs / MIN)).toEqual([9]);
  });
});

describe("decisions as logged", () => {
  test("desired count and the record", () => {
    expect(desiredCount({ action: "add", count: 2, reason: "r" }, 1)).toBe(3);
    expect(desiredCount({ action: "remove", remove: ["a"], reason: "r" }, 3)).toBe(2);
    expect(desiredCount({ action: "none", reason: "r" }, 2)).toBe(2);
    const rec = decisionRecord({ action: "remove", remove: ["x"], reason: "quiet" }, 2, Date.UTC(2026, 0, 1));
    expect(rec).toEqual({
      at: "2026-01-01T00:00:00.000Z",
      action: "remove",
      replicas: ["x"],
      reason: "quiet",
      current: 2,
      desired: 1,
    });
    expect(stepLine({ cpuPercent: 45.25, readyReplicas: 1 }, rec)).toBe(
      "CPU 45.3% over 1 ready replica → remove 1: quiet",
    );
    expect(stepLine(null, decisionRecord({ action: "none", reason: "no data" }, 1, 0))).toBe(
      "no CPU figure → no change: no data",
    );
  });
});
