// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config.env text with ${NAME} expansions.
import { describe, expect, it } from "vitest";
import { parseEnv } from "../../src/config/parse.js";
import { resolveConfig } from "../../src/config/resolve.js";
import type { Problem } from "../../src/model/problem.js";
import { FILE, warnings } from "./helpers.js";

/** Parses and resolves `text` as ebdb does, with `env` as the caller's environment. */
function load(text: string, env: Record<string, string> = {}) {
  const parsed = parseEnv(text, env);
  const r = resolveConfig(FILE, parsed.entries, env);
  const values = Object.fromEntries(parsed.entries.map((e) => [e.key, e.value]));
  return { config: r.config, problems: [...parsed.problems, ...r.problems], values };
}

const callerWarnings = (problems: Problem[]) =>
  warnings(problems).filter((p) => /runs ebdb|\$HOME/.test(`${p.message}`));

describe("a $NAME that no key above defines: bash's value, with a warning", () => {
  it("keeps bash's value and names the variable, whether the caller's environment has it or not", () => {
    const unset = load('APP_NAME="shop"\nDB_NAME="app_$SUFFIX"\n');
    expect(unset.values.DB_NAME).toBe("app_");
    expect(callerWarnings(unset.problems)).toEqual([
      {
        severity: "warning",
        key: "DB_NAME",
        line: 2,
        message:
          "$SUFFIX is not a key set above, so bash takes it from the environment of whoever runs ebdb: here it is not set, so it expands to nothing",
        hint: "If the $ belongs to the value, put the value in single quotes (DB_NAME='...'), where bash expands nothing; to use another key's value, set that key above this line.",
      },
    ]);
    const set = load('DB_NAME="app_${SUFFIX}"\n', { SUFFIX: "eu" });
    expect(set.values.DB_NAME).toBe("app_eu");
    expect(set.config?.dbName).toBe("app_eu");
    expect(callerWarnings(set.problems).map((p) => p.message)).toEqual([
      expect.stringMatching(/^\$\{SUFFIX\} is not a key set above, .*: here it is set$/),
    ]);
  });

  it("is quiet for a key set above, on the line before, in single quotes, or with a default", () => {
    for (const text of [
      'APP_NAME="shop"\nDB_NAME="${APP_NAME}_db"\n',
      "APP_NAME=shop DB_NAME=${APP_NAME}_db\n",
      "DB_MASTER_PASSWORD='Pa55word!$Tk9'\n",
      'DB_NAME="${DB_SUFFIX:-app}"\nAWS_REGION="${AWS_REGION-eu-west-1}"\n',
      'AWS_PROFILE="price\\$5"\n',
    ]) {
      const r = load(text, { Tk9: "laptop" });
      expect(callerWarnings(r.problems), text).toEqual([]);
      expect(r.config?.callerDependent, text).toEqual({ masterUsername: false, masterPassword: false });
    }
    expect(load("DB_MASTER_PASSWORD='Pa55word!$Tk9'\n").config?.masterPassword?.reveal()).toBe(
      "Pa55word!$Tk9",
    );
  });

  it("says when the key is set below, or later on an export line (bash reads top to bottom)", () => {
    const below = load('DB_NAME="$APP_NAME"\nAPP_NAME="shop"\n', { APP_NAME: "fromenv" });
    expect(callerWarnings(below.problems)[0].message).toMatch(
      /^\$APP_NAME is not a key set above \(APP_NAME is set on line 2, below: bash reads the file from the top\)/,
    );
    const exported = load("export APP_NAME=shop DB_NAME=${APP_NAME}_db\n");
    expect(exported.values.DB_NAME).toBe("_db");
    expect(callerWarnings(exported.problems)[0].message).toMatch(
      /\(APP_NAME is set on this export line, but bash expands all of its words before assigning any\)/,
    );
  });

  it("warns once per variable of a value, and for an unquoted ~ (the caller's $HOME)", () => {
    const r = load('AWS_PROFILE="$P-$P-${Q}"\nDB_KMS_KEY_ID=~\n', { HOME: "/home/ann" });
    expect(r.values.DB_KMS_KEY_ID).toBe("/home/ann");
    expect(callerWarnings(r.problems).map((p) => [p.line, p.message.split(" ")[0]])).toEqual([
      [1, "$P"],
      [1, "${Q}"],
      [2, "an"],
    ]);
    expect(callerWarnings(r.problems)[2].message).toMatch(/~ here is replaced by the home folder \(\$HOME\)/);
  });

  it("looks inside a default only when bash uses it", () => {
    expect(callerWarnings(load('APP_NAME="shop"\nDB_NAME="${APP_NAME:-$X}"\n').problems)).toEqual([]);
    expect(callerWarnings(load('DB_NAME="${NOPE:-$X}"\n').problems).map((p) => p.message)).toEqual([
      expect.stringMatching(/^\$X is not a key set above/),
    ]);
  });
});

