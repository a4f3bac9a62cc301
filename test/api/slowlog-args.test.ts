import { describe, expect, test } from "vitest";
import { checkSlowQueryMs, MAX_SLOW_QUERY_MS, setSlowlog } from "../../src/api/slowlog.js";
import { keyDef } from "../../src/config/schema.js";
import { RecordingIoHost } from "../../src/io.js";
import type { Target } from "../../src/targets/target.js";

describe("slowlog --ms", () => {
  test("takes -1 (off) to INT_MAX milliseconds, the range of log_min_duration_statement", () => {
    for (const ms of [-1, 0, 500, MAX_SLOW_QUERY_MS]) expect(checkSlowQueryMs(ms)).toBe(ms);
    expect(MAX_SLOW_QUERY_MS).toBe(2 ** 31 - 1);
    // The same range as DB_SLOW_QUERY_MS in config.env.
    expect([keyDef("DB_SLOW_QUERY_MS")?.min, keyDef("DB_SLOW_QUERY_MS")?.max]).toEqual([
      -1,
      MAX_SLOW_QUERY_MS,
    ]);
  });

  test.each([-2, MAX_SLOW_QUERY_MS + 1, 99_999_999_999, 1.5, Number.NaN])(
    "%d is a user error naming --ms and the range",
    (ms) => {
      expect(() => checkSlowQueryMs(ms)).toThrow(
        expect.objectContaining({
          code: "BAD_MS",
          fault: "user",
          message: expect.stringMatching(/^--ms .*-1 .*2147483647/),
        }),
      );
    },
  );

  test("the library refuses it before opening the configuration or the target", async () => {
    let opened = false;
    const target = {
      name: "local",
      setSlowQueryMs: async () => {
        opened = true;
      },
    } as unknown as Target;
    const ctx = { cwd: "/nonexistent", env: {}, io: new RecordingIoHost() };
    await expect(setSlowlog(ctx, { ms: 99_999_999_999, target })).rejects.toMatchObject({ code: "BAD_MS" });
    expect(opened).toBe(false);
  });
});
