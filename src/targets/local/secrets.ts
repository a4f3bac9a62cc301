import { createHash, createHmac, pbkdf2Sync, randomBytes, randomInt } from "node:crypto";
import { Secret } from "../../model/secret.js";
import { readFileSafe, writeFileMode } from "./fs-safe.js";

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS = "0123456789";
/** Printable punctuation except what the spec forbids (/ " @) and what breaks quoting in files and URLs. */
const SYMBOLS = "!#$%&()*+,-.:;<=>?[]^_{|}~";
const ALPHABET = LOWER + UPPER + DIGITS + SYMBOLS;

/** A 32-character password as the spec asks: upper, lower, digits and symbols, none of / " @ or space. */
export function generatePassword(length = 32): string {
  for (;;) {
    let p = "";
    for (let i = 0; i < length; i++) p += ALPHABET[randomInt(ALPHABET.length)];
    if ([LOWER, UPPER, DIGITS, SYMBOLS].every((set) => [...p].some((c) => set.includes(c)))) return p;
  }
}

/**
 * The master password: from the configuration when set, otherwise generated once and kept in a
 * 0600 file (the local stand-in for Secrets Manager), never regenerated.
 */
export async function masterPassword(
  file: string,
  configured: Secret | null,
): Promise<{ secret: Secret; created: boolean }> {
  if (configured) {
    // A different stored password is the one the server still has: `up` changes it, then this file.
    if (!(await readPasswordFile(file))) await writeFileMode(file, configured.reveal(), 0o600);
    return { secret: configured, created: false };
  }
  const existing = await readPasswordFile(file);
  if (existing) return { secret: existing, created: false };
  const secret = new Secret(generatePassword());
  await writeFileMode(file, secret.reveal(), 0o600);
  return { secret, created: true };
}

export async function readPasswordFile(file: string): Promise<Secret | null> {
  const v = await readFileSafe(file);
  return v ? new Secret(v) : null;
}

/** ebdb's own credentials for one database: never handed to the application (see roles.ts). */
export interface InternalSecrets {
  /** The internal superuser rdsadmin's password. */
  admin: Secret;
  /** The replication user rdsrepladmin's password (replicas keep it in their password file). */
  replication: Secret;
}

/** The internal credentials from their 0600 file; null when there is none. */
export async function readInternalSecrets(file: string): Promise<InternalSecrets | null> {
  const text = await readFileSafe(file);
  if (!text) return null;
  const j = JSON.parse(text) as { admin?: string; replication?: string };
  if (!j.admin || !j.replication) return null;
  return { admin: new Secret(j.admin), replication: new Secret(j.replication) };
}

/** The internal credentials, generated (32 URL-safe characters each) and stored on first use. */
export async function internalSecrets(file: string): Promise<InternalSecrets> {
  const existing = await readInternalSecrets(file);
  if (existing) return existing;
  const make = () => randomBytes(24).toString("base64url");
  const made = { admin: make(), replication: make() };
  await writeFileMode(file, `${JSON.stringify(made)}\n`, 0o600);
  return { admin: new Secret(made.admin), replication: new Secret(made.replication) };
}

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password. ALTER ROLE ... PASSWORD '<verifier>'
 * stores it as is, so the password itself never travels in SQL (nor into a server log).
 */
export function scramVerifier(password: string, iterations = 4096): string {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password.normalize("NFKC"), salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

/** A libpq password-file line (host:port:db:user:password) with : and \ escaped. */
export function passfileLine(host: string, port: number, user: string, password: string): string {
  const esc = (s: string) => s.replace(/\\/g, "\\\\").replace(/:/g, "\\:");
  return `${esc(host)}:${port}:*:${esc(user)}:${esc(password)}\n`;
}
