import { spawnSync } from "node:child_process";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { selfSignedCertificate } from "../../../src/targets/local/tls.js";

describe("selfSignedCertificate", () => {
  test("is a valid self-signed certificate for localhost and 127.0.0.1, valid now", () => {
    const { cert, key } = selfSignedCertificate("my-app-prod-db");
    const x = new X509Certificate(cert);
    expect(x.subject).toBe("CN=my-app-prod-db");
    expect(x.subjectAltName).toContain("DNS:localhost");
    expect(x.subjectAltName).toContain("IP Address:127.0.0.1");
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.checkPrivateKey(createPrivateKey(key))).toBe(true);
    expect(new Date(x.validFrom).getTime()).toBeLessThanOrEqual(Date.now());
    expect(new Date(x.validTo).getTime()).toBeGreaterThan(Date.now() + 365 * 86_400_000);
  });

  test.skipIf(spawnSync("openssl", ["version"]).status !== 0)("openssl accepts it", () => {
    const dir = mkdtempSync(join(tmpdir(), "ebdb-tls-"));
    const { cert } = selfSignedCertificate("x");
    writeFileSync(join(dir, "c.pem"), cert);
    const r = spawnSync("openssl", ["verify", "-CAfile", join(dir, "c.pem"), join(dir, "c.pem")], {
      encoding: "utf8",
    });
    expect(r.stdout).toContain("OK");
  });
});
