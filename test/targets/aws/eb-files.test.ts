import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeEbFiles } from "../../../src/api/eb-files.js";
import { main } from "../../../src/cli/main.js";
import { captureOutput } from "../../fixtures/output.js";
import { RecordingIoHost } from "../../../src/io.js";
import { Secret } from "../../../src/model/secret.js";
import type { FakeAws } from "../../fakes/aws/index.js";
import { EB_CA_PATH } from "./converged.js";
import { desiredOf, up, world } from "./harness.js";

const dirs: string[] = [];
let fake: FakeAws | undefined;
afterEach(() => {
  fake?.uninstall();
  fake = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), "ebdb-ebfiles-"));
  dirs.push(d);
  return d;
}

const ctx = (cwd: string) => ({ cwd, env: {}, io: new RecordingIoHost() });

describe("ebdb eb-files", () => {
  it("writes the bundle and an .ebextensions command that installs it where DATABASE_URL names it", async () => {
    const app = scratch();
    const result = await writeEbFiles(ctx(app));
    expect(result.installedAt).toBe(EB_CA_PATH);
    expect(result.files.map((f) => [f.path, f.changed])).toEqual([
      [".platform/ebdb-rds-ca-bundle.pem", true],
      [".ebextensions/ebdb-rds-ca.config", true],
    ]);
    const config = readFileSync(join(app, ".ebextensions/ebdb-rds-ca.config"), "utf8");
    const command = /^container_commands:\n {2}01_ebdb_rds_ca:\n {4}command: (.+)$/m.exec(config)?.[1];
    expect(command).toBe(`install -D -m 0444 .platform/ebdb-rds-ca-bundle.pem ${EB_CA_PATH}`);

    // EB runs container commands as root in the staging directory (the source bundle unpacked):
    // the same command, into a scratch root instead of the instance's /.
    const root = scratch();
    const run = spawnSync("sh", ["-c", command!.replace(EB_CA_PATH, join(root, EB_CA_PATH))], {
      cwd: app,
      encoding: "utf8",
      timeout: 10_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const installed = join(root, EB_CA_PATH);
    expect(statSync(installed).mode & 0o777).toBe(0o444);
    expect(readFileSync(installed, "utf8")).toBe(
      readFileSync(join(app, ".platform/ebdb-rds-ca-bundle.pem"), "utf8"),
    );

    // Again: nothing changes.
    expect((await writeEbFiles(ctx(app))).files.map((f) => f.changed)).toEqual([false, false]);
  });

  it("what it writes is in what `eb deploy` packages: the last git commit of a project `ebdb init` set up", async () => {
    const app = scratch();
    const git = (...args: string[]) => {
      const r = spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
        cwd: app,
        encoding: "utf8",
        timeout: 10_000,
      });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    git("init", "-q");
    expect(await main(["init"], captureOutput(), { ...process.env, EBDB_TARGET: "" }, app)).toBe(0);
    expect(readFileSync(join(app, ".gitignore"), "utf8")).toMatch(/^\.ebdb\/?$/m);
    const written = (await writeEbFiles(ctx(app))).files.map((f) => f.path);
    git("add", "-A");
    git("commit", "-q", "-m", "app");
    // `eb deploy` in a git repository uploads `git archive` of HEAD: the files of that commit.
    const shipped = git("ls-tree", "-r", "--name-only", "HEAD");
    for (const f of written) expect(shipped.split("\n"), f).toContain(f);
  });

  it("ships every region's RDS root CAs, rds-ca-rsa2048-g1's among them, each a CA certificate", async () => {
    const app = scratch();
    await writeEbFiles(ctx(app), { out: "bundle-root" });
    const pem = readFileSync(join(app, "bundle-root/.platform/ebdb-rds-ca-bundle.pem"), "utf8");
    const certs = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
    expect(certs.length).toBeGreaterThan(100);
    const parsed = certs.map((c) => new X509Certificate(c));
    expect(parsed.every((c) => c.ca)).toBe(true);
    for (const region of ["us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1"]) {
      const root = parsed.find((c) => c.subject.includes(`CN=Amazon RDS ${region} Root CA RSA2048 G1`));
      expect(root, region).toBeDefined();
      expect(new Date(root!.validTo).getUTCFullYear()).toBe(2061);
      // Self-signed roots: the chain a server certificate of rds-ca-rsa2048-g1 ends in.
      expect(root!.verify(root!.publicKey)).toBe(true);
    }
  });
});

describe("DATABASE_URL in libpq", () => {
  it("is accepted unchanged by psql: it gets as far as connecting (no 'invalid' option or URI)", async () => {
    const w = world();
    fake = w.fake;
    // A stand-in password: it goes into psql's arguments here.
    const desired = desiredOf({ masterPassword: new Secret("Not-a-real-secret-42%:?") });
    await up(fake, desired);
    const url = fake.appEnvironment("my-app-prod").variables.DATABASE_URL;
    // The RDS host name does not resolve from here; PGHOSTADDR sends libpq to this machine instead,
    // keeping the URL's host for verification.
    const run = spawnSync("psql", [url, "-Atc", "select 1"], {
      encoding: "utf8",
      timeout: 15_000,
      env: { ...process.env, PGHOSTADDR: "127.0.0.1", PGCONNECT_TIMEOUT: "5" },
    });
    expect(run.error).toBeUndefined();
    expect(run.status).not.toBe(0);
    // Either nothing listens on the port, or libpq starts TLS and looks for the CA file the URL names.
    expect(run.stderr).toMatch(
      new RegExp(`Connection refused|root certificate file "${EB_CA_PATH}" does not exist`),
    );
    expect(run.stderr).not.toMatch(/invalid/i);
  });
});
