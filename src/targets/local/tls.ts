import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  X509Certificate,
} from "node:crypto";
import { bitString, bool, ctx, integer, octets, oid, seq, set, time, utf8 } from "./der.js";

/**
 * The local target's certificates, made in pure Node (EC P-256 keys, hand-encoded X.509 v3) so TLS
 * works on a machine with nothing but Node: a CA made once per project, and the servers'
 * certificate it signs for 127.0.0.1 and localhost. Clients verify the server against the CA
 * (libpq's sslmode=verify-full with sslrootcert), as they verify RDS against its CA bundle.
 *
 * Why not a library: the two certificate shapes are fixed and small; @peculiar/x509 brings 20
 * packages and needs a global Reflect polyfill, node-forge is a large pure-JS crypto suite, and the
 * openssl command is not on every machine. What we encode is checked by the verifiers themselves
 * (OpenSSL through libpq, Node's tls, Java's JSSE) in the tests.
 */
export interface CertificatePem {
  /** The certificate, PEM. */
  cert: string;
  /** Its private key, PKCS#8 PEM. */
  key: string;
}

const DAY = 86_400_000;
/** The CA outlives every server certificate it signs. */
const CA_DAYS = 20 * 365;
const SERVER_DAYS = 10 * 365;
/** A server certificate this close to its end is renewed by `up`. */
const RENEW_BEFORE_DAYS = 30;

const ECDSA_SHA256 = (): Buffer => seq(oid("1.2.840.10045.4.3.2"));

function commonName(name: string): Buffer {
  return seq(set(seq(oid("2.5.4.3"), utf8(name.slice(0, 64)))));
}

/** An Extension (RFC 5280 4.1): its id, whether it is critical, its DER value. */
function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
}

/** RFC 5280 4.2.1.2, method 1: SHA-1 of the subject public key (the uncompressed EC point). */
function keyIdentifier(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: "jwk" });
  const point = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x ?? "", "base64url"),
    Buffer.from(jwk.y ?? "", "base64url"),
  ]);
  return createHash("sha1").update(point).digest();
}

function pem(label: string, der: Buffer): string {
  const body = der
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n?$/, "\n");
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

function certificate(o: {
  subject: Buffer;
  issuer: Buffer;
  publicKey: KeyObject;
  signingKey: KeyObject;
  days: number;
  now: Date;
  extensions: Buffer[];
}): string {
  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  const tbs = seq(
    ctx(0, integer(Buffer.from([2])), true),
    integer(serial),
    ECDSA_SHA256(),
    o.issuer,
    seq(time(new Date(o.now.getTime() - 60_000)), time(new Date(o.now.getTime() + o.days * DAY))),
    o.subject,
    o.publicKey.export({ type: "spki", format: "der" }),
    ctx(3, seq(...o.extensions), true),
  );
  return pem("CERTIFICATE", seq(tbs, ECDSA_SHA256(), bitString(sign("sha256", tbs, o.signingKey))));
}

/**
 * A self-signed CA certificate (CA:TRUE, path length 0, key usage keyCertSign and cRLSign, both
 * critical), named "ebdb local CA <name>", valid 20 years from `now`.
 */
export function localCa(name: string, now = new Date()): CertificatePem {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const subject = commonName(`ebdb local CA ${name}`);
  const id = keyIdentifier(publicKey);
  const cert = certificate({
    subject,
    issuer: subject,
    publicKey,
    signingKey: privateKey,
    days: CA_DAYS,
    now,
    extensions: [
      extension("2.5.29.19", true, seq(bool(true), integer(Buffer.from([0])))),
      // keyCertSign (bit 5) and cRLSign (bit 6): 0000 0110, the last bit unused.
      extension("2.5.29.15", true, bitString(Buffer.from([0x06]), 1)),
      extension("2.5.29.14", false, octets(id)),
    ],
  });
  return { cert, key: privateKey.export({ type: "pkcs8", format: "pem" }).toString() };
}

/**
 * A server certificate signed by `ca` for DNS:localhost, IP:127.0.0.1 and IP:::1 (CA:FALSE, key
 * usage digitalSignature, extended key usage serverAuth), named `name`, valid 10 years from `now`
 * (never past the CA). Throws when `ca` is not a certificate with its key.
 */
export function serverCertificate(ca: CertificatePem, name: string, now = new Date()): CertificatePem {
  const caCert = new X509Certificate(ca.cert);
  const caKey = createPrivateKey(ca.key);
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const altNames = seq(
    ctx(2, Buffer.from("localhost"), false),
    ctx(7, Buffer.from([127, 0, 0, 1]), false),
    ctx(7, Buffer.concat([Buffer.alloc(15), Buffer.from([1])]), false),
  );
  const caEnd = Date.parse(caCert.validTo);
  const days = Math.min(SERVER_DAYS, Math.floor((caEnd - now.getTime()) / DAY));
  const cert = certificate({
    subject: commonName(name),
    issuer: subjectName(caCert),
    publicKey,
    signingKey: caKey,
    days,
    now,
    extensions: [
      extension("2.5.29.19", true, seq()),
      // digitalSignature (bit 0): 1000 0000, seven bits unused.
      extension("2.5.29.15", true, bitString(Buffer.from([0x80]), 7)),
      extension("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.1"))),
      extension("2.5.29.17", false, altNames),
      extension("2.5.29.14", false, octets(keyIdentifier(publicKey))),
      // authorityKeyIdentifier: [0] keyIdentifier of the CA's key.
      extension("2.5.29.35", false, seq(ctx(0, keyIdentifier(caCert.publicKey), false))),
    ],
  });
  return { cert, key: privateKey.export({ type: "pkcs8", format: "pem" }).toString() };
}

/** A certificate's subject Name, DER, exactly as encoded (a server's issuer must match its CA's subject). */
function subjectName(ca: X509Certificate): Buffer {
  // Certificate ::= SEQ { tbs SEQ { [0] version, serial, sigAlg, issuer, validity, subject, ... } }
  const tbs = children(children(ca.raw)[0]);
  return tbs[5];
}

/** The encoded children of a DER constructed value (each with its tag and length). */
function children(der: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let i = headerLength(der);
  while (i < der.length) {
    const len = headerLength(der.subarray(i)) + contentLength(der.subarray(i));
    out.push(der.subarray(i, i + len));
    i += len;
  }
  return out;
}

function headerLength(der: Buffer): number {
  return der[1] < 0x80 ? 2 : 2 + (der[1] & 0x7f);
}

function contentLength(der: Buffer): number {
  if (der[1] < 0x80) return der[1];
  let n = 0;
  for (let k = 0; k < (der[1] & 0x7f); k++) n = n * 256 + der[2 + k];
  return n;
}

/**
 * Whether `server` is a certificate `ca` issued and signed for this machine (127.0.0.1 and
 * localhost), with its private key, valid now and for the next 30 days. False for anything else:
 * a self-signed certificate of an older ebdb, another CA's, an expiring one, unparsable text.
 */
export function isSignedBy(server: CertificatePem, caCert: string, now = new Date()): boolean {
  try {
    const x = new X509Certificate(server.cert);
    const ca = new X509Certificate(caCert);
    return (
      x.checkIssued(ca) &&
      x.verify(ca.publicKey) &&
      x.checkIP("127.0.0.1") !== undefined &&
      x.checkHost("localhost") !== undefined &&
      x.checkPrivateKey(createPrivateKey(server.key)) &&
      Date.parse(x.validFrom) <= now.getTime() &&
      Date.parse(x.validTo) > now.getTime() + RENEW_BEFORE_DAYS * DAY
    );
  } catch {
    return false;
  }
}
