import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EbdbError, userError } from "../../../src/errors.js";
import {
  parseConf,
  postgresqlConf,
  type ServerSettings,
  slotWalKeepMB,
} from "../../../src/targets/local/conf.js";
import { classify } from "../../../src/targets/local/failures.js";

// Pure parts of issue 7 items 11-12: the slot cap's size, the standby's restore_command (run by sh,
// as PostgreSQL runs it), reading postgresql.conf back, and which failures get a clear message.

const dir = mkdtempSync(join(tmpdir(), "ebdb-slotconf-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function replica(archiveDir?: string): ServerSettings {
  return {
    name: "r1",
    port: 5433,
    role: "replica",
    archiveDir: null,
    major: 15,
    maxSlotWalKeepMB: slotWalKeepMB(20),
    standby: {
      primaryPort: 5432,
      user: "rdsrepladmin",
      passfile: "/x/pgpass",
      slot: "r1",
      rootcert: "/x/ca.crt",
      archiveDir,
    },
  };
}

describe("max_slot_wal_keep_size", () => {
  it("is a tenth of DB_ALLOCATED_STORAGE, in MB", () => {
    expect(slotWalKeepMB(20)).toBe(2048);
    expect(slotWalKeepMB(100)).toBe(10240);
    expect(slotWalKeepMB(65536)).toBe(6710886);
  });

  it("is written for PostgreSQL 13 and later only", () => {
    expect(parseConf(postgresqlConf(replica())).get("max_slot_wal_keep_size")).toBe("2048MB");
    expect(parseConf(postgresqlConf({ ...replica(), major: 12 })).has("max_slot_wal_keep_size")).toBe(false);
  });
});

describe("a standby's restore_command", () => {
  const archive = join(dir, "arch'ive dir");
  mkdirSync(archive);
  writeFileSync(join(archive, "000000010000000000000003"), "wal");
  const command = (f: string, p: string) =>
    parseConf(postgresqlConf(replica(archive)))
      .get("restore_command")!
      .replace(/%f/g, f)
      .replace(/%p/g, p);

  it("copies a segment from the archive (a path with a quote and a space is quoted for sh)", () => {
    const out = join(dir, "RECOVERYXLOG");
    const r = spawnSync("sh", ["-c", command("000000010000000000000003", out)], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(readFileSync(out, "utf8")).toBe("wal");
  });

  it("fails quietly for a segment not (yet) archived, so the standby goes on to streaming", () => {
    const r = spawnSync("sh", ["-c", command("000000010000000000000004", join(dir, "x"))], {
      encoding: "utf8",
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toBe("");
  });

  it("is absent with backups off (no archive)", () => {
    expect(parseConf(postgresqlConf(replica())).has("restore_command")).toBe(false);
  });
});

describe("parseConf", () => {
  it("reads back every setting postgresqlConf writes", () => {
    const s = replica(join(dir, "a"));
    const text = postgresqlConf(s);
    const conf = parseConf(text);
    expect(conf.get("port")).toBe("5433");
    expect(conf.get("primary_slot_name")).toBe("r1");
    expect(conf.get("primary_conninfo")).toContain("passfile=/x/pgpass");
    expect(conf.get("unix_socket_directories")).toBe("");
    expect([...conf.keys()].length).toBe(text.split("\n").filter((l) => / = /.test(l)).length);
  });

  it("the last assignment wins; comments and `name value` are read as PostgreSQL does", () => {
    const conf = parseConf(
      "max_connections = 100\n# max_connections = 5\nMax_Connections 200 # more\nx = 'it''s'\n",
    );
    expect(conf.get("max_connections")).toBe("200");
    expect(conf.get("x")).toBe("it's");
  });
});

describe("failures explained (classify)", () => {
  const errno = (code: string) =>
    Object.assign(new Error(`${code}: no space left on device, write`), { code });
  it("a full disk: ENOSPC, EDQUOT, PostgreSQL's disk_full, cp's message, or one wrapped in a restore failure", () => {
    expect(classify(errno("ENOSPC"))).toBe("disk-full");
    expect(classify(errno("EDQUOT"))).toBe("disk-full");
    expect(classify(Object.assign(new Error("could not extend file"), { code: "53100" }))).toBe("disk-full");
    const restore = new EbdbError({
      code: "RESTORE_FAILED",
      message: "Restoring x failed",
      fault: "system",
      cause: new Error("cp: error writing 'x': No space left on device"),
    });
    expect(classify(restore)).toBe("disk-full");
  });

  it("a server gone or refusing: the driver's words and PostgreSQL's SQLSTATEs", () => {
    expect(classify(new Error("Connection terminated unexpectedly"))).toBe("connection");
    expect(classify(new Error("Client has encountered a connection error and is not queryable"))).toBe(
      "connection",
    );
    expect(classify(Object.assign(new Error("terminating connection"), { code: "57P01" }))).toBe(
      "connection",
    );
    expect(classify(Object.assign(new Error("sorry, too many clients already"), { code: "53300" }))).toBe(
      "connection",
    );
    expect(
      classify(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })),
    ).toBe("connection");
  });

  it("anything else keeps its own words: a bug stays a bug, a user error stays one", () => {
    expect(classify(new TypeError("x is undefined"))).toBeNull();
    expect(classify(userError("SNAPSHOT_NOT_FOUND", "There is no snapshot x."))).toBeNull();
  });
});
