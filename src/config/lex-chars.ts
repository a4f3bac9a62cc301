/** Character classes shared by the line and value scanners (ASCII only, as bash in any locale). */

/** For each mode, the ASCII characters that need a look (all others are copied as they are). */
function specials(chars: string): Uint8Array {
  const table = new Uint8Array(128);
  for (let c = 0; c < 0x20; c++) table[c] = 1;
  table[0x7f] = 1;
  for (const c of chars) table[c.charCodeAt(0)] = 1;
  return table;
}
// One table per scanner mode (see Mode in parse-value.ts): the characters that end a plain run there.
export const TOP_SPECIAL = specials(" \t\\'\"$`:{;&|<>()");
export const DQ_SPECIAL = specials('"\\$`');
export const QDEFDQ_SPECIAL = specials("\"\\$`'");
export const UDEF_SPECIAL = specials("}$`\"{\\':;&|<>()");
export const QDEF_SPECIAL = specials("}$`\"{'\\<>");

export function isBlank(c: string | undefined): boolean {
  return c === " " || c === "\t";
}

export function isNameStart(c: string | undefined): boolean {
  return c !== undefined && ((c >= "A" && c <= "Z") || (c >= "a" && c <= "z") || c === "_");
}

export function isNameChar(c: string | undefined): boolean {
  return isNameStart(c) || (c !== undefined && c >= "0" && c <= "9");
}

/** End index of the name starting at `i` (i itself when there is none). */
export function nameEnd(s: string, i: number): number {
  if (!isNameStart(s[i])) return i;
  let j = i + 1;
  while (isNameChar(s[j])) j++;
  return j;
}

export function isForbiddenControl(c: string): boolean {
  const code = c.charCodeAt(0);
  return (code < 0x20 && c !== "\t") || code === 0x7f;
}

/** End of the run of characters from `i` that `table` says need no look. */
export function plainRun(s: string, i: number, table: Uint8Array): number {
  let j = i;
  for (; j < s.length; j++) {
    const code = s.charCodeAt(j);
    if (code < 128 && table[code] === 1) break;
  }
  return j;
}
