// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are shell text, not templates.
import { describe, expect, it } from "vitest";
import { parseEnv } from "../../src/config/parse.js";
import { bashSource, changedVars, ORACLE_ENV } from "./bash-oracle.js";

/**
 * Bash equivalence, case by case: each file is sourced by bash itself (`set -a; . ./file`, with
 * ORACLE_ENV as its whole environment) and every variable it sets must have exactly our value.
 */
const CASES: Record<string, string> = {
  "plain unquoted values": "A=hello\nB=42\nC=db.t3.small\nD=/var/lib/x\n",
  "empty values in every form": "A=\nB=\"\"\nC=''\nD=\"\"''\n",
  "double quotes keep spaces and #": 'A="hello world"\nB="a # not a comment"\nC="  padded  "\n',
  "single quotes are literal": "A='$FOO ${FOO} \\n \\ \" `x`'\nB='a#b'\n",
  "escapes inside double quotes": 'A="q\\"q b\\\\s d\\$x t\\`x"\n',
  "other backslashes stay inside double quotes": 'A="\\n\\t\\a\\\'\\{"\n',
  "unquoted backslash escapes the next character": "A=a\\ b\\\"c\\'d\\\\e\\$f\\#g\\;h\\|i\\(j\n",
  "concatenation of quoted and unquoted parts": "A=a\"b c\"'d e'f\\ g\nB=\"\"x''y\n",
  "$NAME and ${NAME} from the environment": 'A=$FOO\nB=${FOO}\nC="[$FOO]"\nD="${FOO}_x"\nE=$FOO_x\n',
  "unset variables expand to nothing": 'A=$NOPE\nB="x${NOPE}y"\nC=${NOPE}\n',
  "keys defined earlier win over the environment": 'FOO=file\nA=$FOO\nB="${FOO}!"\n',
  "a later assignment of the same key wins": "A=1\nA=2\nB=$A\nA=3\n",
  "no word splitting and no globbing of expansions":
    "A=$SPACES\nB=$STAR\nexport C=$SPACES D=$STAR\nE=*\nF=f?.env\n",
  "expanded text is not expanded again": 'A=$TRICKY\nB="$TRICKY"\n',
  ":- and - defaults":
    "A=${NOPE:-d1}\nB=${EMPTY:-d2}\nC=${EMPTY-d3}\nD=${NOPE-d4}\nE=${FOO:-d5}\nF=${NOPE:-}\n",
  "defaults with nested quotes and expansions":
    'A=${NOPE:-"a b"}\nB=${NOPE:-\'a $b\'}\nC="${NOPE:-"x y"}"\nD=${NOPE:-a b  c}\nE=${NOPE:-$FOO}\nF=${NOPE:-${NADA:-deep}}\nG="${NOPE:-$FOO and ${EMPTY:-e}}"\n',
  "escaped braces and quotes in defaults":
    'A="${NOPE:-\\}}"\nB=${NOPE:-\\}}\nC="${NOPE:-\\"q\\"}"\nD=${NOPE:-a\\ b}\nE="${NOPE:-a\\ b}"\n',
  "defaults with characters that are special elsewhere":
    'A=${NOPE:-a #b}\nB="${NOPE:-a;b|c&d<e>f(g)}"\nC=${NOPE:-"a;b"}\n',
  "quoted defaults next to the forms bash misreads":
    'A="${NOPE:-"${FOO}"a}"\nB="${NOPE:-"$FOO"}"\nC="${NOPE:-"$FOO".}"\nD="${NOPE:-"<(a"}"\nE="<(a"\nF=${NOPE:-"$FOO"a}\n',
  "defaults are taken from earlier keys": "B=x\nA=${B:-no}\nC=${B-no}\nE=\nD=${E:-yes}${E-no}\n",
  "comments on their own line and after values":
    '# a comment\n  # indented\nA=1 # trailing\nB="x"   # after quotes\n#C=commented out\nD=x\t# after a tab\n',
  "# inside a word is not a comment": 'A=a#b\nB=#x\nC="x"#y\nD=${NOPE:-#}\n',
  "the spec's own lines":
    'DB_BACKUP_RETENTION_DAYS="7"         # 0-35 days (0 = disabled)\nDB_BACKUP_WINDOW="03:00-04:00"       # Daily backup window (UTC)\nDB_STORAGE_AUTOSCALING_ENABLED="true"   # Enable storage autoscaling\nDB_MASTER_PASSWORD=""\nDB_ENGINE="mysql"\nDB_ENGINE_VERSION="8.0.35"\n',
  "tilde at the start and after colons": "A=~\nB=~/data\nC=/a:~/b:~\nD=~:x\nE=x:~\n",
  "tilde that bash leaves alone": 'A="~"\nB=\'~\'\nC=\\~\nD=a~b\nE=x":"~\nF="~/x"\n',
  "tilde in defaults": 'A=${NOPE:-~}\nB=${NOPE:-~/d:~}\nC=x${NOPE:-~}\nD="${NOPE:-~}"\n',
  "tilde follows HOME set earlier in the file": "HOME=/other\nA=~/x\n",
  "export lines": 'export A=1\nexport  B="x y"\nexport\tC=3\n  export D=4 # c\nexport FOO\n',
  "export expands all words before assigning": "export A=1 B=$A\nexport HOME=/new C=~\n",
  "several assignments on one line": 'A=1 B=$A C="$B x"\nD= E=5\n',
  "leading blanks": "   A=1\n\t\tB=2\n \t C=3\n",
  "unicode values": 'A=日本語\nB="é $FOO"\nC=😀\nD=\\😀\nE=\u00a0nbsp\u00a0\n',
  "$ that starts nothing is literal":
    'A=a$\nB="a$"\nC=$.$/$%$,$+$=$^$~\nD="$\'x\'"\nE="$\\""\nF=$}\nG=${NOPE:-$}\nH=$é\n',
  "characters with no meaning in assignments": "A=a=b=c\nB=x,y\nC=@%+^!?*[]\nD={a,b}\nE=}\n",
  "names of every shape": "_A=1\na1=2\nlower=3\nA_B_C=4\nexport=5\nif=6\n",
  "no newline at the end of the file": "A=1\nB=last",
  "blank lines and whitespace-only lines": "\n\nA=1\n   \n\t\nB=2\n\n",
};

