import { describe, expect, test } from "vitest";
import { connectionUrl, envVars, formatEnv, jdbcUrl } from "../../src/api/env.js";
import { pickNode } from "../../src/api/url.js";
import { isEbdbError } from "../../src/errors.js";
import { Secret } from "../../src/model/secret.js";
import type { ConnectionInfo } from "../../src/targets/target.js";

// Every printable ASCII character RDS allows in a master password (none of / " @ or space).
const tricky = "a$b`c\\d'e:f#g%h&i(j)k*l!m?n[o]p{q}r|s~t^u=v+w;x<y>z-1";
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
  sslmode: "verify-full",
  sslrootcert: "/home/me/my app/.ebdb/x/ca.crt",
  instances: [
    { name: "x", role: "primary", host: "127.0.0.1", port: 5433 },
    { name: "x-replica-1", role: "replica", host: "127.0.0.1", port: 5434 },
    { name: "x-replica-2", role: "replica", host: "127.0.0.1", port: 5435 },
    { name: "x-restored-1", role: "restored", host: "127.0.0.1", port: 5436 },
  ],
};
const withPassword = (pw: string): ConnectionInfo => ({ ...conn, password: new Secret(pw) });

function thrown(fn: () => unknown): { code: string; message: string; hint?: string } {
  try {
    fn();
  } catch (e) {
    if (isEbdbError(e)) return { code: e.code, message: e.message, hint: e.hint };
    throw e;
  }
  throw new Error("did not throw");
}

describe("the variables", () => {
  test("the EB names, libpq's, JDBC's; DATABASE_URL verifies with the CA and reads back exactly", () => {
    const v = envVars(conn);
    expect(Object.keys(v)).toEqual([
      "DB_HOST",
      "DB_PORT",
      "DB_NAME",
      "DB_USERNAME",
      "DB_PASSWORD",
      "DATABASE_URL",
      "DB_REPLICA_HOSTS",
      "PGHOST",
      "PGPORT",
      "PGDATABASE",
      "PGUSER",
      "PGPASSWORD",
      "PGSSLMODE",
      "PGSSLROOTCERT",
      "JDBC_DATABASE_URL",
      "JDBC_DATABASE_USERNAME",
      "JDBC_DATABASE_PASSWORD",
    ]);
    expect(v.DB_REPLICA_HOSTS).toBe("127.0.0.1:5434,127.0.0.1:5435");
    expect(v.PGSSLMODE).toBe("verify-full");
    expect(v.PGSSLROOTCERT).toBe(conn.sslrootcert);
    const url = new URL(v.DATABASE_URL);
    expect(decodeURIComponent(url.password)).toBe(tricky);
    expect(url.searchParams.get("sslmode")).toBe("verify-full");
    expect(url.searchParams.get("sslrootcert")).toBe(conn.sslrootcert);
    expect(url.port).toBe("5433");
    // Only unreserved characters and %XX: no reader of a .env file or a shell sees anything special.
    expect(v.DATABASE_URL).toMatch(/^[A-Za-z0-9\-._~%:/@?=&]+$/);
  });

  test("JDBC_DATABASE_URL carries user and password as parameters, as Heroku-style buildpacks set it", () => {
    const u = jdbcUrl(conn);
    expect(u.startsWith("jdbc:postgresql://127.0.0.1:5433/app?user=dbadmin&password=")).toBe(true);
    // Java's URLDecoder reads + as a space: it must be encoded.
    const params = new URLSearchParams(u.slice(u.indexOf("?") + 1));
    expect(params.get("password")).toBe(tricky);
    expect(params.get("sslmode")).toBe("verify-full");
    expect(params.get("sslrootcert")).toBe(conn.sslrootcert);
  });

  test("RDS_* names beside DB_* when EB_RDS_PROPERTIES is on, not otherwise", () => {
    expect(Object.keys(envVars(conn)).some((k) => k.startsWith("RDS_"))).toBe(false);
    const v = envVars(conn, { rdsNames: true });
    expect([v.RDS_HOSTNAME, v.RDS_PORT, v.RDS_DB_NAME, v.RDS_USERNAME, v.RDS_PASSWORD]).toEqual([
      "127.0.0.1",
      "5433",
      "app",
      "dbadmin",
      tricky,
    ]);
  });

  test("an instance other than the primary: its address everywhere, no replica list", () => {
    const v = envVars(conn, { node: pickNode(conn, undefined, "x-restored-1") });
    expect([v.DB_PORT, v.PGPORT, v.RDS_PORT]).toEqual(["5436", "5436", undefined]);
    expect(new URL(v.DATABASE_URL).port).toBe("5436");
    expect(v.JDBC_DATABASE_URL).toContain("//127.0.0.1:5436/");
    expect(v.DB_REPLICA_HOSTS).toBe("");
  });
});

