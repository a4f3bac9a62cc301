import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { main } from "../../../src/cli/main.js";
import { captureOutput } from "../../fixtures/output.js";

// A bad EBDB_WAL_COMPRESSION is bad input: exit 2 naming the variable and its values, before `up`
// has begun anything (it is read only when a server's settings are written, midway).
const dir = mkdtempSync(join(tmpdir(), "ebdb-walcomp-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("EBDB_WAL_COMPRESSION=lz4: exit 2 naming it, nothing made", async () => {
  writeFileSync(join(dir, "config.env"), `APP_NAME="walcomp${process.pid % 10000}"\nENV_NAME="dev"\n`);
  const o = captureOutput();
  const code = await main(
    ["up", "--yes"],
    o,
    { ...process.env, EBDB_TARGET: "", EBDB_WAL_COMPRESSION: "lz4" },
    dir,
  );
  expect(code).toBe(2);
  expect(o.stderr()).toMatch(/EBDB_WAL_COMPRESSION is "lz4"; it may be zstd, gzip or off/);
  expect(o.stderr()).not.toMatch(/at .*\.ts:\d+/);
  // At most the project's lock folder: no state, no node.
  const left = readdirSync(dir, { recursive: true }).map(String);
  expect(left.filter((f) => /node\.json|pgdata|password/.test(f))).toEqual([]);
  const st = captureOutput();
  await main(["status", "--json"], st, { ...process.env, EBDB_TARGET: "" }, dir);
  expect(st.stdout() + st.stderr()).not.toMatch(/incomplete|creating/);
});
