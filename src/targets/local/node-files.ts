import * as fs from "node:fs/promises";
import { join } from "node:path";
import type { Secret } from "../../model/secret.js";
import { autoConf, pgHbaConf, postgresqlConf, type ServerSettings } from "./conf.js";
import { readFileSafe, writeFileMode } from "./fs-safe.js";
import { exists } from "./fs-util.js";
import type { Layout } from "./layout.js";
import { nodeDir } from "./layout.js";
import { passfileLine } from "./secrets.js";
import type { ServerUser } from "./server-user.js";
import { selfSignedCertificate } from "./tls.js";

/** The project's certificate and key (made once, in pure Node), as PEM. */
export async function projectCertificate(l: Layout): Promise<{ cert: string; key: string }> {
  const certFile = join(l.tlsDir, "server.crt");
  const keyFile = join(l.tlsDir, "server.key");
  const [cert, key] = await Promise.all([readFileSafe(certFile), readFileSafe(keyFile)]);
  if (cert && key) return { cert, key };
  // Root's (tls/ is root's): each data directory gets its own copy, owned by its server.
  const made = selfSignedCertificate(l.identifier);
  await writeFileMode(certFile, made.cert, 0o644);
  await writeFileMode(keyFile, made.key, 0o600);
  return made;
}

export function passfileOf(l: Layout, name: string): string {
  return join(nodeDir(l, name), "pgpass");
}

/**
 * Writes everything ebdb manages in a data directory: postgresql.conf, pg_hba.conf, the TLS
 * certificate, the signal file for the role, and for replicas a 0600 password file (never the
 * password in primary_conninfo). `auto` (postgresql.auto.conf, ALTER SYSTEM's file) is written only
 * when given, at creation.
 */
export async function writeNodeFiles(
  pgdata: string,
  s: ServerSettings,
  user: ServerUser,
  opts: {
    cert: { cert: string; key: string };
    auto?: Record<string, string>;
    password?: { user: string; secret: Secret };
  },
): Promise<void> {
  const writes: Promise<void>[] = [
    writeFileMode(join(pgdata, "postgresql.conf"), postgresqlConf(s), 0o600, user),
    writeFileMode(join(pgdata, "pg_hba.conf"), pgHbaConf(), 0o600, user),
    writeFileMode(join(pgdata, "server.crt"), opts.cert.cert, 0o600, user),
    writeFileMode(join(pgdata, "server.key"), opts.cert.key, 0o600, user),
  ];
  if (opts.auto)
    writes.push(writeFileMode(join(pgdata, "postgresql.auto.conf"), autoConf(opts.auto), 0o600, user));
  if (s.standby && opts.password) {
    writes.push(
      writeFileMode(
        s.standby.passfile,
        passfileLine("127.0.0.1", s.standby.primaryPort, opts.password.user, opts.password.secret.reveal()),
        0o600,
        user,
      ),
    );
  }
  await Promise.all(writes);
  const standby = join(pgdata, "standby.signal");
  const recovery = join(pgdata, "recovery.signal");
  if (s.role === "replica") {
    if (!(await exists(standby))) await writeFileMode(standby, "", 0o600, user);
  } else {
    await fs.rm(standby, { force: true });
  }
  if (s.recovery) await writeFileMode(recovery, "", 0o600, user);
}
