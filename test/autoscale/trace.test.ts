import { describe, expect, it } from "vitest";
import { formatTrace, parseTrace } from "../../src/autoscale/trace.js";
import { isEbdbError } from "../../src/errors.js";

function failure(text: string): { message: string; hint?: string; exitCode: number } {
  try {
    parseTrace(text, "load.csv");
  } catch (e) {
    if (isEbdbError(e)) return { message: e.message, hint: e.hint, exitCode: e.exitCode };
    throw e;
  }
  throw new Error("parsed");
}

describe("load traces (CSV minute,demand_vcpu)", () => {
  it("reads rows, with CRLF, a BOM, spaces around fields and blank lines", () => {
    const text = "\uFEFFminute, demand_vcpu\r\n0,1.5\r\n1, 2\r\n\r\n2,0.25e1\r\n";
    expect(parseTrace(text, "load.csv")).toEqual([
      { minute: 0, demandVcpu: 1.5 },
      { minute: 1, demandVcpu: 2 },
      { minute: 2, demandVcpu: 2.5 },
    ]);
  });

  it("round-trips what formatTrace writes", () => {
    const points = [
      { minute: 5, demandVcpu: 0 },
      { minute: 6, demandVcpu: 12.125 },
    ];
    expect(parseTrace(formatTrace(points), "x")).toEqual(points);
  });

  it.each([
    ["", /load\.csv:1: the trace is empty/],
    ["time,cpu\n0,1\n", /load\.csv:1: the header is "time,cpu"/],
    ["minute,demand_vcpu\n", /load\.csv:1: the trace has a header but no rows/],
    ["minute,demand_vcpu\n0,1\n1,2,3\n", /load\.csv:3: "1,2,3" has 3 fields/],
    ["minute,demand_vcpu\n0,1\nx,2\n", /load\.csv:3: minute "x" is not a whole number/],
    ["minute,demand_vcpu\n0,1\n2,2\n", /load\.csv:3: minute 2 follows minute 0/],
    ["minute,demand_vcpu\n0,1\n1,-2\n", /load\.csv:3: demand_vcpu "-2" is not a number >= 0/],
    ["minute,demand_vcpu\n0,1\n1,NaN\n", /load\.csv:3: demand_vcpu "NaN" is not a number >= 0/],
  ])("refuses %j, naming the line (exit 2)", (text, message) => {
    const f = failure(text);
    expect(f.message).toMatch(message);
    expect(f.hint).toBeTruthy();
    expect(f.exitCode).toBe(2);
  });
});
