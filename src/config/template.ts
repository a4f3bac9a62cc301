import { allowedText } from "./reference.js";
import { KEYS, type KeyDef, SECTIONS } from "./schema.js";

/** A value in double quotes, escaped as bash reads it back. */
export function bashQuote(value: string): string {
  return `"${value.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;
}

/**
 * The commented config.env that `ebdb init` writes: every key of the schema with its description
 * and allowed values, in sections. Keys with a literal default are set to it; keys whose default is
 * derived from others are shown commented out, so the file stays correct when those change.
 */
export function configTemplate(opts: { appName: string; engineVersion?: string }): string {
  const active: Record<string, string> = {
    APP_NAME: opts.appName,
    DB_ENGINE_VERSION: opts.engineVersion ?? "16.8",
  };
  const out: string[] = [
    "# ebdb configuration: one file for the database of an Elastic Beanstalk application.",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash syntax, shown to the user
    '# Read as bash reads it (KEY="value", comments, ${VAR} from keys above). Every key, its',
    "# default and its rules are in the README's configuration reference.",
    "#   ebdb validate   checks this file      ebdb config   shows every value, defaults filled in",
    "# A $ of the value's own needs single quotes (KEY='a$b'): unquoted or in double quotes, bash",
    "# takes $b from the environment of whoever runs ebdb (ebdb warns when it does).",
    "# Keep DB_MASTER_PASSWORD empty: ebdb then generates one and keeps it out of this file.",
  ];
  for (const section of SECTIONS) {
    const defs = (KEYS as readonly KeyDef[]).filter((d) => d.section === section);
    if (defs.length === 0) continue;
    out.push("", `# --- ${section} ---`);
    for (const d of defs) {
      const value = active[d.key] ?? d.default;
      const doc = d.defaultDoc && (value === null || value === "") ? ` ${defaultNote(d.defaultDoc)}.` : "";
      const allowed = allowedText(d);
      out.push("", `# ${d.description.replace(/`/g, "")}${doc}`);
      if (allowed !== "text") out.push(`# Allowed: ${allowed.replace(/`/g, "")}.`);
      out.push(value === null ? `# ${d.key}=""` : `${d.key}=${bashQuote(value)}`);
    }
  }
  return `${out.join("\n")}\n`;
}

function defaultNote(doc: string): string {
  const plain = doc.replace(/`/g, "");
  return plain.startsWith("empty: ") ? `Empty means ${plain.slice(7)}` : `Default: ${plain}`;
}
