// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are shell text, not templates.
import { describe, expect, it } from "vitest";
import { formatProblem } from "../../src/config/format-problem.js";
import { parseEnv } from "../../src/config/parse.js";

/** CPU time this process has used, in ms (wall time on a shared CI machine is too noisy). */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

const ENV = { HOME: "/home/me", FOO: "foo", EMPTY: "" };

function value(text: string, env: Record<string, string> = ENV): string | undefined {
  const r = parseEnv(text, env);
  expect(r.problems).toEqual([]);
  return r.entries.at(-1)?.value;
}

describe("values", () => {
  const table: [string, string][] = [
    ["A=plain", "plain"],
    ["A=", ""],
    ['A=""', ""],
    ["A=''", ""],
    ['A="two words"', "two words"],
    ["A='$FOO \\ \"'", '$FOO \\ "'],
    ['A="\\"\\\\\\$\\`"', '"\\$`'],
    ['A="\\n\\a"', "\\n\\a"],
    ["A=a\\ b\\$c", "a b$c"],
    ["A=a\"b\"'c'\\d", "abcd"],
    ["A=$FOO", "foo"],
    ["A=${FOO}bar", "foobar"],
    ["A=$FOObar", ""],
    ["A=$NOPE", ""],
    ["A=${NOPE:-x y}", "x y"],
    ["A=${EMPTY:-d}", "d"],
    ["A=${EMPTY-d}", ""],
    ["A=${NOPE-d}", "d"],
    ["A=${FOO:-d}", "foo"],
    ['A="${NOPE:-"a b"}"', "a b"],
    ["A=${NOPE:-'$x'}", "$x"],
    ["A=${NOPE:-${NADA:-deep}}", "deep"],
    ['A="${NOPE:-\\}}"', "}"],
    ["A=~", "/home/me"],
    ["A=~/x", "/home/me/x"],
    ["A=a:~/b:~", "a:/home/me/b:/home/me"],
    ['A="~"', "~"],
    ["A=a~", "a~"],
    ["A=${NOPE:-~/d}", "/home/me/d"],
    ["A=b#c", "b#c"],
    ["A=b #c", "b"],
    ['DB_BACKUP_WINDOW="03:00-04:00"       # Daily backup window (UTC)', "03:00-04:00"],
    ["A=a$", "a$"],
    ['A="$"', "$"],
    ["A=$.", "$."],
    ["A=\"$'x'\"", "$'x'"],
    ["A=x=y", "x=y"],
    ["A=*", "*"],
    ["A=日本😀", "日本😀"],
    ["  export A=1", "1"],
    ["A=1 B=$A", "1"],
  ];
  it.each(table)("%s gives %j", (text, expected) => {
    expect(value(text)).toBe(expected);
  });

  it("expands keys defined earlier in the file before the environment", () => {
    expect(value("FOO=file\nA=$FOO")).toBe("file");
  });

  it("expands all words of an export line before assigning any, as bash does", () => {
    const r = parseEnv("A=old\nexport A=new B=$A", ENV);
    expect(r.entries.map((e) => [e.key, e.value])).toEqual([
      ["A", "old"],
      ["A", "new"],
      ["B", "old"],
    ]);
  });

  it("keeps every assignment of a key, in file order, each with its line and export flag", () => {
    const r = parseEnv("# c\nA=1\n\nexport A=2 B=3\nexport C\n", ENV);
    expect(r.problems).toEqual([]);
    expect(r.entries).toEqual([
      { key: "A", value: "1", line: 2, exported: false },
      { key: "A", value: "2", line: 4, exported: true },
      { key: "B", value: "3", line: 4, exported: true },
    ]);
  });

  it("looks up only the environment's own values (no prototype names)", () => {
    expect(value("A=$constructor$toString${__proto__:-d}")).toBe("d");
    expect(value("A=$X", { X: undefined } as unknown as Record<string, string>)).toBe("");
  });

  it("accepts bytes, skips a UTF-8 BOM and drops the CR of CRLF", () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('A=1\r\nB="x"\r\n')]);
    const r = parseEnv(bytes, ENV);
    expect(r.problems).toEqual([]);
    expect(r.entries.map((e) => e.value)).toEqual(["1", "x"]);
    expect(parseEnv("\uFEFFA=1", ENV).entries[0].key).toBe("A");
  });
});

