import { describe, expect, it } from "vitest";
import { PREFETCH_MAX, segmentsToPrefetch } from "../../../src/targets/local/restore-prefetch.js";

const seg = (n: number, tl = 1) =>
  `${tl.toString(16).padStart(8, "0")}00000000${n.toString(16).toUpperCase().padStart(8, "0")}`;
const T0 = Date.parse("2026-11-30T10:00:00Z");
/** Segments 2..9 archived a minute apart from T0, compressed; a history file and a foreign file beside them. */
const archive = [
  ...Array.from({ length: 8 }, (_, i) => ({ name: `${seg(i + 2)}.zst`, mtimeMs: T0 + i * 60_000 })),
  { name: "00000002.history", mtimeMs: T0 },
  { name: "notes.txt", mtimeMs: T0 },
  { name: `${seg(9, 2)}.zst`, mtimeMs: T0 },
];

describe("which archived segments a restore unpacks ahead", () => {
  it("to a time: from the base's first segment, those archived by then and the first after (it holds the target)", () => {
    const at = new Date(T0 + 150_000).toISOString(); // between the 3rd (T0+2min) and 4th (T0+3min)
    const got = segmentsToPrefetch(archive, seg(3), { kind: "time", time: at });
    expect(got.map((g) => g.segment)).toEqual([seg(3), seg(4), seg(5)]);
    expect(got[0].file).toBe(`${seg(3)}.zst`);
  });

  it("the latest: every later segment of the base's timeline, never another timeline's", () => {
    const got = segmentsToPrefetch(archive, seg(2), { kind: "latest" });
    expect(got.map((g) => g.segment)).toEqual([2, 3, 4, 5, 6, 7, 8, 9].map((n) => seg(n)));
  });

  it("nothing for a snapshot's own end or an LSN, and at most PREFETCH_MAX", () => {
    expect(segmentsToPrefetch(archive, seg(2), { kind: "immediate" })).toEqual([]);
    expect(segmentsToPrefetch(archive, seg(2), { kind: "lsn", lsn: "0/3000000", inclusive: false })).toEqual(
      [],
    );
    const many = Array.from({ length: PREFETCH_MAX + 10 }, (_, i) => ({ name: seg(i + 1), mtimeMs: T0 }));
    expect(segmentsToPrefetch(many, seg(1), { kind: "latest" })).toHaveLength(PREFETCH_MAX);
  });
});
