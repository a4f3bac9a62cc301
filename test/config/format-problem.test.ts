import { describe, expect, it } from "vitest";
import { formatProblemList, listedProblems, problemsJson } from "../../src/config/format-problem.js";
import type { Problem } from "../../src/model/problem.js";

const warning = (line: number): Problem => ({ severity: "warning", key: `W${line}`, line, message: "w" });
const error = (line: number): Problem => ({ severity: "error", key: `E${line}`, line, message: "e" });

describe("listing many problems", () => {
  it("lists everything that fits", () => {
    const all = [warning(1), error(2)];
    expect(listedProblems(all, 2)).toEqual({ shown: all, omitted: 0 });
    expect(formatProblemList("config.env", all, 2)).toEqual([
      "config.env:1: warning: W1: w",
      "config.env:2: error: E2: e",
    ]);
  });

  it("chooses errors before warnings when not all fit, and keeps line order", () => {
    const all = [warning(1), warning(2), error(3), warning(4), error(5)];
    expect(listedProblems(all, 3).shown.map((p) => p.line)).toEqual([1, 3, 5]);
    expect(listedProblems(all, 2).shown.map((p) => p.line)).toEqual([3, 5]);
    expect(listedProblems(all, 1).shown.map((p) => p.line)).toEqual([3]);
  });

  it("says how many more, and of which kind", () => {
    const all = [warning(1), error(2), warning(3), error(4)];
    expect(formatProblemList("c.env", all, 1)).toEqual([
      "c.env:2: error: E2: e",
      "c.env: and 3 more problems not shown (1 error and 2 warnings); fix these first, then run `ebdb validate` again.",
    ]);
  });

  it("gives --json the totals with the first problems", () => {
    const all = [warning(1), error(2), warning(3), error(4)];
    const j = problemsJson(all, 2);
    expect(j).toMatchObject({ errors: 2, warnings: 2, omitted: 2 });
    expect(j.problems.map((p) => p.line)).toEqual([2, 4]);
  });

  it("lists 100 of 100,000 problems and one line for the rest", () => {
    const all = Array.from({ length: 100_000 }, (_, i) => (i % 2 ? error(i) : warning(i)));
    expect(formatProblemList("c.env", all)).toHaveLength(101);
  });
});
