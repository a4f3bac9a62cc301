/** Why a physical line cannot be parsed at all. */
export type LineDefect = "nul" | "utf8";

/** One physical line of config.env, without its line end. */
export interface SourceLine {
  /** The text, or "" when the line has a defect. */
  text: string;
  defect?: LineDefect;
}

const SURROGATE = /[\uD800-\uDFFF]/;
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Splits config.env into lines. A UTF-8 byte-order mark at the start is skipped and the CR of a
 * CRLF line end is dropped. Both deviate from bash, which would keep them (a BOM makes the first
 * line a command; a CR ends up at the end of the value); editors add them silently, so we
 * forgive them rather than give values with an invisible \r. Lines with NUL bytes or invalid
 * UTF-8 are marked, never decoded loosely.
 */
export function splitLines(input: string | Uint8Array): SourceLine[] {
  const raw = typeof input === "string" ? splitString(input) : splitBytes(input);
  for (const line of raw) {
    if (line.defect) continue;
    if (line.text.endsWith("\r")) line.text = line.text.slice(0, -1);
    if (line.text.includes("\0")) {
      line.text = "";
      line.defect = "nul";
    }
  }
  return raw;
}

function splitString(input: string): SourceLine[] {
  const text = input.startsWith("\uFEFF") ? input.slice(1) : input;
  return text.split("\n").map((t) => (hasLoneSurrogate(t) ? { text: "", defect: "utf8" } : { text: t }));
}

function splitBytes(input: Uint8Array): SourceLine[] {
  const start = input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf ? 3 : 0;
  const bytes = input.subarray(start);
  try {
    return splitString(utf8.decode(bytes));
  } catch {
    // Invalid somewhere: decode line by line so only the bad lines are refused.
    const lines: SourceLine[] = [];
    let from = 0;
    for (;;) {
      const nl = bytes.indexOf(0x0a, from);
      const end = nl === -1 ? bytes.length : nl;
      lines.push(decodeLine(bytes.subarray(from, end)));
      if (nl === -1) return lines;
      from = nl + 1;
    }
  }
}

function decodeLine(bytes: Uint8Array): SourceLine {
  try {
    return { text: utf8.decode(bytes) };
  } catch {
    return { text: "", defect: "utf8" };
  }
}

/** A string from JavaScript may hold half a surrogate pair, which no UTF-8 file can. */
function hasLoneSurrogate(s: string): boolean {
  if (!SURROGATE.test(s)) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c >= 0xdc00) return true;
    const d = s.charCodeAt(i + 1);
    if (!(d >= 0xdc00 && d <= 0xdfff)) return true;
    i++;
  }
  return false;
}
