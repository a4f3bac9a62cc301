import { KEYS, type KeyDef, SECTIONS } from "./schema.js";

/** What a key accepts, in a few words, for the reference and the template. */
export function allowedText(def: KeyDef): string {
  if (def.allowed) return def.allowed;
  if (def.choices) return def.choices.map((c) => `\`${c}\``).join(", ");
  if (def.type === "integer") {
    if (def.min !== undefined && def.max !== undefined) return `${def.min}-${def.max}`;
    if (def.min !== undefined) return `whole number >= ${def.min}`;
    return "whole number";
  }
  return "text";
}

/** The default as the reference shows it. */
export function defaultText(def: KeyDef): string {
  if (def.defaultDoc) return def.defaultDoc;
  return def.default === "" || def.default === null ? "empty" : `\`${def.default}\``;
}

const cell = (s: string) => s.replace(/\|/g, "\\|");

/**
 * The README's configuration reference: one table per section, generated from the schema so the
 * documentation cannot drift from what `ebdb validate` accepts.
 */
export function configReference(): string {
  const out: string[] = [
    'Every key `config.env` may set. Values are read as bash reads them (`KEY="value"`, comments,',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash syntax, shown to the user
    "`${VAR}` from earlier keys); any other key is an error. Run `ebdb validate` to check a file",
    "and `ebdb config` to see every value with its default filled in.",
    "",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash syntax, shown to the user
    "A `$NAME` or `${NAME}` that no key above sets takes the environment variable of whoever runs",
    "ebdb, or nothing: ebdb keeps bash's value and warns (on `validate`, `plan`, `up`), loudest for",
    "`DB_MASTER_PASSWORD` and `DB_MASTER_USERNAME`, where `plan` then says why the master password",
    "would change. Write a value with a `$` of its own in single quotes: `DB_MASTER_PASSWORD='Pa55word!$Tk9'`.",
  ];
  for (const section of SECTIONS) {
    const defs = (KEYS as readonly KeyDef[]).filter((d) => d.section === section);
    if (defs.length === 0) continue;
    out.push("", `### ${section}`, "", "| Key | Default | Allowed | Description |", "|---|---|---|---|");
    for (const d of defs) {
      out.push(
        `| \`${d.key}\` | ${cell(defaultText(d))} | ${cell(allowedText(d))} | ${cell(d.description)} |`,
      );
    }
  }
  return `${out.join("\n")}\n`;
}

export const REFERENCE_START = "<!-- config-reference:start -->";
export const REFERENCE_END = "<!-- config-reference:end -->";

/** The README with its reference section replaced; throws when the markers are missing. */
export function replaceReference(readme: string, reference: string = configReference()): string {
  const start = readme.indexOf(REFERENCE_START);
  const end = readme.indexOf(REFERENCE_END);
  if (start < 0 || end < start) {
    throw new Error(`README has no ${REFERENCE_START} ... ${REFERENCE_END} section`);
  }
  return `${readme.slice(0, start + REFERENCE_START.length)}\n${reference}${readme.slice(end)}`;
}
