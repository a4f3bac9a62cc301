import { createHash, randomInt } from "node:crypto";

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
/** Symbols safe in a URL userinfo, a dotenv value and a shell word: none of / " @ space ' ` $ \ # &. */
const SYMBOLS = "-_.~+=^*!%";
const ALL = UPPER + LOWER + DIGITS + SYMBOLS;

/**
 * A 32-character master password as the spec describes it: upper and lower case, digits and symbols,
 * never `/`, `"`, `@` or a space (RDS refuses them), from the system's CSPRNG.
 */
export function generatePassword(length = 32): string {
  const chars = [UPPER, LOWER, DIGITS, SYMBOLS].map((set) => set[randomInt(set.length)]);
  while (chars.length < length) chars.push(ALL[randomInt(ALL.length)]);
  // Fisher-Yates, so the guaranteed classes are not always first.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join("");
}

/**
 * A deterministic client request token (UUID-shaped) for an idempotent AWS call: the same parts give
 * the same token, so a call repeated after an interruption is recognised by AWS as the same request.
 */
export function requestToken(...parts: string[]): string {
  const h = createHash("sha256").update(parts.join("\u0000")).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
