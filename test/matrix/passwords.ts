import { generatePassword } from "../../src/model/password.js";

/**
 * Every character a hand-set master password may hold: printable ASCII but / " @ and space, which
 * RDS refuses (src/config/rules-password.ts).
 */
export const ALLOWED = [...Array(0x7f - 0x21).keys()]
  .map((i) => String.fromCharCode(0x21 + i))
  .filter((c) => !'/"@'.includes(c))
  .join("");

/**
 * Hand-set passwords chosen for what breaks readers: command substitution in every spelling (each
 * one, if run, creates a file named INJ* in the working folder), quotes, backslashes, dollars,
 * python-dotenv's ${...}, configparser's %, comment and list characters, a leading -.
 */
// biome-ignore-start lint/suspicious/noTemplateCurlyInString: shell and dotenv syntax in passwords, on purpose
const CRAFTED = [
  "Ab1`touch${IFS}INJ01`x",
  "Ab1$(touch${IFS}INJ02)x",
  "'$(touch${IFS}INJ03)'",
  "a'b`touch${IFS}INJ04`c",
  "x\\`touch${IFS}INJ05\\`",
  "$(id>INJ06)$(id>INJ07)",
  "`id>INJ08`;id>INJ09;#",
  "-leading-dash1A",
  "--help-Ab1!",
  "-c'select'1",
  "it's-Ab1",
  "back\\slash\\",
  "two\\\\backslashes",
  "\\'quote\\'",
  "${HOME}Ab1",
  "${X:-dflt}Ab1",
  "$HOME$1$$$?$!$#$-$@$*",
  "%41%zz%%(x)s%",
  "#hash!bang&amp;semi;",
  "!!:0!$!-1",
  "~root*?[a-z]{1,2}",
  "a=b&c=d+e%20f",
  "<>|^(){}[]:,.",
  ALLOWED.slice(0, 40),
  ALLOWED.slice(40),
  ALLOWED.slice(20, 60),
];
// biome-ignore-end lint/suspicious/noTemplateCurlyInString: shell and dotenv syntax in passwords, on purpose

/** A small seeded generator (mulberry32), so every run draws the same passwords. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` passwords of 8-64 characters drawn uniformly from ALLOWED (seeded). */
function drawn(n: number, seed: number): string[] {
  const rnd = seeded(seed);
  return Array.from({ length: n }, () => {
    const len = 8 + Math.floor(rnd() * 57);
    return Array.from({ length: len }, () => ALLOWED[Math.floor(rnd() * ALLOWED.length)]).join("");
  });
}

/** The matrix's size: how many generated and how many drawn hand-set passwords (README's figures). */
export const MATRIX_SIZE = { generated: 3, drawn: 54 } as const;

export interface PasswordCase {
  id: string;
  kind: "generated" | "hand-set";
  password: string;
}

/** The matrix's passwords: generated ones (ebdb's generator) and hand-set ones (crafted and drawn). */
export function passwordCases(opts: { generated: number; drawn: number }): PasswordCase[] {
  const gen = Array.from({ length: opts.generated }, () => generatePassword());
  const hand = [...CRAFTED, ...drawn(opts.drawn, 20261130)];
  return [
    ...gen.map((password, i) => ({ id: `g${i + 1}`, kind: "generated" as const, password })),
    ...hand.map((password, i) => ({ id: `h${i + 1}`, kind: "hand-set" as const, password })),
  ];
}
