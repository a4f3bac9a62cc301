import { join } from "node:path";
import { readFileSafe, writeFileMode } from "./fs-safe.js";
import type { Layout } from "./layout.js";

/** One reading of the primary's size (bytes) at a time (ms since the epoch). */
export interface SizeSample {
  at: number;
  bytes: number;
}

const KEEP = 200;
const WINDOW_MS = 7 * 86_400_000;
/** Samples closer than this to the last one are not kept (a doctor run twice in a row adds one). */
const MIN_SPACING_MS = 5 * 60_000;
/** A rate needs samples at least this far apart. */
const MIN_SPAN_MS = 60 * 60_000;

function samplesFile(l: Layout): string {
  return join(l.stateDir, "storage-samples.json");
}

/**
 * The recent growth of the primary's data, locally: each `doctor` run records the size in
 * .ebdb/<identifier>/storage-samples.json (the local stand-in for FreeStorageSpace's history), and
 * the rate is the change from the oldest sample of the last 7 days, at least an hour old. Returns
 * bytes per day and the window in hours; nulls until there is such a sample.
 */
export async function recordAndRate(
  l: Layout,
  bytes: number,
  now = Date.now(),
  opts: { record?: boolean } = {},
): Promise<{ perDay: number | null; hours: number | null }> {
  let samples: SizeSample[] = [];
  try {
    const text = await readFileSafe(samplesFile(l));
    if (text)
      samples = (JSON.parse(text) as SizeSample[]).filter(
        (x) => Number.isFinite(x.at) && Number.isFinite(x.bytes),
      );
  } catch {
    samples = [];
  }
  samples = samples.filter((x) => x.at <= now && now - x.at <= WINDOW_MS);
  const oldest = samples[0];
  const rate =
    oldest && now - oldest.at >= MIN_SPAN_MS
      ? {
          perDay: ((bytes - oldest.bytes) / (now - oldest.at)) * 86_400_000,
          hours: Math.round((now - oldest.at) / 360_000) / 10,
        }
      : { perDay: null, hours: null };
  const last = samples.at(-1);
  if (opts.record !== false && (!last || now - last.at >= MIN_SPACING_MS)) {
    samples.push({ at: now, bytes });
    await writeFileMode(samplesFile(l), JSON.stringify(samples.slice(-KEEP)), 0o600).catch(() => {});
  }
  return rate;
}
