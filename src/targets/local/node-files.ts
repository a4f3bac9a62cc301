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
import { type CertificatePem, isSignedBy, localCa, serverCertificate } from "./tls.js";

/**
 * The project's CA certificate as the application reads it: `.ebdb/<identifier>/ca.crt` beside
 * config.env, mode 0644 (it is public). As root its folders are 0711, so an application running as
 * another user that can reach the project folder reads it by this path (listing stays refused).
 */
export function caCertFile(l: Layout): string {
  return join(l.stateDir, "ca.crt");
}

const inflight = new Map<string, Promise<CertificatePem & { ca: string }>>();

/**
 * The certificate and key every server of the project presents, signed by the project's CA (made
 * once, in tls/ beside the data: its key is root's, 0600). A certificate the CA did not sign (an
 * older ebdb's self-signed one), or one ending within 30 days, is replaced by a new one. Keeps the
 * application's copy of the CA certificate (caCertFile) in step. Concurrent calls share one result,
 * so a certificate and its key always match.
 */
export function projectCertificate(l: Layout): Promise<CertificatePem & { ca: string }> {
  const running = inflight.get(l.tlsDir);
  if (running) return running;
  const p = ensureCertificate(l).finally(() => inflight.delete(l.tlsDir));
  inflight.set(l.tlsDir, p);
  return p;
}

async function ensureCertificate(l: Layout): Promise<CertificatePem & { ca: string }> {
  const f = tlsFiles(l);
  const [caCert, caKey, cert, key, published] = await Promise.all(
    [f.caCert, f.caKey, f.cert, f.key, caCertFile(l)].map((x) => readFileSafe(x)),
  );
  let ca = caCert && caKey ? { cert: caCert, key: caKey } : null;
  if (!ca) {
    // Key first: a CA certificate on disk always has its key beside it.
    ca = localCa(l.identifier);
    await writeFileMode(f.caKey, ca.key, 0o600);
    await writeFileMode(f.caCert, ca.cert, 0o644);
  }
  if (published !== ca.cert) await writeFileMode(caCertFile(l), ca.cert, 0o644);
  if (cert && key && isSignedBy({ cert, key }, ca.cert)) return { cert, key, ca: ca.cert };
  // Root's (tls/ is root's): each data directory gets its own copy, owned by its server.
  const made = serverCertificate(ca, l.identifier);
  await writeFileMode(f.key, made.key, 0o600);
  await writeFileMode(f.cert, made.cert, 0o644);
  return { ...made, ca: ca.cert };
}

/** Where the project's CA and server certificate live (tls/, root's). */
export function tlsFiles(l: Layout): { caCert: string; caKey: string; cert: string; key: string } {
  return {
    caCert: join(l.tlsDir, "ca.crt"),
    caKey: join(l.tlsDir, "ca.key"),
    cert: join(l.tlsDir, "server.crt"),
    key: join(l.tlsDir, "server.key"),
  };
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
    /** The server's certificate and key, and the project's CA certificate (replicas verify the primary with it). */
    cert: { cert: string; key: string; ca?: string };
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
  if (opts.cert.ca) writes.push(writeFileMode(join(pgdata, "ca.crt"), opts.cert.ca, 0o644, user));
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
