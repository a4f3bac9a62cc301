import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseEnv } from "../../src/config/parse.js";
import { bashSource, changedVars, ORACLE_ENV } from "./bash-oracle.js";

/** EBDB_PARSE_FUZZ=20 runs twenty times as many generated cases (for a deeper search, locally). */
const SCALE = Math.max(1, Number(process.env.EBDB_PARSE_FUZZ) || 1);

// --- Generators -------------------------------------------------------------------------------
// Valid files are built from the grammar parseEnv accepts, mode by mode, as source text: parts
// of unquoted values, "double quotes", 'single quotes', escapes, $NAME / ${NAME} / ${NAME:-word}
// / ${NAME-word} (with the word's own rules, nested), ~ where bash expands it, comments, export.

type Gen = fc.Arbitrary<string>;
const KEYS = ["K0", "K1", "K2", "k_3", "_k4", "FOO", "HOME"];
const REFS = ["K0", "K1", "k_3", "_k4", "FOO", "EMPTY", "SPACES", "STAR", "TRICKY", "UNI", "NOPE", "HOME"];
const name = fc.constantFrom(...REFS);
const pick = (chars: string) => fc.constantFrom(...Array.from(chars));
const run = (chars: string) => fc.string({ unit: pick(chars), minLength: 1, maxLength: 6 });
const seq = (part: Gen, final: Gen | null = null): Gen =>
  fc
    .tuple(fc.array(part, { maxLength: 4 }), final ? fc.option(final, { nil: "" }) : fc.constant(""))
    .map(([parts, end]) => parts.join("") + end);

const TOP = "abcxyz019-_.,/@%+=^!?*[]:#é日😀";
const DQ = "abcxyz019 \t-_.,/@%+=^!?*[]:#'~{}();|&<>é日😀";
const UDEF = "abcxyz019 -_.,/@%+=^!?*[]:#é";
const QDEF = "abcxyz019 -_.,/@%+=^!?*[]:#~);|&<>é"; // no "(": bash parses <( even there
const SQ = 'abc $"\\#~{}();|&<>`*é\t';
const dollarLiteral = fc.constantFrom("$.", "$/", "$%", "$,", "$+", "$=", "$^", "$:");
const tildePart = fc.constantFrom("~/", "~:");
const singleQuoted = fc.string({ unit: pick(SQ), maxLength: 6 }).map((t) => `'${t}'`);

function refs(depth: number, word: (d: number) => Gen): Gen {
  // Inside quoted defaults only braced names: bash misreads `$NAME"x` there (refused, see unit tests).
  const braced = name.map((n) => `\${${n}}`);
  const simple =
    word === quotedDefault
      ? braced
      : fc.oneof(
          name.map((n) => `$${n}`),
          braced,
        );
  if (depth <= 0) return simple;
  const withDefault = fc
    .tuple(name, fc.constantFrom(":-", "-"), word(depth - 1))
    .map(([n, op, w]) => `\${${n}${op}${w}}`);
  return fc.oneof(simple, withDefault);
}

function doubleQuoted(depth: number): Gen {
  const part = fc.oneof(
    run(DQ),
    pick("\"\\$`an'{} ~").map((c) => `\\${c}`),
    refs(depth, quotedDefault),
    fc.oneof(dollarLiteral, fc.constantFrom("$'", "$ ")),
  );
  return seq(part, fc.constant("$")).map((t) => `"${t}"`);
}

function unquotedDefault(depth: number): Gen {
  const part = fc.oneof(
    run(UDEF),
    pick("} \"'$\\a{~:").map((c) => `\\${c}`),
    singleQuoted,
    doubleQuoted(depth),
    refs(depth, unquotedDefault),
    dollarLiteral,
    tildePart,
  );
  return seq(part, fc.constantFrom("~", "$"));
}

function quotedDefault(depth: number): Gen {
  const nestedQuotes = seq(fc.oneof(run(QDEF), refs(depth, quotedDefault))).map((t) => `"${t}"`);
  const part = fc.oneof(
    run(QDEF),
    fc.constant("f(g)"),
    pick('}$"\\`a{ ').map((c) => `\\${c}`),
    nestedQuotes,
    refs(depth, quotedDefault),
    dollarLiteral,
  );
  return seq(part, fc.constant("$"));
}

function topValue(exported: boolean): Gen {
  const part = fc.oneof(
    run(exported ? TOP : `${TOP}{}`),
    pick(" \"'$\\#;|&()<>`~{}a*é:").map((c) => `\\${c}`),
    singleQuoted,
    doubleQuoted(2),
    refs(2, unquotedDefault),
    dollarLiteral,
    tildePart,
  );
  return seq(part, fc.constantFrom("~", "$"));
}

