import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { connectionUrl, envVars, formatEnv } from "../../src/api/env.js";
import { pickNode } from "../../src/api/url.js";
import { Secret } from "../../src/model/secret.js";
import type { ConnectionInfo } from "../../src/targets/target.js";

const tricky = `a$b"c\\d'e:f#g%h&i(j)k*l!m?n[o]p{q}r|s~t^u=v+w;x<y>z`;
const conn: ConnectionInfo = {
  host: "127.0.0.1",
  port: 5433,
  dbName: "app",
  username: "dbadmin",
  password: new Secret(tricky),
  readers: [
    { name: "x-replica-1", host: "127.0.0.1", port: 5434 },
    { name: "x-replica-2", host: "127.0.0.1", port: 5435 },
  ],
  sslmode: "require",
};

describe("env", () => {
  test("has the names the EB environment gets, DATABASE_URL with sslmode=require and the replicas as host:port", () => {
    const v = envVars(conn);
    expect(Object.keys(v)).toEqual([
      "DB_HOST",
      "DB_PORT",
      "DB_NAME",
      "DB_USERNAME",
      "DB_PASSWORD",
      "DATABASE_URL",
      "DB_REPLICA_HOSTS",
    ]);
    expect(v.DB_REPLICA_HOSTS).toBe("127.0.0.1:5434,127.0.0.1:5435");
    const url = new URL(v.DATABASE_URL);
    expect(decodeURIComponent(url.password)).toBe(tricky);
    expect(url.searchParams.get("sslmode")).toBe("require");
    expect(url.port).toBe("5433");
  });

  test("shell format gives back every value exactly when bash sources it", () => {
    const dir = mkdtempSync(join(tmpdir(), "ebdb-env-"));
    const file = join(dir, "env.sh");
    writeFileSync(file, formatEnv(envVars(conn), "shell"));
    const r = spawnSync("bash", ["-c", `source ${file}; printf '%s' "$DB_PASSWORD"`], { encoding: "utf8" });
    rmSync(dir, { recursive: true, force: true });
    expect(r.stdout).toBe(tricky);
  });

  test("dotenv format escapes quotes, backslashes and dollars; json parses back", () => {
    const text = formatEnv({ K: tricky }, "dotenv");
    expect(text).toBe(`K="a\\$b\\"c\\\\d'e:f#g%h&i(j)k*l!m?n[o]p{q}r|s~t^u=v+w;x<y>z"`);
    expect(JSON.parse(formatEnv(envVars(conn), "json")).DB_PASSWORD).toBe(tricky);
  });

  test("url --replica picks the first replica, a named one, or says there is none", () => {
    expect(connectionUrl(conn, pickNode(conn, true))).toContain("@127.0.0.1:5434/");
    expect(pickNode(conn, "x-replica-2").port).toBe(5435);
    expect(() => pickNode(conn, "nope")).toThrow(/no replica nope/);
    expect(() => pickNode({ ...conn, readers: [] }, true)).toThrow(/no read replicas/);
    expect(pickNode(conn, undefined).port).toBe(5433);
  });
});
