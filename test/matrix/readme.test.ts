import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { formatEnv } from "../../src/api/env-format.js";
import { MATRIX_SIZE, passwordCases } from "./passwords.js";

// The README's "Connecting your application" shows what the connection matrix runs: the same lines,
// the same counts. A change to either side must be made on both.
const read = (rel: string) => readFileSync(fileURLToPath(new URL(rel, import.meta.url)), "utf8");
const readme = read("../../README.md");

describe("README: Connecting your application", () => {
  test("Django's settings are the ones the matrix loads", () => {
    const settings = read("clients/django_settings.py");
    const block = settings.slice(settings.indexOf("DATABASES = {"));
    expect(readme).toContain(`\`\`\`python\n${block}\`\`\``);
  });

  test("Alembic's env.py line and node-postgres's line are the ones the matrix runs", () => {
    const alembic = read("clients/alembic_env_line.py")
      .split("\n")
      .find((l) => l.startsWith("config."));
    expect(alembic).toBeDefined();
    expect(readme).toContain(`\`\`\`python\n${alembic}\n\`\`\``);
    const pgLine = "const client = new pg.Client({ connectionString: process.env.DATABASE_URL });";
    expect(read("clients/pg.cjs")).toContain(pgLine);
    expect(readme).toContain(`\`\`\`js\n${pgLine}\n\`\`\``);
  });

  test("the counts are the matrix's", () => {
    const cases = passwordCases(MATRIX_SIZE);
    const hand = cases.filter((k) => k.kind === "hand-set");
    const refused = hand.filter((k) => {
      try {
        formatEnv({ K: k.password }, "dotenv");
        return false;
      } catch {
        return true;
      }
    }).length;
    const total = cases.length + 1; // and the master user's
    expect(readme).toContain(`server with ${total} passwords at once`);
    expect(readme).toContain(`and ${hand.length} hand-set ones covering every allowed character`);
    expect(readme).toContain(
      `(the ${total - refused} passwords the \`dotenv\` format\n  carries; it refuses ${refused})`,
    );
  });
});