describe("--instance and --replica", () => {
  test("pick the primary, the first or a named replica, or any instance by name", () => {
    expect(connectionUrl(conn, pickNode(conn, true))).toContain("@127.0.0.1:5434/");
    expect(pickNode(conn, "x-replica-2").port).toBe(5435);
    expect(pickNode(conn, undefined)).toMatchObject({ name: "x", role: "primary", port: 5433 });
    expect(pickNode(conn, undefined, "x-restored-1")).toMatchObject({ role: "restored", port: 5436 });
    expect(pickNode(conn, undefined, "x-replica-1")).toMatchObject({ role: "replica", port: 5434 });
  });

  test("clear errors: no such replica, none at all, an unknown instance (listing them), both flags", () => {
    expect(() => pickNode(conn, "nope")).toThrow(/no replica nope/);
    expect(() => pickNode({ ...conn, readers: [] }, true)).toThrow(/no read replicas/);
    const e = thrown(() => pickNode(conn, undefined, "nope"));
    expect(e.code).toBe("INSTANCE_NOT_FOUND");
    expect(e.message).toBe("There is no instance nope.");
    expect(e.hint).toBe(
      "Instances: x (primary), x-replica-1 (replica), x-replica-2 (replica), x-restored-1 (restored).",
    );
    expect(thrown(() => pickNode(conn, true, "x")).code).toBe("CONFLICTING_FLAGS");
  });
});

describe("formats", () => {
  test("dotenv: single quotes; double quotes for a value with ' but no $ ` \\", () => {
    expect(formatEnv({ A: "x$y`z\\w#", B: "it's;&!%", C: "" }, "dotenv")).toBe(
      `A='x$y\`z\\w#'\nB="it's;&!%"\nC=''`,
    );
  });

  // biome-ignore-start lint/suspicious/noTemplateCurlyInString: python-dotenv's ${...} in values, on purpose
  test("dotenv: refuses what no quoting carries to all four readers, naming the keys and the formats that can, never the value", () => {
    for (const pw of ["it's$x", "it's`x`", "it's\\x", "a${HOME}b", "a${X:-y}b", "a\\\\b", "ab\\"]) {
      const e = thrown(() => formatEnv(envVars(withPassword(pw)), "dotenv"));
      expect(e.code).toBe("BAD_DOTENV_VALUE");
      expect(e.message.startsWith("DB_PASSWORD, PGPASSWORD, JDBC_DATABASE_PASSWORD cannot be written")).toBe(
        true,
      );
      expect(e.hint).toContain("--format shell");
      expect(e.hint).toContain("--format json");
      expect(`${e.message} ${e.hint}`).not.toContain(pw);
    }
    // What python-dotenv leaves alone is carried: $ without braces, ${ without a closing brace, a:b.
    for (const pw of ["a$HOME", "a${b", "a${b:c}d", "a\\b", "}{$"]) {
      expect(formatEnv({ K: pw }, "dotenv")).toBe(`K='${pw}'`);
    }
  });
  // biome-ignore-end lint/suspicious/noTemplateCurlyInString: python-dotenv's ${...} in values, on purpose

  test("shell: export with single quotes, ' as '\\''; json: one object", () => {
    expect(formatEnv({ K: "a'b" }, "shell")).toBe(`export K='a'\\''b'`);
    expect(JSON.parse(formatEnv(envVars(conn), "json")).DB_PASSWORD).toBe(tricky);
  });
});
