/** The migration tools `ebdb migrate` runs, by the names users know them by. */
export const TOOLS = ["django", "alembic", "flyway", "liquibase", "prisma"] as const;
export type ToolName = (typeof TOOLS)[number];

/** One tool the project's files point to, with the files that say so (relative paths, sorted). */
export interface Found {
  tool: ToolName;
  evidence: string[];
}

/**
 * The files each tool reads by default from the directory it runs in, as its own documentation
 * names them: Django's `manage.py`; Alembic's `alembic.ini`; Flyway's `flyway.conf`/`flyway.toml`
 * (read from the working directory) and its SQL migrations `sql/V<version>__<description>.sql`;
 * Liquibase's `liquibase.properties` (its defaults file) and a changelog at the usual places; Prisma's
 * `prisma/schema.prisma` (or `schema.prisma`, which the CLI also looks for).
 */
const FILES: Record<ToolName, string[]> = {
  django: ["manage.py"],
  alembic: ["alembic.ini"],
  flyway: ["flyway.conf", "flyway.toml", "conf/flyway.conf"],
  liquibase: [
    "liquibase.properties",
    ...["xml", "yaml", "yml", "json", "sql"].flatMap((ext) => [
      `changelog.${ext}`,
      `db.changelog-master.${ext}`,
      `db/changelog/db.changelog-master.${ext}`,
    ]),
  ],
  prisma: ["prisma/schema.prisma", "schema.prisma"],
};

/** Flyway's versioned SQL migration names, in its default `sql` location. */
const FLYWAY_SQL = /^sql\/V[0-9][0-9._]*__.+\.sql$/;

/** The single files whose presence the caller checks (relative to the project folder). */
export const PROBE_FILES: readonly string[] = Object.values(FILES).flat();
/** The folders whose entries the caller lists (one level), for Flyway's SQL migrations. */
export const PROBE_DIRS: readonly string[] = ["sql"];

/**
 * Which tools the project uses, from the relative paths that exist among PROBE_FILES and the entries
 * of PROBE_DIRS (`sql/V1__init.sql`). Pure: the caller does the reading. Returns every tool with
 * evidence, in TOOLS order; none, one or several (the caller decides what several means).
 */
export function detectTools(present: Iterable<string>): Found[] {
  const have = new Set(present);
  const found: Found[] = [];
  for (const tool of TOOLS) {
    const evidence = FILES[tool].filter((f) => have.has(f));
    if (tool === "flyway") evidence.push(...[...have].filter((f) => FLYWAY_SQL.test(f)).sort());
    if (evidence.length > 0) found.push({ tool, evidence });
  }
  return found;
}

/** "manage.py (django) and alembic.ini (alembic)": what was found, for messages. */
export function describeFound(found: Found[]): string {
  const one = (f: Found) =>
    `${f.evidence.slice(0, 2).join(", ")}${f.evidence.length > 2 ? ", ..." : ""} (${f.tool})`;
  const parts = found.map(one);
  return parts.length <= 1 ? (parts[0] ?? "") : `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}`;
}
