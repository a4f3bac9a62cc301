import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  archiveCommand,
  archivedSegment,
  parseConf,
  postgresqlConf,
  restoreCommand,
} from "../../../src/targets/local/conf.js";
import { findTool, walCompressor } from "../../../src/targets/local/compressor.js";

// Issue 13: archived WAL compressed by zstd (or gzip) through archive_command, read back by
// restore_command whichever form a segment has. Run with sh as PostgreSQL runs them.
const dir = mkdtempSync(join(tmpdir(), "ebdb-walarch-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SEG = "00000001000000000000000A";
// A WAL segment after a switch: some records, then zeros to 16 MiB.
const wal = Buffer.alloc(16 * 1024 * 1024);
for (let i = 0; i < 200_000; i++) wal[i] = (i * 7919) % 251;
const run = (cmd: string, f: string, p: string, cwd = dir) =>
  spawnSync("sh", ["-c", cmd.replace(/%f/g, f).replace(/%p/g, p)], { cwd, encoding: "utf8" });

describe.each(["zstd", "gzip"] as const)("archive_command with %s", (kind) => {
  const path = findTool(kind);
  const archive = join(dir, `arch'ive ${kind}`);
  mkdirSync(archive);
  const src = join(dir, `pg_wal-${kind}`);
  mkdirSync(src);
  writeFileSync(join(src, SEG), wal);
  const c = { kind, path: path! };

  it.skipIf(!path)(
    "archives a segment compressed (a switched segment: far smaller), and restore_command reads it back byte for byte",
    () => {
      const r = run(archiveCommand(archive, c), SEG, join(src, SEG));
      expect(r.status, r.stderr).toBe(0);
      const file = join(archive, SEG + (kind === "zstd" ? ".zst" : ".gz"));
      expect(statSync(file).size).toBeLessThan(wal.length / 10);
      expect(archivedSegment(`${SEG}${kind === "zstd" ? ".zst" : ".gz"}`)).toBe(SEG);
      const out = join(dir, `RECOVERYXLOG-${kind}`);
      const back = run(restoreCommand(archive, { [kind]: path! }), SEG, out);
      expect(back.status, back.stderr).toBe(0);
      expect(readFileSync(out).equals(wal)).toBe(true);
    },
  );

  it.skipIf(!path)(
    "archiving the same segment again succeeds; a different one under that name fails, keeping the first",
    () => {
      expect(run(archiveCommand(archive, c), SEG, join(src, SEG)).status).toBe(0);
      const other = join(dir, `other-${kind}`);
      writeFileSync(other, Buffer.alloc(wal.length, 1));
      const r = run(archiveCommand(archive, c), SEG, other);
      expect(r.status).not.toBe(0);
      const out = join(dir, `again-${kind}`);
      expect(run(restoreCommand(archive), SEG, out).status).toBe(0);
      expect(readFileSync(out).equals(wal)).toBe(true);
    },
  );

  it.skipIf(!path)("a failure says why in one line naming the file and the archive", () => {
    // An archive that cannot be written (even by root): its parent is a file.
    writeFileSync(join(dir, `file-${kind}`), "");
    const bad = join(dir, `file-${kind}`, "archive");
    const r = run(archiveCommand(bad, c), SEG, join(src, SEG));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(
        `^could not archive ${SEG} to .*file-${kind}/archive: .*(Not a directory|Directory nonexistent)`,
      ),
    );
  });
});

describe("restore_command", () => {
  it("reads a segment archived as it is (basic_archive, an earlier ebdb) and fails quietly for one not archived", () => {
    const archive = join(dir, "plain");
    mkdirSync(archive);
    writeFileSync(join(archive, SEG), "wal");
    const out = join(dir, "plain-out");
    expect(run(restoreCommand(archive), SEG, out).status).toBe(0);
    expect(readFileSync(out, "utf8")).toBe("wal");
    const missing = run(restoreCommand(archive), "00000001000000000000000B", join(dir, "x"));
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toBe("");
  });
});

describe("the primary's archiving settings", () => {
  const base = { name: "x", port: 5433, role: "primary" as const, archiveDir: "/arch", major: 16 };
  it("use archive_command with a compressor, basic_archive without one", () => {
    const zs = parseConf(postgresqlConf({ ...base, compressor: { kind: "zstd", path: "/usr/bin/zstd" } }));
    expect(zs.get("archive_command")).toContain("'/usr/bin/zstd' -q -1");
    expect(zs.has("archive_library")).toBe(false);
    const plain = parseConf(postgresqlConf({ ...base, compressor: null }));
    expect(plain.get("archive_library")).toBe("basic_archive");
    expect(plain.has("archive_command")).toBe(false);
  });

  it("EBDB_WAL_COMPRESSION chooses (off, zstd, gzip); anything else is an error naming it", () => {
    expect(walCompressor({ EBDB_WAL_COMPRESSION: "off" })).toBeNull();
    if (findTool("gzip")) expect(walCompressor({ EBDB_WAL_COMPRESSION: "gzip" })?.kind).toBe("gzip");
    if (findTool("zstd")) expect(walCompressor({})?.kind).toBe("zstd");
    expect(() => walCompressor({ EBDB_WAL_COMPRESSION: "lz4" })).toThrow(/EBDB_WAL_COMPRESSION/);
  });
});
