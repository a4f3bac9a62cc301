import { SYSTEM_DATABASES } from "../config/catalog/reserved-words.js";
import type { Engine } from "../model/config.js";
import type { AdoptedDatabase } from "./config-from-instance.js";

// The names `ebdb adopt` writes: APP_NAME and ENV_NAME, DB_NAME. Pure.

const RDS = "RDS DescribeDBInstances";

/**
 * A name usable as APP_NAME/ENV_NAME: lower case, letters, digits and single hyphens, a letter
 * first, at most `max` characters (40, config/rules-names.ts).
 */
function nameOf(s: string, fallback: string, max = 40): string {
  const n = s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^[^a-z]+/, "")
    .slice(0, max)
    .replace(/-+$/, "");
  return n || fallback;
}

/**
 * APP_NAME and ENV_NAME: those an earlier `up` or adopt tagged the instance with (ebdb's secret and
 * other names derive from them), else from the EB names: `shop` and `shop-prod` give `shop` and `prod`.
 */
export function appAndEnv(db: AdoptedDatabase): { app: string; env: string; tagged: boolean } {
  const derived = namesFromEb(db);
  if (!db.ebdbTags) return { ...derived, tagged: false };
  const app = nameOf(db.ebdbTags.app, "app");
  const env = nameOf(db.ebdbTags.env, "prod");
  // Tags equal to the derived names (adopt's own, from a first run) keep the comment a rerun compares.
  return { app, env, tagged: app !== derived.app || env !== derived.env };
}

function namesFromEb(db: AdoptedDatabase): { app: string; env: string } {
  // Without EB's names, EB_ENVIRONMENT_NAME derives as `<APP_NAME>-prod`: 40 characters at most.
  if (!db.eb) return { app: nameOf(db.identifier, "app", 40 - "-prod".length), env: "prod" };
  const app = nameOf(db.eb.application, "app");
  const envName = nameOf(db.eb.environment, "prod");
  const rest = envName.startsWith(`${app}-`) ? envName.slice(app.length + 1) : envName;
  return { app, env: nameOf(rest, "prod") };
}

/**
 * DB_NAME: the instance's DBName; without one, the database the EB environment's property names (a
 * MySQL or MariaDB instance made without DBName holds no database of the application's), else
 * PostgreSQL's own `postgres`. MySQL's own `mysql` is not one ebdb may name (rules-engine.ts), so
 * with nothing to go by the key is left unset, saying why.
 */
export function dbNameOf(db: AdoptedDatabase): [string | null, string] {
  if (db.dbName) return [db.dbName, `${RDS} DBName`];
  const prop = db.eb?.databaseProperty;
  const own = SYSTEM_DATABASES[db.engine as Engine] ?? [];
  if (prop && !own.includes(prop.value.toLowerCase()))
    return [prop.value, `the instance has no DBName: EB environment property ${prop.key}`];
  if (db.engine === "postgres") return ["postgres", "the engine's own database (the instance has no DBName)"];
  return [
    null,
    "the instance has no DBName and no EB property names its database: set the database the application uses (ebdb's variables name it; `app` if left unset)",
  ];
}