const ALL = Object.entries(CASES);
// One bash process for every case (fast); each case is still its own test below.
const outcomes = bashSource(
  ALL.map(([, text]) => text),
  ORACLE_ENV,
);

describe("parseEnv gives exactly what bash gives", () => {
  ALL.forEach(([name, text], i) => {
    it(name, () => {
      const ours = parseEnv(text, ORACLE_ENV);
      expect(ours.problems).toEqual([]);
      expect(outcomes[i].stderr).toBe("");
      expect(changedVars(ours, ORACLE_ENV)).toEqual(outcomes[i].vars);
      expect(ours.entries.length).toBeGreaterThan(0);
    });
  });
});

describe("the documented deviations", () => {
  const lf = 'A=1\nB="x y" # c\nC=3\n';
  const [bash] = bashSource([lf], ORACLE_ENV);

  it("CRLF line ends give the values bash gives for the same file with LF ends", () => {
    const ours = parseEnv(lf.replaceAll("\n", "\r\n"), ORACLE_ENV);
    expect(ours.problems).toEqual([]);
    expect(changedVars(ours, ORACLE_ENV)).toEqual(bash.vars);
  });

  it("a UTF-8 byte-order mark at the start is skipped", () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(lf)]);
    const ours = parseEnv(bytes, ORACLE_ENV);
    expect(ours.problems).toEqual([]);
    expect(changedVars(ours, ORACLE_ENV)).toEqual(bash.vars);
  });

  it("bash would keep the CR in the value (why we strip it)", () => {
    const [crlf] = bashSource(["A=1\r\n"], ORACLE_ENV);
    expect(crlf.vars.A).toBe("1\r");
    expect(parseEnv("A=1\r\n", ORACLE_ENV).entries[0].value).toBe("1");
  });
});

describe("forms bash 5 misreads, which parseEnv refuses", () => {
  it('"${NOPE:-"$FOO"a}" is not "fooa" in bash but the value of $FOOa', () => {
    const [bash] = bashSource(['A="${NOPE:-"$FOO"a}"\n'], { ...ORACLE_ENV, FOOa: "surprise" });
    expect(bash.vars.A).toBe("surprise");
    expect(parseEnv('A="${NOPE:-"$FOO"a}"', ORACLE_ENV).problems).toHaveLength(1);
  });

  it('bash parses "${NOPE:-<(x}" as the start of a process substitution (a syntax error)', () => {
    const [bash] = bashSource(['A="${NOPE:-<(x}"\n'], ORACLE_ENV);
    expect(bash.stderr).toMatch(/unexpected EOF/);
    expect(parseEnv('A="${NOPE:-<(x}"', ORACLE_ENV).problems).toHaveLength(1);
  });
});

describe("values in a UTF-8 locale", () => {
  const text = 'A=é日本😀\nB="$UNI x"\nC=${NOPE:-ü}\nD=\\é\n';
  it("are the same as in the C locale", () => {
    const env = { ...ORACLE_ENV, LC_ALL: "C.UTF-8" };
    const [bash] = bashSource([text], env);
    const ours = parseEnv(text, env);
    expect(ours.problems).toEqual([]);
    expect(changedVars(ours, env)).toEqual(bash.vars);
  });
});
