import { spawnSync } from "node:child_process";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tls from "node:tls";
import { afterAll, describe, expect, test } from "vitest";
import { isSignedBy, localCa, serverCertificate } from "../../../src/targets/local/tls.js";

const DAY = 86_400_000;
const ca = localCa("my-app-prod-db");
const server = serverCertificate(ca, "my-app-prod-db");
const dir = mkdtempSync(join(tmpdir(), "ebdb-tls-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Connects with Node's TLS client to a server presenting `server`, trusting only `trusted`. */
async function handshake(trusted: string, host: string): Promise<string | null> {
  const srv = tls.createServer({ cert: server.cert, key: server.key }, (s) => s.end());
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as AddressInfo).port;
  try {
    return await new Promise<string | null>((resolve) => {
      const c = tls.connect({
        host: "127.0.0.1",
        port,
        ca: trusted,
        servername: host === "127.0.0.1" ? undefined : host,
        checkServerIdentity: (_h, cert) => tls.checkServerIdentity(host, cert),
      });
      c.once("secureConnect", () => {
        c.destroy();
        resolve(null);
      });
      c.once("error", (e) => resolve((e as NodeJS.ErrnoException).code ?? e.message));
    });
  } finally {
    srv.close();
  }
}

describe("the project's CA and server certificate", () => {
  test("the CA is a CA: self-signed, CA:TRUE, may sign certificates, valid for years", () => {
    const x = new X509Certificate(ca.cert);
    expect(x.ca).toBe(true);
    expect(x.subject).toBe("CN=ebdb local CA my-app-prod-db");
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.checkPrivateKey(createPrivateKey(ca.key))).toBe(true);
    expect(Date.parse(x.validTo)).toBeGreaterThan(Date.now() + 15 * 365 * DAY);
  });

  test("the server certificate is the CA's, for localhost, 127.0.0.1 and ::1, not a CA", () => {
    const x = new X509Certificate(server.cert);
    expect(x.ca).toBe(false);
    expect(x.issuer).toBe("CN=ebdb local CA my-app-prod-db");
    expect(x.checkIssued(new X509Certificate(ca.cert))).toBe(true);
    expect(x.verify(new X509Certificate(ca.cert).publicKey)).toBe(true);
    expect(x.subjectAltName).toBe("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1");
    expect(x.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
    expect(x.checkPrivateKey(createPrivateKey(server.key))).toBe(true);
    expect(Date.parse(x.validTo)).toBeLessThanOrEqual(Date.parse(new X509Certificate(ca.cert).validTo));
  });

  test("isSignedBy: true for the CA's own; false for another CA's, a self-signed one, a wrong key, or one ending within 30 days", () => {
    expect(isSignedBy(server, ca.cert)).toBe(true);
    expect(isSignedBy(server, localCa("other").cert)).toBe(false);
    expect(isSignedBy(ca, ca.cert)).toBe(false); // self-signed, and not for 127.0.0.1
    expect(isSignedBy({ cert: server.cert, key: ca.key }, ca.cert)).toBe(false);
    const end = Date.parse(new X509Certificate(server.cert).validTo);
    expect(isSignedBy(server, ca.cert, new Date(end - 40 * DAY))).toBe(true);
    expect(isSignedBy(server, ca.cert, new Date(end - 20 * DAY))).toBe(false);
    expect(isSignedBy({ cert: "garbage", key: "garbage" }, ca.cert)).toBe(false);
  });

  test("Node's TLS client verifies the server against the CA, for 127.0.0.1 and localhost, and refuses other names and CAs", async () => {
    expect(await handshake(ca.cert, "127.0.0.1")).toBeNull();
    expect(await handshake(ca.cert, "localhost")).toBeNull();
    expect(await handshake(ca.cert, "db.example.com")).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
    expect(await handshake(localCa("other").cert, "127.0.0.1")).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  });

  test.skipIf(spawnSync("openssl", ["version"]).status !== 0)(
    "openssl verifies it strictly as a TLS server certificate for 127.0.0.1, and not for another address",
    () => {
      writeFileSync(join(dir, "ca.pem"), ca.cert);
      writeFileSync(join(dir, "server.pem"), server.cert);
      const verify = (...extra: string[]) =>
        spawnSync(
          "openssl",
          [
            "verify",
            "-x509_strict",
            "-purpose",
            "sslserver",
            ...extra,
            "-CAfile",
            join(dir, "ca.pem"),
            join(dir, "server.pem"),
          ],
          { encoding: "utf8" },
        );
      expect(verify("-verify_ip", "127.0.0.1").stdout).toContain("OK");
      expect(verify("-verify_hostname", "localhost").stdout).toContain("OK");
      expect(verify("-verify_ip", "127.0.0.2").status).not.toBe(0);
    },
  );
});