describe("refusals", () => {
  // [line of the file, line number reported, what the message says]
  const table: [string, string, number, RegExp][] = [
    ["command substitution", "A=1\nB=$(whoami)", 2, /command substitution \$\(\.\.\.\)/],
    ["backticks", "A=`id`", 1, /command substitution `\.\.\.`/],
    ["backticks in double quotes", 'A="`id`"', 1, /command substitution/],
    ["arithmetic", "\nA=$((1+2))", 2, /arithmetic expansion/],
    ["old arithmetic", "A=$[1+2]", 1, /arithmetic expansion/],
    ["length", "A=${#FOO}", 1, /length/],
    ["assign default", "A=${B:=x}", 1, /\$\{NAME:=\.\.\.\} is not supported/],
    ["alternative", "A=${B:+x}", 1, /\$\{NAME:\+\.\.\.\} is not supported/],
    ["error form", "A=${B?x}", 1, /\$\{NAME\?\.\.\.\}/],
    ["pattern substitution", "A=${B/x/y}", 1, /\$\{NAME\/\.\.\.\}/],
    ["substring", "A=${B:1}", 1, /\$\{NAME:1\.\.\.\}/],
    ["indirection", "A=${!B}", 1, /indirection/],
    ["positional parameter", "A=$1", 1, /\$1 is a special parameter/],
    ["all arguments", 'A="$@"', 1, /\$@ is a special parameter/],
    ["process id", "A=$$", 1, /\$\$ is a special parameter/],
    ["exit status", "A=$?", 1, /\$\? is a special parameter/],
    ["exit status in braces", "A=${?}", 1, /\$\{\?\} is a special parameter/],
    ["bash's own variable", "A=$RANDOM", 1, /\$RANDOM is set by bash itself/],
    ["bash's own variable in braces", "A=${BASH_VERSION}", 1, /set by bash itself/],
    ["assigning a bash variable", "PPID=1", 1, /PPID is a variable bash manages itself/],
    ["ANSI-C quoting", "A=$'x'", 1, /ANSI-C quoting/],
    ["translated string", 'A=$"x"', 1, /translated string/],
    ["bad substitution", "A=${}", 1, /without a valid name/],
    ["unclosed ${", "A=${FOO", 1, /never closed/],
    ["array", "A=(x y)", 1, /arrays are not supported/],
    ["array element", "A[0]=x", 1, /array elements/],
    ["append", "A+=x", 1, /append/],
    ["unterminated double quote", 'A="abc', 1, /double quote is not closed/],
    ["unterminated single quote", "A='abc", 1, /single quote is not closed/],
    ["trailing backslash", "A=abc\\", 1, /backslash at the end of the line/],
    ["semicolon", "A=1;", 1, /unquoted ; is shell syntax/],
    ["pipe", "A=a|b", 1, /unquoted \| is shell syntax/],
    ["background", "A=1 &", 1, /unquoted & is shell syntax/],
    ["redirection", "A=1 >out", 1, /unquoted > is shell syntax/],
    ["input redirection", "A=a<b", 1, /unquoted < is shell syntax/],
    ["parenthesis inside a value", "A=a(b", 1, /unquoted \( is shell syntax/],
    ["closing parenthesis", "A=a)", 1, /unquoted \) is shell syntax/],
    ["a word after the value", "A=two words", 1, /a word follows the value of A: bash would run it/],
    ["space after =", "A= value", 1, /a word follows the value of A/],
    ["space before =", "A =value", 1, /`A` is followed by a space before =/],
    ["set -a", "set -a", 1, /`set` is a shell command/],
    ["source", "source other.env", 1, /`source` is a shell command/],
    ["if", "if true; then A=1; fi", 1, /`if` is a shell command/],
    ["bare key", "DB_PORT", 1, /`DB_PORT` has no = and no value/],
    ["not an assignment", "hello world", 1, /not an assignment/],
    ["key starting with a digit", "1A=x", 1, /`1A` is not a valid key/],
    ["key with a dash", "A-B=x", 1, /`A-B` is not a valid key/],
    ["missing key", "=x", 1, /= has no key/],
    ["export alone", "export", 1, /export with no name/],
    ["export options", "export -n A", 1, /options of export/],
    ["export of an invalid name", "export 1A=x", 1, /`1A` is not a valid key/],
    ["bare name after an export assignment", "export A=my value", 1, /bare name follows an assignment/],
    ["brace expansion on an export line", "export A={a,b}", 1, /brace expansion/],
    ["~user", "A=~root/x", 1, /~user/],
    ["~ followed by a quote", 'A=~"x"', 1, /~user, ~\+, ~- and ~ followed by a quote/],
    ["a brace in a default", "A=${B:-{x}}", 1, /unquoted \{ inside \$\{\.\.\.\}/],
    ["single quotes in a quoted default", "A=\"${B:-'x'}\"", 1, /single quote inside/],
    ["$NAME, quote, letter in a quoted default", 'A="${B:-"$FOO"x}"', 1, /as one longer name/],
    ["process substitution in a quoted default", 'A="${B:-<(x)}"', 1, /unquoted \( is shell syntax/],
    ["a NUL byte", "A=1\nB=x\0y", 2, /NUL byte/],
    ["a control character", "A=x\u0007y", 1, /control character U\+0007/],
    ["a lone carriage return", "A=x\ry", 1, /carriage return/],
    ["a lone surrogate", "A=1\nB=\uD800", 2, /not valid UTF-8/],
  ];

  it.each(table)("%s", (_name, text, line, message) => {
    const r = parseEnv(text, ENV);
    expect(r.problems).toHaveLength(1);
    const [p] = r.problems;
    expect(p).toMatchObject({ severity: "error", line });
    expect(p.message).toMatch(message);
    expect(p.hint?.length).toBeGreaterThan(10);
    // As a user sees it: file and line first, like a compiler.
    expect(formatProblem("config.env", p)).toMatch(new RegExp(`^config\\.env:${line}: error: `));
    expect(r.entries.filter((e) => e.line === line)).toEqual([]);
  });

  it("names the key and the column of the construct", () => {
    const [p] = parseEnv('A=1\nDB_NAME="x" B="ok$(id)"', ENV).problems;
    expect(p).toMatchObject({ line: 2, key: "B" });
    expect(p.message).toMatch(/\(column 18\)$/);
  });

  it("counts columns in characters, not UTF-16 units", () => {
    expect(parseEnv("A=😀😀$(x)", ENV).problems[0].message).toMatch(/column 5/);
  });

  it("says what a valid key is", () => {
    expect(parseEnv("MY-KEY=1", ENV).problems[0].hint).toMatch(
      /starts with a letter or an underscore.*digits/,
    );
  });

  it("reports every bad line, and still reads the good ones", () => {
    const text = ["A=1", "B=$(id)", "C=2", "set -a", "D=`x`", "E=$C"].join("\n");
    const r = parseEnv(text, ENV);
    expect(r.problems.map((p) => p.line)).toEqual([2, 4, 5]);
    expect(r.entries.map((e) => `${e.key}=${e.value}`)).toEqual(["A=1", "C=2", "E=2"]);
  });

  it("gives no entry from a line with a problem, even for its good assignments", () => {
    const r = parseEnv("A=1 B=$(id)\nC=$A", ENV);
    // ...so $A on the next line is not a key above: bash would take A from the caller's environment.
    expect(r.entries).toEqual([
      {
        key: "C",
        value: "",
        line: 2,
        exported: false,
        fromCaller: [{ name: "A", syntax: "$", set: false }],
      },
    ]);
  });

  it("reports a quote closed on a later line once, and skips the lines bash joins to it", () => {
    const r = parseEnv('A="first\nsecond line\nthird" \nB=ok\nC=$(x)', ENV);
    expect(r.problems.map((p) => p.line)).toEqual([1, 5]);
    expect(r.problems[0].message).toMatch(
      /double quote \(column 3\) is closed only on line 3: values cannot span lines/,
    );
    expect(r.entries.map((e) => e.key)).toEqual(["B"]);
  });

  it("goes on with the next line when a quote is never closed", () => {
    const r = parseEnv("A=don't\nB=1\nC=`x`", ENV);
    expect(r.problems.map((p) => p.line)).toEqual([1, 3]);
    expect(r.entries.map((e) => e.key)).toEqual(["B"]);
  });

  it("skips the lines a trailing backslash joins", () => {
    const r = parseEnv("A=a\\\nb\\\nc\nB=2", ENV);
    expect(r.problems.map((p) => p.line)).toEqual([1]);
    expect(r.entries.map((e) => e.key)).toEqual(["B"]);
  });

  it("reports each line with invalid UTF-8 bytes and reads the others", () => {
    const enc = new TextEncoder();
    const bytes = new Uint8Array([...enc.encode("A=1\nB="), 0xc3, 0x28, ...enc.encode("\nC=ü\n")]);
    const r = parseEnv(bytes, ENV);
    expect(r.problems).toMatchObject([{ line: 2, message: "the line is not valid UTF-8 text" }]);
    expect(r.entries.map((e) => e.value)).toEqual(["1", "ü"]);
  });

  it("refuses ~ when HOME is not set (bash would ask the system)", () => {
    expect(parseEnv("A=~", {}).problems[0].message).toMatch(/HOME, which is not set/);
    expect(value("HOME=/x\nA=~", {})).toBe("/x");
  });

  it("never puts the words of a refused value into the message", () => {
    for (const text of [
      "DB_MASTER_PASSWORD=Sup3r Secr3t!",
      "DB_MASTER_PASSWORD=Sup3r Se-x=cr3t",
      'DB_MASTER_PASSWORD="Sup3rSecr3t',
      "DB_MASTER_PASSWORD=Sup3r$(Secr3t)",
      "export DB_MASTER_PASSWORD=Sup3r Secr3t",
    ]) {
      const [p] = parseEnv(text, ENV).problems;
      expect(`${p.message} ${p.hint}`).not.toMatch(/Sup3r|Secr3t/);
    }
  });
});

describe("robustness", () => {
  it("refuses nesting too deep for a stack instead of overflowing it", () => {
    const deep = `A=${"${X:-".repeat(5000)}x${"}".repeat(5000)}`;
    expect(parseEnv(deep, ENV).problems[0].message).toMatch(/nested too deeply/);
  });

  it("parses a huge line in linear time", () => {
    // 1.2 MB on one line: linear is milliseconds, anything quadratic would take minutes.
    const line = `A="${"x\\$y ".repeat(200_000)}"`;
    const start = cpuMs();
    const r = parseEnv(line, ENV);
    expect(cpuMs() - start).toBeLessThan(3000);
    expect(r.entries[0].value.length).toBe(200_000 * 4);
  });

  it("parses a 10,000-line file in well under 50 ms", () => {
    const lines: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      lines.push(
        i % 5 === 0
          ? `# comment ${i}`
          : `export KEY_${i}="value ${i} \${KEY_${i - 1}:-none}" # note ${i % 3 === 0 ? "'quoted'" : ""}`,
      );
    }
    const text = lines.join("\n");
    // CPU time, best of several runs after warming up: what the code costs, not what a busy machine adds.
    for (let k = 0; k < 5; k++) parseEnv(text, ENV);
    let best = Number.POSITIVE_INFINITY;
    for (let k = 0; k < 7; k++) {
      const start = cpuMs();
      const r = parseEnv(text, ENV);
      best = Math.min(best, cpuMs() - start);
      expect(r.entries).toHaveLength(8000);
    }
    expect(best).toBeLessThan(50);
  });
});