const blanks = fc.constantFrom(" ", "\t", "   ");
const comment = fc.string({ unit: pick("abc $'\"\\#;()~{}`"), maxLength: 8 }).map((c) => `#${c}`);

const assignmentLine: Gen = fc.boolean().chain((exported) =>
  fc
    .tuple(
      fc.constantFrom("", " ", "\t"),
      fc.array(
        fc.tuple(fc.constantFrom(...KEYS), topValue(exported)).map(([k, v]) => `${k}=${v}`),
        { minLength: 1, maxLength: 3 },
      ),
      blanks,
      fc.option(comment, { nil: "" }),
    )
    .map(
      ([lead, words, sep, note]) =>
        `${lead}${exported ? "export " : ""}${words.join(sep)}${note ? sep + note : ""}`,
    ),
);

/** A file of lines parseEnv accepts. */
const validFile: Gen = fc
  .array(
    fc.oneof(
      { weight: 8, arbitrary: assignmentLine },
      { weight: 1, arbitrary: fc.constantFrom("", "   ", "# just a comment", "  # indented 'comment'") },
      { weight: 1, arbitrary: fc.constantFrom(...KEYS).map((k) => `export ${k}`) },
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((lines) => `${lines.join("\n")}\n`);

const SAFE_TOKENS = [
  ..."A= B= K0= HOME= A x é / : = * , # - { } ~ $ ' \" \\ :- ~/ :~".split(" "),
  ...'$A $B ${A ${B ${NOPE ${FOO ${NOPE- "${NOPE:- "$FOO" $FOO $HOME $EMPTY ${EMPTY-'.split(" "),
  ...["export ", "export", " ", "\t", "\n", " # ", '""', "''", "a b", '\\"', "\\ ", "$'", '$"', "\\$"],
];
const DANGEROUS_TOKENS = ["$(", "`", ";", "|", "(", ")", ">", "\r", "\0", "$((", "${#", "$1", "\uFEFF"];

/**
 * Random sequences of shell tokens, most lines starting like an assignment so that a fair share
 * is accepted. Only `withDangerous` ones hold what bash would run (never given to bash).
 */
function soupFile(withDangerous: boolean): Gen {
  const tokens = fc.constantFrom(...(withDangerous ? [...SAFE_TOKENS, ...DANGEROUS_TOKENS] : SAFE_TOKENS));
  const raw = fc.array(tokens, { minLength: 1, maxLength: 12 }).map((t) => t.join(""));
  const assignment = fc
    .tuple(
      fc.constantFrom("", "export ", " "),
      fc.constantFrom("A=", "B=", "K0=", "HOME="),
      fc.array(tokens, { maxLength: 6 }),
    )
    .map(([lead, key, t]) => lead + key + t.join(""));
  const line = fc.oneof({ weight: 1, arbitrary: raw }, { weight: 4, arbitrary: assignment });
  return fc.array(line, { minLength: 1, maxLength: 2 }).map((lines) => lines.join("\n"));
}

// --- Properties -------------------------------------------------------------------------------

function lineCount(input: string | Uint8Array): number {
  let n = 1;
  if (typeof input === "string") {
    for (const c of input) if (c === "\n") n++;
  } else {
    for (const b of input) if (b === 0x0a) n++;
  }
  return n;
}

/** What must hold for any input at all. */
function checkTotal(input: string | Uint8Array): void {
  const r = parseEnv(input, ORACLE_ENV);
  const lines = lineCount(input);
  const problemLines = r.problems.map((p) => p.line ?? 0);
  for (const p of r.problems) {
    expect(p.severity).toBe("error");
    expect(p.line).toBeGreaterThanOrEqual(1);
    expect(p.line).toBeLessThanOrEqual(lines);
    expect(p.message.length).toBeGreaterThan(0);
    expect(p.hint?.length).toBeGreaterThan(0);
    expect(p.message).not.toMatch(/internal error/);
  }
  // In line order, one problem per line.
  expect(problemLines).toEqual([...new Set(problemLines)].sort((a, b) => a - b));
  for (const e of r.entries) {
    expect(e.line).toBeGreaterThanOrEqual(1);
    expect(e.line).toBeLessThanOrEqual(lines);
    expect(e.key).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
    expect(typeof e.value).toBe("string");
    expect(problemLines).not.toContain(e.line);
  }
}

describe("any input: parseEnv never throws, and every problem is on a line of the file", () => {
  it("arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (b) => checkTotal(b)),
      { numRuns: 300 },
    );
  });

  it("bytes that are mostly text, with stray invalid and NUL bytes", () => {
    const byte = fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
      { weight: 2, arbitrary: fc.constantFrom(0x0a, 0x0d, 0x09, 0x00, 0xc3, 0xa9, 0xff, 0xef, 0xbb, 0xbf) },
    );
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 400 }), (a) => checkTotal(new Uint8Array(a))),
      { numRuns: 300 },
    );
  });

  it("arbitrary strings, lone surrogates included", () => {
    const unit = fc.oneof(
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 200 }).map((a) => String.fromCharCode(...a)),
    );
    fc.assert(
      fc.property(unit, (s) => checkTotal(s)),
      { numRuns: 300 },
    );
  });

  it("shell-like strings", () => {
    fc.assert(
      fc.property(soupFile(true), (s) => checkTotal(s)),
      { numRuns: 500 },
    );
  });

  it("valid files with CRLF line ends give the same entries as with LF", () => {
    fc.assert(
      fc.property(validFile, (text) => {
        const lf = parseEnv(text, ORACLE_ENV);
        expect(parseEnv(text.replaceAll("\n", "\r\n"), ORACLE_ENV)).toEqual(lf);
      }),
      { numRuns: 100 },
    );
  });
});

