import { describe, expect, test } from "vitest";
import { APP_DIR, pgbouncerAppFiles } from "../../src/pooling/pgbouncer-files.js";
import { databaseLine, localPgbouncerIni, userlistLine } from "../../src/pooling/pgbouncer-ini.js";
import { EB_RDS_CA_PATH } from "../../src/targets/aws/rds-ca.js";

const files = pgbouncerAppFiles({ port: 6432, poolSize: 17, poolSizeWhy: "17 = (79 − 8 reserved) ÷ 4" });
const file = (p: string) => files.find((f) => f.path === p)?.content ?? "";

describe("the files of `ebdb pooler pgbouncer`", () => {
  test("on EB, start.sh verifies the server against the RDS CA bundle `ebdb eb-files` installs", () => {
    expect(file(`${APP_DIR}/start.sh`)).toContain(`ca=\${PGSSLROOTCERT:-${EB_RDS_CA_PATH}}`);
    expect(file(`${APP_DIR}/pgbouncer.ini`)).toMatch(
      /^server_tls_sslmode = verify-full\nserver_tls_ca_file = ca.crt$/m,
    );
  });

  test("pgbouncer.ini is the spec's transaction mode with the computed pool, and holds no connection details", () => {
    const ini = file(`${APP_DIR}/pgbouncer.ini`);
    expect(ini).toContain("; default_pool_size: 17 = (79 − 8 reserved) ÷ 4");
    for (const line of [
      "pool_mode = transaction",
      "max_client_conn = 1000",
      "default_pool_size = 17",
      "max_db_connections = 17",
    ])
      expect(ini.split("\n")).toContain(line);
    expect(ini).not.toMatch(/host=|password/i);
    expect(ini.trimEnd().endsWith("%include databases.ini")).toBe(true);
  });

  test("the EB hook reads plain environment properties with get-config and starts PgBouncer in the background", () => {
    const hook = file(".platform/hooks/predeploy/50-ebdb-pgbouncer.sh");
    expect(hook).toBe(file(".platform/confighooks/predeploy/50-ebdb-pgbouncer.sh"));
    expect(hook).toContain('"$cfg" environment -k "$v"');
    expect(hook.trimEnd().endsWith("exec /opt/ebdb-pgbouncer/start.sh --daemon")).toBe(true);
    expect(files.find((f) => f.path.endsWith("50-ebdb-pgbouncer.sh"))?.mode).toBe(0o755);
  });
});

describe("PgBouncer's syntax", () => {
  test("auth_file lines double a quote; [databases] values with spaces or quotes are quoted", () => {
    expect(userlistLine('we"ird', "SCRAM-SHA-256$4096:abc")).toBe('"we""ird" "SCRAM-SHA-256$4096:abc"\n');
    expect(databaseLine("app", "127.0.0.1", 5432, "app")).toBe("app = host=127.0.0.1 port=5432 dbname=app");
    expect(databaseLine("app", "127.0.0.1", 5432, "my db's")).toBe(
      "app = host=127.0.0.1 port=5432 dbname='my db''s'",
    );
  });

  test("the local pooler requires TLS from clients and lets only ebdb's user administer it", () => {
    const ini = localPgbouncerIni({
      identifier: "a-dev-db",
      listenPort: 6433,
      poolSize: 92,
      primaryPort: 5433,
      dbName: "app",
      admin: "rdsadmin",
      stats: "dbadmin",
    }).split("\n");
    for (const line of ["client_tls_sslmode = require", "admin_users = rdsadmin", "stats_users = dbadmin"])
      expect(ini).toContain(line);
  });
});
