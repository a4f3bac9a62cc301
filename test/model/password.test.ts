import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parseEnv } from "../../src/config/parse.js";
import {
  GENERATED_PASSWORD_LENGTH,
  generatePassword,
  PASSWORD_ALPHABET,
  randomIndex,
} from "../../src/model/password.js";
import { generatePassword as awsGenerator } from "../../src/targets/aws/password.js";
import { passfileLine } from "../../src/targets/local/secrets.js";

const UNRESERVED = /^[A-Za-z0-9\-_.~]+$/;
const many = (n: number, gen = () => generatePassword()) => Array.from({ length: n }, gen);

describe("generated passwords (one generator for both targets)", () => {
  it("are 35 characters of letters, digits and -_.~ only, with one of each class", () => {
    expect(GENERATED_PASSWORD_LENGTH).toBe(35);
    expect(PASSWORD_ALPHABET).toHaveLength(66);
    for (const p of many(2000)) {
      expect(p).toHaveLength(35);
      expect(p).toMatch(UNRESERVED);
      for (const re of [/[a-z]/, /[A-Z]/, /[0-9]/, /[-_.~]/]) expect(p).toMatch(re);
    }
  });

  it("the AWS target uses the same generator", () => {
    expect(awsGenerator).toBe(generatePassword);
  });

  it("need no escaping: URL userinfo, libpq passfile, ConfigParser %, bash double quotes", () => {
    for (const p of many(500)) {
      expect(encodeURIComponent(p)).toBe(p);
      expect(passfileLine("h", 1, "u", p)).toBe(`h:1:*:u:${p}\n`);
      expect(p).not.toMatch(/[%$`\\"'!#&;|<>(){}[\]*?:=+^,@/ ]/);
      // config.env (bash semantics) gives the value back unchanged, quoted or not.
      for (const line of [`K=${p}`, `K="${p}"`, `K='${p}'`]) {
        expect(parseEnv(line, {}).entries[0]?.value).toBe(p);
      }
    }
  });

  it("bash itself reads them back unchanged, unquoted", () => {
    const ps = many(50);
    const script = ps.map((p, i) => `P${i}=${p}; printf '%s\\n' "$P${i}"`).join("\n");
    const out = spawnSync("bash", ["--norc", "--noprofile", "-c", script], { encoding: "utf8" });
    expect(out.stdout.trimEnd().split("\n")).toEqual(ps);
  });

  it("never start with ~ (bash would read ~word, unquoted, as a home folder)", () => {
    expect(many(3000).filter((p) => p.startsWith("~"))).toEqual([]);
    // ...while the other symbols do come first, and ~ comes later.
    const firsts = new Set(many(3000).map((p) => p[0]));
    for (const c of "-_.") expect(firsts).toContain(c);
  });

  it("every character of the alphabet is used, equally often within its class", () => {
    const counts = new Map<string, number>();
    for (const p of many(3000)) for (const c of p) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual([...PASSWORD_ALPHABET].sort());
    // The class requirement makes a rare class (the 4 symbols) a little more frequent than 4/66,
    // but within a class every character is equally likely. Chi-square over the classes' 62
    // degrees of freedom: 150 is exceeded with probability below 1e-12.
    let chi2 = 0;
    for (const cls of ["ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz", "0123456789", "-_.~"]) {
      const n = [...cls].map((c) => counts.get(c) ?? 0);
      const expected = n.reduce((a, b) => a + b, 0) / n.length;
      chi2 += n.reduce((s, k) => s + (k - expected) ** 2 / expected, 0);
    }
    expect(chi2).toBeLessThan(150);
  });

  it("draws again until each class is present, so the draw is uniform over acceptable passwords", () => {
    // A source that yields AAAA (no lower case, digit or symbol), then ~aA0 (~ first), then Aa0~.
    const script = [0, 0, 0, 0, 65, 26, 0, 52, 0, 26, 52, 65];
    let i = 0;
    const pick = (n: number) => {
      expect(n).toBe(66);
      return script[i++];
    };
    expect(generatePassword(4, pick)).toBe("Aa0~");
    expect(i).toBe(12);
  });

  it("refuses a length with no room for every class", () => {
    expect(() => generatePassword(3)).toThrow(RangeError);
    expect(() => generatePassword(4.5)).toThrow(RangeError);
  });

  it("randomIndex is uniform over [0, n), for n that do and do not divide 2^32", () => {
    expect(randomIndex(1)).toBe(0);
    for (const n of [2, 3, 66]) {
      const counts = new Array(n).fill(0);
      const draws = 2000 * n;
      for (let i = 0; i < draws; i++) {
        const k = randomIndex(n);
        expect(Number.isInteger(k) && k >= 0 && k < n).toBe(true);
        counts[k]++;
      }
      // Chi-square with n-1 degrees of freedom: below n-1 + 10 sqrt(2(n-1)) but for 1e-9 chances.
      const chi2 = counts.reduce((s, c) => s + (c - 2000) ** 2 / 2000, 0);
      expect(chi2).toBeLessThan(n - 1 + 10 * Math.sqrt(2 * (n - 1)) + 10);
    }
  });
});
