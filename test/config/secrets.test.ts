import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../src/config/resolve.js";
import { KEY_NAMES } from "../../src/config/schema.js";
import type { EnvEntry } from "../../src/config/types.js";

const passwordChars = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 8, maxLength: 140 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", minLength: 8, maxLength: 60 }) },
);

describe("the master password never appears in a message", () => {
  it("whatever the password and whatever the other keys hold", () => {
    fc.assert(
      fc.property(
        passwordChars,
        fc.array(
          fc.record({
            key: fc.oneof(fc.constantFrom(...KEY_NAMES), fc.string({ minLength: 1, maxLength: 30 })),
            value: fc.string({ maxLength: 40 }),
            embed: fc.constantFrom("none", "whole", "inside"),
          }),
          { maxLength: 12 },
        ),
        fc.constantFrom("postgres", "mysql", "mariadb", "oracle"),
        (password, others, engine) => {
          const entries: EnvEntry[] = [
            { key: "DB_ENGINE", value: engine, line: 1, exported: false },
            { key: "DB_MASTER_PASSWORD", value: password, line: 2, exported: false },
            ...others.map((o, i) => ({
              key: o.key,
              value:
                o.embed === "whole" ? password : o.embed === "inside" ? `x${password}y${o.value}` : o.value,
              line: i + 3,
              exported: false,
            })),
          ];
          const { problems } = resolveConfig("/srv/app/config.env", entries, {});
          for (const p of problems) {
            expect(p.message).not.toContain(password);
            expect(p.hint ?? "").not.toContain(password);
            expect(p.message).not.toContain(JSON.stringify(password).slice(1, -1));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("an invalid password is described, not shown", () => {
    const password = 'My/Pass"word@ 1';
    const { problems } = resolveConfig(
      "/srv/app/config.env",
      [{ key: "DB_MASTER_PASSWORD", value: password, line: 4, exported: false }],
      {},
    );
    const p = problems.find((x) => x.severity === "error")!;
    expect(p).toMatchObject({ key: "DB_MASTER_PASSWORD", line: 4 });
    expect(p.message).toMatch(/\/, ", @, space/);
    expect(JSON.stringify(problems)).not.toContain("Pass");
  });

  it("refuses the password inside another key, without showing either", () => {
    const { problems } = resolveConfig(
      "/srv/app/config.env",
      [
        { key: "DB_MASTER_PASSWORD", value: "Sekr1t!Value", line: 1, exported: false },
        { key: "DB_NAME", value: "Sekr1t!Value", line: 2, exported: false },
      ],
      {},
    );
    expect(problems).toContainEqual(expect.objectContaining({ key: "DB_NAME", line: 2, severity: "error" }));
    expect(JSON.stringify(problems)).not.toContain("Sekr1t");
  });
});
