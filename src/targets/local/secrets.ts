import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { generatePassword } from "../../model/password.js";
import { Secret } from "../../model/secret.js";
import { readFileSafe, writeFileMode } from "./fs-safe.js";

/**
 * The master password: from the configuration when set, otherwise generated once (model/password.ts,
 * the same generator as on AWS) and kept in a 0600 file (the local stand-in for Secrets Manager),
 * never regenerated: a password made by an earlier ebdb, with characters the generator no longer
 * uses, stays as it is.
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

/** The internal credentials, generated (as the master password) and stored on first use. */
export async function internalSecrets(file: string): Promise<InternalSecrets> {
  const existing = await readInternalSecrets(file);
  if (existing) return existing;
  const made = { admin: generatePassword(), replication: generatePassword() };
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

/**
 * Whether a stored SCRAM-SHA-256 verifier (pg_authid.rolpassword,
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, RFC 5802/7677) is one of `password`.
 * False for anything else (no password, MD5, a malformed verifier).
 */
export function scramMatches(verifier: string | null, password: string): boolean {
  const m = /^SCRAM-SHA-256\$(\d{1,7}):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):[A-Za-z0-9+/=]+$/.exec(
    verifier ?? "",
  );
  if (!m) return false;
  const salted = pbkdf2Sync(
    password.normalize("NFKC"),
    Buffer.from(m[2], "base64"),
    Number(m[1]),
    32,
    "sha256",
  );
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const want = Buffer.from(m[3], "base64");
  return want.length === storedKey.length && timingSafeEqual(want, storedKey);
}

/** A libpq password-file line (host:port:db:user:password) with : and \ escaped. */
export function passfileLine(host: string, port: number, user: string, password: string): string {
  const esc = (s: string) => s.replace(/\\/g, "\\\\").replace(/:/g, "\\:");
  return `${esc(host)}:${port}:*:${esc(user)}:${esc(password)}\n`;
}
