const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
/**
 * RFC 3986's unreserved punctuation (section 2.3): never %-escaped in a URL, and special to none of
 * the readers a password passes through: bash and dash (quoted, or unquoted but for a `~` starting
 * a word, which generatePassword never makes), dotenv readers, Python's ConfigParser interpolation
 * (Alembic's `%`), libpq's passfile (`:` and `\`), JDBC URLs. RDS refuses only / " @ and space in a
 * master password, so these are all accepted.
 */
const SYMBOLS = "-_.~";
const CLASSES = [UPPER, LOWER, DIGITS, SYMBOLS] as const;

/** Every character a generated password may hold: 66 of them. */
export const PASSWORD_ALPHABET = CLASSES.join("");

/**
 * The length of a generated password: 35 characters, the shortest over this 66-character alphabet
 * at least as strong as both generators it replaces (each counting only the passwords it can give):
 *
 *   new, 35 of 66 characters (each class, no ~ first):   211.4 bits
 *   old local, 32 of 88 (with $ # ? [ ] { } | ; ...):     206.7 bits
 *   old AWS, 32 of 72 (with % + = ^ * !):                 197.3 bits
 *   (32 of the new 66 would give 193.2 bits: weaker than both)
 *
 * Each figure is log2 of the number of equally likely passwords (the AWS one's is the Shannon entropy
 * of its "one of each class, then shuffle" scheme). Within RDS's limits: 8-128 characters for
 * PostgreSQL, 8-41 for MySQL and MariaDB.
 */
export const GENERATED_PASSWORD_LENGTH = 35;

/**
 * A new master password: `length` characters drawn uniformly from PASSWORD_ALPHABET (upper- and
 * lower-case letters, digits, `-_.~`) with at least one of each of those four classes, as the
 * generators it replaces had, and no `~` first (bash would take `~word` unquoted for a home folder).
 * Other candidates are drawn again (about 13% of them at length 35), so every acceptable password is
 * equally likely.
 *
 * `pick(n)` gives a uniform integer in [0, n); by default from the system's CSPRNG (randomIndex).
 * Throws a RangeError for a length below 4 (no room for every class).
 */
export function generatePassword(
  length: number = GENERATED_PASSWORD_LENGTH,
  pick: (n: number) => number = randomIndex,
): string {
  if (!Number.isInteger(length) || length < CLASSES.length) {
    throw new RangeError(`a generated password needs at least ${CLASSES.length} characters, not ${length}`);
  }
  for (;;) {
    let p = "";
    for (let i = 0; i < length; i++) p += PASSWORD_ALPHABET[pick(PASSWORD_ALPHABET.length)];
    if (p[0] !== "~" && CLASSES.every((set) => [...p].some((c) => set.includes(c)))) return p;
  }
}

/**
 * A uniform integer in [0, n) (n <= 2^32) from the system's CSPRNG through Web Crypto's
 * getRandomValues, dropping the few draws above the largest multiple of n so no value is favoured.
 * Web Crypto rather than node:crypto so that loading this module (the schema names the length)
 * costs `ebdb validate` nothing: the global loads the CSPRNG on first use.
 */
export function randomIndex(n: number): number {
  const limit = Math.floor(0x1_0000_0000 / n) * n;
  const draw = new Uint32Array(1);
  for (;;) {
    globalThis.crypto.getRandomValues(draw);
    if (draw[0] < limit) return draw[0] % n;
  }
}
