import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  configReference,
  REFERENCE_END,
  REFERENCE_START,
  replaceReference,
} from "../../src/config/reference.js";
import { KEY_NAMES } from "../../src/config/schema.js";

const readmePath = fileURLToPath(new URL("../../README.md", import.meta.url));

describe("the README's configuration reference", () => {
  it("lists every key", () => {
    const ref = configReference();
    for (const key of KEY_NAMES) expect(ref).toContain(`| \`${key}\` |`);
  });

  it("is the one generated from the schema (run `npm run docs` after changing the schema)", () => {
    const readme = readFileSync(readmePath, "utf8");
    expect(readme).toContain(REFERENCE_START);
    expect(readme).toContain(REFERENCE_END);
    expect(readme).toBe(replaceReference(readme));
  });

  it("replaces only what is between the markers", () => {
    const doc = `# x\n\n${REFERENCE_START}\nold\n${REFERENCE_END}\n\nafter\n`;
    const out = replaceReference(doc, "new\n");
    expect(out).toBe(`# x\n\n${REFERENCE_START}\nnew\n${REFERENCE_END}\n\nafter\n`);
    expect(() => replaceReference("no markers")).toThrow(/config-reference/);
  });
});
