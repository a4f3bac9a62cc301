import { spawnSync } from "node:child_process";
import { cpSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type CliProject, query, spawnEbdb, upProject } from "../cli/psql-helpers.js";

// `ebdb migrate` spawned as a user runs it (dist/: `npm run build` first) against one real local
// database shared by the cases, with two of the user guide's tools as Debian packages them
// (python3-django, python3-alembic; .ci/run installs them): a project with two migrations, the
// first run applies them, a second applies nothing, and a migration that fails half-way exits
// non-zero and leaves the schema as the tool leaves it (each rolls the failed migration back: on
// PostgreSQL both run migrations in a transaction). Each tool's project is a folder below the
// config.env, as in an application's repository.

const FIXTURES = fileURLToPath(new URL("./fixtures", import.meta.url));
// Debian's Python, which has the packages (an earlier python3 in PATH, e.g. pyenv's, may not).
const PATH = "/usr/bin:/bin";
const hasPython =
  spawnSync("/usr/bin/python3", ["-c", "import django, alembic, psycopg2"]).status === 0 ||
  process.env.CI === "true";

let p: CliProject;
beforeAll(async () => {
  if (!hasPython) return;
  p = await upProject("migrate");
  for (const tool of ["django", "alembic"])
    cpSync(join(FIXTURES, tool), join(p.dir, tool), { recursive: true });
});
afterAll(async () => {
  await p?.cleanup();
});

async function migrate(folder: string, ...args: string[]) {
  const run = spawnEbdb({ ...p, dir: join(p.dir, folder), env: { ...p.env, PATH } }, ["migrate", ...args]);
  const { code } = await run.exit(60_000);
  return { code, out: run.out(), err: run.err() };
}

const columns = async (table: string) =>
  (
    await query<{ c: string }>(
      p,
      "SELECT column_name AS c FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position",
      [table],
    )
  ).map((r) => r.c);