describe("DB_MASTER_PASSWORD and DB_MASTER_USERNAME that depend on who runs ebdb", () => {
  const text = 'APP_NAME="shop"\nDB_MASTER_PASSWORD="Pa55word!$Tk9"\n';

  it("keep bash's value: Pa55word! alone, or with the caller's $Tk9", () => {
    expect(load(text).config?.masterPassword?.reveal()).toBe("Pa55word!");
    expect(load(text, { Tk9: "laptop" }).config?.masterPassword?.reveal()).toBe("Pa55word!laptop");
  });

  it("get one warning of their own that says so, never showing the password or its variables", () => {
    for (const env of [{}, { Tk9: "laptop" }] as Record<string, string>[]) {
      const r = load(text, env);
      const found = callerWarnings(r.problems);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({ severity: "warning", key: "DB_MASTER_PASSWORD", line: 2 });
      expect(found[0].message).toBe(
        "the master password depends on who runs ebdb: it holds a $ or ~ expansion that no key above defines, which bash fills from the caller's environment (with nothing when unset). Run by another user, in another shell or in CI, ebdb reads another password, and `up` then changes the database's master password to it.",
      );
      expect(found[0].hint).toMatch(/single quotes: DB_MASTER_PASSWORD='\.\.\.'.*leave it empty/);
      const shown = JSON.stringify(r.problems);
      for (const secret of ["Pa55word", "Tk9", "laptop"]) expect(shown).not.toContain(secret);
      expect(r.config?.callerDependent).toEqual({ masterUsername: false, masterPassword: true });
    }
  });

  it("also through a key above that depends on the caller, and with a ${NAME:-default}", () => {
    const via = load('ENV_NAME="$STAGE"\nDB_MASTER_PASSWORD="Secret-9x-${ENV_NAME}"\n', { STAGE: "dev" });
    const [envWarning, pwWarning] = callerWarnings(via.problems);
    expect(envWarning).toMatchObject({ key: "ENV_NAME", line: 1 });
    expect(pwWarning).toMatchObject({ key: "DB_MASTER_PASSWORD", line: 2 });
    expect(pwWarning.message).toMatch(
      /^the master password depends on who runs ebdb: it uses the value set on line 1, which does\./,
    );
    expect(via.config?.callerDependent.masterPassword).toBe(true);

    const deflt = load('DB_MASTER_PASSWORD="${PW:-Default-Passw0rd}"\n');
    expect(deflt.config?.masterPassword?.reveal()).toBe("Default-Passw0rd");
    expect(callerWarnings(deflt.problems).map((p) => p.key)).toEqual(["DB_MASTER_PASSWORD"]);
  });

  it("the user name's warning names its variables (a user name is no secret)", () => {
    const r = load('DB_MASTER_USERNAME="admin_$USER"\n', { USER: "ann" });
    expect(r.config?.masterUsername).toBe("admin_ann");
    expect(callerWarnings(r.problems)).toEqual([
      expect.objectContaining({
        key: "DB_MASTER_USERNAME",
        line: 1,
        message:
          "the master user name depends on who runs ebdb: $USER is not a key set above, so bash fills it from the caller's environment (with nothing when unset). Run by another user or elsewhere, ebdb reads another user name.",
      }),
    ]);
    expect(r.config?.callerDependent).toEqual({ masterUsername: true, masterPassword: false });
  });
});
