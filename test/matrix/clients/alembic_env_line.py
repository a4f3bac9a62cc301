# The line the README tells Alembic users to put in env.py, after `config = context.config`:
# ConfigParser interpolates %, so a percent-encoded URL needs each % doubled.
config.set_main_option("sqlalchemy.url", os.environ["DATABASE_URL"].replace("%", "%%"))
