import { readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { envVars } from "../../../src/api/env.js";
import { pickNode } from "../../../src/api/url.js";
import { isEbdbError } from "../../../src/errors.js";
import { diff } from "../../../src/plan/diff.js";
import { pgdataOf } from "../../../src/targets/local/layout.js";
import { listMetas } from "../../../src/targets/local/meta.js";
import { caCertFile, projectCertificate, tlsFiles } from "../../../src/targets/local/node-files.js";
import { signalServer } from "../../../src/targets/local/process.js";
import { openSession } from "../../../src/targets/local/session.js";
import { localCa, serverCertificate } from "../../../src/targets/local/tls.js";
import { client, makeProject, upProject } from "./harness.js";

// A primary and a replica, made as today, then set back to what an older ebdb left: a self-signed
// certificate in every data directory and no CA.
const p = makeProject("tlsup", { replicas: { enabled: true, count: 1, min: 1, max: 1 } });
const replica = `${p.config.identifier}-replica-1`;

async function pids(): Promise<Record<string, number | null>> {
  const nodes = (await p.target.status(p.desired)).nodes;
  return Object.fromEntries(nodes.map((n) => [n.name, n.pid]));
}

/** Connects as the application does with DATABASE_URL, unchanged (verify-full with the CA). */
async function viaUrl(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  c.on("error", () => {});
  await c.connect();
  try {
    return (await c.query("SELECT note FROM items WHERE id = 1")).rows[0]?.note;
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  await upProject(p);
  const a = await client(p);
  await a.query("CREATE TABLE items (id int PRIMARY KEY, note text)");
  await a.query("INSERT INTO items VALUES (1, 'kept')");
  await a.end();
});
afterAll(() => p.cleanup());

describe("the local CA", () => {
  test("is made once: every call gives the same CA and certificate, concurrent calls one pair", async () => {
    const s = await openSession(p.ctx, p.desired);
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => projectCertificate(s.layout)));
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(await projectCertificate(s.layout)).toEqual(a);
    expect(readFileSync(caCertFile(s.layout), "utf8")).toBe(readFileSync(tlsFiles(s.layout).caCert, "utf8"));
  });

  test("a project an older ebdb made (self-signed certificates): env says to run up; up converges by a reload, data kept; verify-full connects", async () => {
    const s = await openSession(p.ctx, p.desired);
    const f = tlsFiles(s.layout);
    const old = localCa("self-signed, as before the CA");
    await Promise.all([f.caCert, f.caKey, caCertFile(s.layout)].map((x) => rm(x, { force: true })));
    writeFileSync(f.cert, old.cert);
    writeFileSync(f.key, old.key);
    for (const m of await listMetas(s.layout)) {
      writeFileSync(join(pgdataOf(s.layout, m.name), "server.crt"), old.cert);
      writeFileSync(join(pgdataOf(s.layout, m.name), "server.key"), old.key);
      // A reload by signal: ebdb's own sessions verify the server, so they cannot reach it now.
      await signalServer(pgdataOf(s.layout, m.name), "SIGHUP");
    }

    const refused = await p.target.connection(p.desired).catch((e) => e);
    expect(isEbdbError(refused) && refused.code).toBe("TLS_NOT_CONVERGED");
    expect(refused.message).toContain(p.config.identifier);
    expect(refused.hint).toContain("ebdb up");

    const plan = diff(p.desired, await p.target.observe(p.desired));
    const tls = plan.changes.filter((c) => c.field === "tls");
    expect(tls.map((c) => c.resource).sort()).toEqual([p.config.identifier, replica].sort());
    expect(tls.every((c) => c.impact === "none")).toBe(true);

    const before = await pids();
    await p.target.apply(plan, p.desired, p.io);
    expect(await pids()).toEqual(before); // reloaded, not restarted

    const conn = await p.target.connection(p.desired);
    const vars = envVars(conn);
    expect(vars.PGSSLROOTCERT).toBe(caCertFile(s.layout));
    expect(await viaUrl(vars.DATABASE_URL)).toBe("kept");
    const onReplica = envVars(conn, { node: pickNode(conn, undefined, replica) });
    expect(await viaUrl(onReplica.DATABASE_URL)).toBe("kept");
    // Converged: nothing more to do.
    expect(
      diff(p.desired, await p.target.observe(p.desired)).changes.filter((c) => c.field === "tls"),
    ).toEqual([]);
  });

  test("a server certificate another CA signed is replaced too (the tls folder was restored from elsewhere)", async () => {
    const s = await openSession(p.ctx, p.desired);
    const other = serverCertificate(localCa("elsewhere"), p.config.identifier);
    writeFileSync(join(pgdataOf(s.layout, p.config.identifier), "server.crt"), other.cert);
    writeFileSync(join(pgdataOf(s.layout, p.config.identifier), "server.key"), other.key);
    const plan = await upProject(p);
    expect(plan.changes.filter((c) => c.field === "tls").map((c) => c.resource)).toEqual([
      p.config.identifier,
    ]);
    expect(await viaUrl(envVars(await p.target.connection(p.desired)).DATABASE_URL)).toBe("kept");
  });
});