/**
 * Checks a batch of files with one bash process. On a mismatch it throws a compact message (no
 * diff rendering, so fast-check can shrink quickly: each step is one bash run) naming the file.
 * Returns how many files parseEnv accepted.
 */
function sameAsBash(files: string[], mustAccept: boolean): number {
  const ours = files.map((f) => parseEnv(f, ORACLE_ENV));
  if (mustAccept) {
    const refused = ours.findIndex((r) => r.problems.length > 0);
    if (refused >= 0) {
      throw new Error(
        `refused ${JSON.stringify(files[refused])}: ${JSON.stringify(ours[refused].problems[0])}`,
      );
    }
  }
  const accepted = files.flatMap((file, i) => (ours[i].problems.length === 0 ? [{ file, r: ours[i] }] : []));
  if (accepted.length === 0) return 0;
  const bash = bashSource(
    accepted.map((a) => a.file),
    ORACLE_ENV,
  );
  accepted.forEach(({ file, r }, k) => {
    const mine = JSON.stringify(sorted(changedVars(r, ORACLE_ENV)));
    const theirs = JSON.stringify(sorted(bash[k].vars));
    if (mine !== theirs || bash[k].stderr !== "") {
      throw new Error(`file ${JSON.stringify(file)}\n  ebdb: ${mine}\n  bash: ${theirs} ${bash[k].stderr}`);
    }
  });
  return accepted.length;
}

function sorted(vars: Record<string, string>): [string, string][] {
  return Object.entries(vars).sort(([a], [b]) => (a < b ? -1 : 1));
}

describe("generated files give exactly what bash gives", () => {
  it(
    "files built from the accepted grammar are all accepted",
    () => {
      fc.assert(
        fc.property(validFile, (file) => {
          sameAsBash([file], true);
        }),
        { numRuns: 20 },
      );
      fc.assert(
        fc.property(validFile, (file) => {
          const { problems } = parseEnv(file, ORACLE_ENV);
          if (problems.length > 0) throw new Error(`refused ${JSON.stringify(file)}: ${problems[0].message}`);
        }),
        { numRuns: 1000 * SCALE },
      );
    },
    60_000 * SCALE,
  );

  it(
    "files built from the accepted grammar: bash gives the same values (about 200 files)",
    () => {
      fc.assert(
        fc.property(fc.array(validFile, { minLength: 1, maxLength: 80, size: "max" }), (files) => {
          sameAsBash(files, true);
        }),
        { numRuns: 6 * SCALE },
      );
    },
    60_000 * SCALE,
  );

  it(
    "random token soup: whatever parseEnv accepts, bash reads the same way",
    () => {
      let accepted = 0;
      let total = 0;
      fc.assert(
        fc.property(fc.array(soupFile(false), { minLength: 1, maxLength: 120, size: "max" }), (files) => {
          total += files.length;
          accepted += sameAsBash(files, false);
        }),
        { numRuns: 4 * SCALE },
      );
      if (SCALE > 1) console.log(`token soup: ${accepted} of ${total} files accepted and compared with bash`);
      // The comparison means something only if a fair share of the soup is accepted.
      expect(accepted / total).toBeGreaterThan(0.15);
    },
    60_000 * SCALE,
  );
});