describe.skipIf(!hasPython)("ebdb migrate on the local target", () => {
  test("Django: applies both migrations, then nothing; a failing one exits 1 and is rolled back", async () => {
    const first = await migrate("django");
    expect(first.err).toContain(
      `ebdb migrate: found manage.py: django; running \`python3 manage.py migrate\` against 127.0.0.1:${p.vars.DB_PORT} (the primary, direct)`,
    );
    expect(first.out).toContain("Applying shop.0001_initial... OK\n  Applying shop.0002_item_price... OK");
    expect(first.code).toBe(0);
    const applied = await query<{ name: string; applied: Date }>(
      p,
      "SELECT name, applied FROM django_migrations WHERE app = 'shop' ORDER BY id",
    );
    expect(applied.map((r) => r.name)).toEqual(["0001_initial", "0002_item_price"]);
    expect(await columns("shop_item")).toEqual(["id", "name", "price"]);

    const second = await migrate("django");
    expect(second.code).toBe(0);
    expect(second.out).toContain("No migrations to apply.");
    expect(second.out).not.toContain("Applying");
    expect(
      await query(p, "SELECT name, applied FROM django_migrations WHERE app = 'shop' ORDER BY id"),
    ).toEqual(applied);

    cpSync(join(FIXTURES, "failing/0003_broken.py"), join(p.dir, "django/shop/migrations/0003_broken.py"));
    const failed = await migrate("django");
    expect(failed.code).toBe(1);
    expect(failed.out).toContain("Applying shop.0003_broken...");
    expect(failed.err).toContain("division by zero");
    expect(failed.err).toContain("ebdb migrate: django exited with status 1");
    // Django ran 0003 in a transaction: its first operation (the note column) is gone with it.
    expect(await columns("shop_item")).toEqual(["id", "name", "price"]);
    expect(
      (await query<{ name: string }>(p, "SELECT name FROM django_migrations WHERE app = 'shop'")).length,
    ).toBe(2);

    // Arguments after -- are the tool's: here, migrate back to 0001.
    rmSync(join(p.dir, "django/shop/migrations/0003_broken.py"));
    const back = await migrate("django", "--", "shop", "0001_initial");
    expect(back.code).toBe(0);
    expect(back.out).toContain("Unapplying shop.0002_item_price... OK");
    expect(await columns("shop_item")).toEqual(["id", "name"]);
  });

  test("Alembic (python3 -m alembic: Debian's module has no command): the same three runs", async () => {
    const first = await migrate("alembic", "--tool", "auto");
    expect(first.err).toContain(
      "ebdb migrate: found alembic.ini: alembic; running `python3 -m alembic upgrade head`",
    );
    expect(first.err).toContain("Running upgrade  -> 0001, create account table");
    expect(first.err).toContain("Running upgrade 0001 -> 0002, add account.email");
    expect(first.code).toBe(0);
    const version = async () =>
      (await query<{ v: string }>(p, "SELECT version_num AS v FROM alembic_version")).map((r) => r.v);
    expect(await version()).toEqual(["0002"]);
    expect(await columns("account")).toEqual(["id", "name", "email"]);

    const second = await migrate("alembic");
    expect(second.code).toBe(0);
    expect(second.err).not.toContain("Running upgrade");
    expect(await version()).toEqual(["0002"]);

    cpSync(
      join(FIXTURES, "failing/0003_broken_alembic.py"),
      join(p.dir, "alembic/migrations/versions/0003_broken.py"),
    );
    const failed = await migrate("alembic");
    expect(failed.code).toBe(1);
    expect(failed.err).toContain("Running upgrade 0002 -> 0003");
    expect(failed.err).toContain("division by zero");
    // Alembic's env.py runs the upgrade in one transaction: the note column and the version stay as they were.
    expect(await columns("account")).toEqual(["id", "name", "email"]);
    expect(await version()).toEqual(["0002"]);
  });

  test("the EB files migrate as a deployment would: on AL2023 only where the leader mark is, on AL2 by the container command", async () => {
    // A fresh copy of the Django project as a source bundle, its tables gone: a first deployment.
    const bundle = "django-eb";
    cpSync(join(FIXTURES, "django"), join(p.dir, bundle), { recursive: true });
    await query(p, "DROP TABLE IF EXISTS shop_item");
    if ((await query<{ t: string | null }>(p, "SELECT to_regclass('django_migrations')::text AS t"))[0].t) {
      await query(p, "DELETE FROM django_migrations WHERE app = 'shop'");
    }
    const written = spawnEbdb({ ...p, dir: join(p.dir, bundle) }, ["eb-hooks", "migrate"]);
    expect((await written.exit()).code).toBe(0);
    expect(written.out()).toContain("wrote .platform/hooks/predeploy/50_ebdb_migrate.sh");
    expect(written.err()).toContain("ebdb eb-hooks migrate: django (found manage.py), for Amazon Linux 2023");

    // On the instance: the application's variables (what `ebdb env` prints, as `up` gives EB), a pooled
    // URL that must not be used, no get-config; EB runs hooks from the staging folder.
    const ebEnv = { PATH, ...p.vars, DATABASE_POOL_URL: "postgresql://pooled.invalid:6432/x" };
    const sh = (command: string, env: Record<string, string> = ebEnv) =>
      // stdin from /dev/null: on a socket (node's default pipe) bash would read root's ~/.bashrc.
      spawnSync("bash", ["-c", command], {
        cwd: join(p.dir, bundle),
        env,
        encoding: "utf8",
        timeout: 60_000,
        stdio: ["ignore", "pipe", "pipe"],
      });
    const hook = "./.platform/hooks/predeploy/50_ebdb_migrate.sh";
    // What git ships: `ebdb init` keeps .ebdb/ (local state) out of it, so nothing here may need it.
    expect(sh("rm -rf .ebdb").status).toBe(0);

    const follower = sh(hook);
    expect(follower.status).toBe(0);
    expect(follower.stdout).toContain("ebdb: not the leader instance of this deployment");
    expect(await columns("shop_item")).toEqual([]);

    // The leader: the leader-only container command's own command, then the hook.
    expect(sh("touch .platform/ebdb-migrate-leader").status).toBe(0);
    const leader = sh(hook);
    expect(leader.stderr).toBe("");
    expect(leader.status).toBe(0);
    expect(leader.stdout).toContain(
      `ebdb: migrating 127.0.0.1:${p.vars.DB_PORT} with: python3 manage.py migrate --noinput`,
    );
    expect(leader.stdout).toContain(
      "Applying shop.0001_initial... OK\n  Applying shop.0002_item_price... OK",
    );
    expect(await columns("shop_item")).toEqual(["id", "name", "price"]);
    expect(sh("test -e .platform/ebdb-migrate-leader").status).toBe(1);

    // AL2: the leader-only container command runs the script itself.
    const al2 = spawnEbdb({ ...p, dir: join(p.dir, bundle) }, ["eb-hooks", "migrate", "--platform", "al2"]);
    expect((await al2.exit()).code).toBe(0);
    const again = sh("bash .platform/ebdb-migrate.sh");
    expect(again.status).toBe(0);
    expect(again.stdout).toContain("No migrations to apply.");

    // Without the database's settings the deployment fails, saying why.
    const bare = sh("bash .platform/ebdb-migrate.sh", { PATH });
    expect(bare.status).toBe(1);
    expect(bare.stderr).toContain("ebdb: DB_HOST is not set");
  });

  test("bad input is exit 2 before the database is touched: nothing found, two tools, an unknown option", async () => {
    const none = await migrate(".");
    expect(none.code).toBe(2);
    expect(none.err).toContain("No migration tool found in");
    cpSync(join(p.dir, "alembic/alembic.ini"), join(p.dir, "django/alembic.ini"));
    const two = await migrate("django");
    expect(two.code).toBe(2);
    expect(two.err).toContain("manage.py (django) and alembic.ini (alembic)");
    expect(two.err).toContain("--tool django or --tool alembic");
    const unknown = await migrate("alembic", "--frobnicate");
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("unknown option '--frobnicate'");
  });
});
