import { generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { bitString, bool, ctx, integer, octets, oid, seq, set, time, utf8 } from "./der.js";

/**
 * A self-signed certificate for 127.0.0.1/localhost, made in pure Node (an EC P-256 key and a
 * hand-encoded X.509 v3 certificate), so TLS works without openssl installed. PEM strings.
 */
export function selfSignedCertificate(commonName: string, now = new Date()): { cert: string; key: string } {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const ecdsaSha256 = seq(oid("1.2.840.10045.4.3.2"));
  const name = seq(set(seq(oid("2.5.4.3"), utf8(commonName.slice(0, 64)))));
  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  const notAfter = new Date(now.getTime() + 10 * 365 * 86_400_000);
  const altNames = seq(ctx(2, Buffer.from("localhost"), false), ctx(7, Buffer.from([127, 0, 0, 1]), false));
  const extensions = ctx(
    3,
    seq(
      seq(oid("2.5.29.17"), octets(altNames)),
      seq(oid("2.5.29.19"), bool(true), octets(seq())),
      seq(oid("2.5.29.37"), octets(seq(oid("1.3.6.1.5.5.7.3.1")))),
    ),
    true,
  );
  const tbs = seq(
    ctx(0, integer(Buffer.from([2])), true),
    integer(serial),
    ecdsaSha256,
    name,
    seq(time(new Date(now.getTime() - 60_000)), time(notAfter)),
    name,
    publicKey.export({ type: "spki", format: "der" }),
    extensions,
  );
  const signature = sign("sha256", tbs, privateKey);
  const der = seq(tbs, ecdsaSha256, bitString(signature));
  const pem = (label: string, b: Buffer) =>
    `-----BEGIN ${label}-----\n${b
      .toString("base64")
      .replace(/(.{64})/g, "$1\n")
      .replace(/\n?$/, "\n")}-----END ${label}-----\n`;
  return {
    cert: pem("CERTIFICATE", der),
    key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}
