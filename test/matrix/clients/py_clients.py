"""Python clients as applications use them, one process per client, many cases.

Usage: /usr/bin/python3 py_clients.py <client> <cases.json> <results.json> <workdir>
client: psycopg2 | sqlalchemy (through Alembic) | django. Each case: {id, env, dotenv?}: env is the whole environment
`ebdb exec` gives (null: this process's own, when run under `ebdb exec`); dotenv is the case's
`ebdb env` output, loaded with python-dotenv as an application does (load_dotenv).
"""
import io
import json
import os
import sys

client, cases_file, out_file, workdir = sys.argv[1:5]
Q = "SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
HERE = os.path.dirname(os.path.abspath(__file__))
BASE = {k: v for k, v in os.environ.items() if not (k.startswith("PG") or k.startswith("DB_") or k.startswith("RDS_") or k in ("DATABASE_URL",) or k.startswith("JDBC_"))}


def set_environment(env):
    os.environ.clear()
    os.environ.update(env)


def psycopg2_cases():
    import psycopg2

    def run(dsn):
        c = psycopg2.connect(dsn, connect_timeout=10)
        try:
            cur = c.cursor()
            cur.execute(Q)
            return cur.fetchone()
        finally:
            c.close()

    # The URL as given, and libpq's own environment variables alone (an empty connection string).
    return {"url": lambda: run(os.environ["DATABASE_URL"]), "libpq-env": lambda: run("")}


def sqlalchemy_cases():
    from alembic import command
    from alembic.config import Config

    # An Alembic project as `alembic init` makes it, with the README's line in its env.py; the test
    # also has env.py note who it connected as, over which TLS, where it opens its connection.
    script_dir = os.path.join(workdir, "alembic")
    ini = os.path.join(workdir, "alembic.ini")
    if not os.path.exists(ini):
        command.init(Config(ini), script_dir)
        env_py = os.path.join(script_dir, "env.py")
        with open(env_py) as f:
            src = f.read()
        with open(os.path.join(HERE, "alembic_env_line.py")) as f:
            line = [x for x in f.read().splitlines() if x.startswith("config.")][0]
        marker = "config = context.config\n"
        connect = "    with connectable.connect() as connection:\n"
        assert marker in src and connect in src
        src = src.replace(marker, marker + "import os\n" + line + "\n", 1)
        note = '        config.attributes["who"] = tuple(connection.exec_driver_sql(%r).one())\n' % Q
        src = src.replace(connect, connect + note, 1)
        with open(env_py, "w") as f:
            f.write(src)

    def alembic_current():
        # `alembic current` through that env.py: SQLAlchemy's engine_from_config over the URL
        # that set_main_option put in Alembic's ConfigParser.
        cfg = Config(ini, stdout=io.StringIO())
        command.current(cfg)
        return cfg.attributes["who"]

    return {"alembic-current": alembic_current}


def django_cases():
    import importlib

    sys.path.insert(0, HERE)
    import django
    from django.conf import settings

    settings.configure(DATABASES={"default": {"ENGINE": "django.db.backends.postgresql"}}, USE_TZ=True)
    django.setup()
    from django.db import connections

    def run():
        # settings.py evaluated in this case's environment, as Django imports it at start.
        mod = sys.modules.get("django_settings")
        mod = importlib.reload(mod) if mod else importlib.import_module("django_settings")
        conn = connections["default"]
        conn.close()
        conn.settings_dict.update(mod.DATABASES["default"])
        with conn.cursor() as cur:
            cur.execute(Q)
            row = cur.fetchone()
        conn.close()
        return row

    return {"settings": run}


def main():
    methods = {"psycopg2": psycopg2_cases, "sqlalchemy": sqlalchemy_cases, "django": django_cases}[client]()
    from dotenv import load_dotenv

    own = dict(os.environ)
    results = []
    for k in json.load(open(cases_file)):
        sources = [("exec", k["env"] if k["env"] is not None else own)]
        if k.get("dotenv"):
            sources.append(("dotenv", None))
        for source, env in sources:
            if source == "exec":
                set_environment(env)
            else:
                set_environment(BASE)
                load_dotenv(stream=io.StringIO(k["dotenv"]), override=True)
            for name, fn in methods.items():
                # The .env path is the exec path once python-dotenv has read it (readers.py shows it
                # reads every value exactly): Django and the URL through psycopg2 cover it.
                if source == "dotenv" and (client == "sqlalchemy" or name == "libpq-env"):
                    continue
                try:
                    user, ssl = fn()
                    results.append({"id": k["id"], "source": f"{source}/{name}", "user": user, "ssl": ssl})
                except Exception as e:  # a refused connection is a result, not a crash
                    results.append({"id": k["id"], "source": f"{source}/{name}", "error": f"{type(e).__name__}: {e}"})
    json.dump(results, open(out_file, "w"))


main()
