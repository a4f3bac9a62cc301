import { bytes, clean, listOf, pct, thousands } from "../format.js";
import { LIMITS } from "../thresholds.js";
import { type Check, graded, green, psqlHint, withPg, yellow } from "./common.js";

/** Index, table, sequence and transaction-ID checks over the application database's catalog. */
export const SCHEMA_CHECKS: Check[] = [
  {
    id: "cache-hit",
    title: "Cache hit rate",
    run: (o, t) =>
      withPg(o, (pg) => {
        const c = pg.cache;
        // The judged rate leaves out first reads (see doctor/sql.ts "cache"): hits against the
        // reads past the first passes over each relation.
        const rate = (hit: number, reread: number) => (hit + reread > 0 ? hit / (hit + reread) : null);
        const heap = rate(c.heapHit, c.heapRereads);
        const index = rate(c.indexHit, c.indexRereads);
        const raw = (hit: number, read: number) => (hit + read > 0 ? hit / (hit + read) : null);
        const observed = {
          tableHitRate: heap,
          indexHitRate: index,
          tableHitRateAllReads: raw(c.heapHit, c.heapRead),
          indexHitRateAllReads: raw(c.indexHit, c.indexRead),
          tableBlocks: c.heapHit + c.heapRead,
          indexBlocks: c.indexHit + c.indexRead,
          firstReads: c.heapRead - c.heapRereads + (c.indexRead - c.indexRereads),
        };
        const judged = c.heapHit + c.heapRereads + c.indexHit + c.indexRereads;
        if (judged < LIMITS.cacheMinBlocks)
          return green(
            `too few reads yet to judge (${judged} block accesses besides ${observed.firstReads} first reads; judged from ${LIMITS.cacheMinBlocks})`,
            observed,
          );
        const rates = [heap, index].filter((x): x is number => x !== null);
        const worst = Math.min(...rates);
        const level = worst < t.cacheHitRed ? "red" : worst < t.cacheHitYellow ? "yellow" : "green";
        const text = `tables ${heap === null ? "n/a" : pct(heap)}, indexes ${index === null ? "n/a" : pct(index)} read from memory (besides ${observed.firstReads} first reads of new or not yet cached blocks)`;
        return graded(
          level,
          text,
          observed,
          `Under ${pct(t.cacheHitYellow)} the working set does not fit in shared_buffers: a bigger instance class (more memory), or fewer full-table scans (indexes; see top-queries).`,
        );
      }),
  },
  {
    id: "unused-indexes",
    title: "Unused indexes",
    run: (o) =>
      withPg(o, (pg) => {
        const list = pg.unusedIndexes;
        const since = pg.statsReset ? ` since ${pg.statsReset.slice(0, 10)}` : " since the statistics began";
        if (list.length === 0)
          return green("no large index goes unused", { indexes: [], statsReset: pg.statsReset });
        const total = list.reduce((a, i) => a + i.sizeBytes, 0);
        return yellow(
          `${list.length} index(es) scanned fewer than ${LIMITS.unusedIndexMaxScans} times${since} (${bytes(total)}): ${listOf(list.map((i) => `${clean(i.index, 60)} on ${clean(i.table, 60)} (${bytes(i.sizeBytes)}, ${i.scans} scans)`))}`,
          { indexes: list, statsReset: pg.statsReset },
          `Every write updates them for nothing. Check the replicas too (their scans are counted there), then DROP INDEX CONCURRENTLY ${clean(list[0].index, 60)}; in ${psqlHint(o)}.`,
        );
      }),
  },
  {
    id: "duplicate-indexes",
    title: "Duplicate indexes",
    run: (o) =>
      withPg(o, (pg) => {
        const list = pg.duplicateIndexes;
        if (list.length === 0) return green("no two indexes are the same", { duplicates: [] });
        return yellow(
          `${list.length} set(s) of identical indexes: ${listOf(list.map((d) => `${d.indexes.map((i) => clean(i, 60)).join(" = ")} on ${clean(d.table, 60)}`))}`,
          { duplicates: list },
          `Keep one of each set: DROP INDEX CONCURRENTLY ${clean(list[0].indexes.at(-1) ?? "", 60)}; in ${psqlHint(o)}.`,
        );
      }),
  },
  {
    id: "foreign-key-indexes",
    title: "Foreign keys without an index",
    run: (o) =>
      withPg(o, (pg) => {
        const list = pg.foreignKeysWithoutIndex;
        if (list.length === 0)
          return green("every foreign key has an index on its columns", { foreignKeys: [] });
        const f = list[0];
        return yellow(
          `${list.length} foreign key(s) without an index on their columns: ${listOf(list.map((k) => `${clean(k.table, 60)}(${k.columns.join(", ")}) → ${clean(k.references, 60)}`))}`,
          { foreignKeys: list },
          `A DELETE or key UPDATE on the referenced table scans the whole referencing table, under lock. CREATE INDEX CONCURRENTLY ON ${clean(f.table, 60)} (${f.columns.join(", ")});`,
        );
      }),
  },
  {
    id: "null-indexes",
    title: "Mostly-NULL indexes",
    run: (o) =>
      withPg(o, (pg) => {
        const list = pg.nullIndexes;
        if (list.length === 0) return green("no large index is mostly NULL", { indexes: [] });
        const i = list[0];
        return yellow(
          `${list.length} index(es) over mostly NULL columns: ${listOf(list.map((x) => `${clean(x.index, 60)} (${pct(x.nullFraction)} NULL, ${bytes(x.sizeBytes)})`))}`,
          { indexes: list },
          `A partial index skips the NULLs: CREATE INDEX CONCURRENTLY ON ${clean(i.table, 60)} (${clean(i.column, 60)}) WHERE ${clean(i.column, 60)} IS NOT NULL; then DROP INDEX CONCURRENTLY ${clean(i.index, 60)};`,
        );
      }),
  },
  {
    id: "bloat",
    title: "Table bloat",
    run: (o) =>
      withPg(o, (pg) => {
        const bad = pg.bloat.filter(
          (b) => b.factor >= LIMITS.bloatMinFactor && b.wasteBytes >= LIMITS.bloatMinWasteBytes,
        );
        const worst = pg.bloat[0];
        if (bad.length === 0)
          return green(
            worst && worst.wasteBytes > 0
              ? `no table is badly bloated (most: ${clean(worst.table, 60)}, about ${bytes(worst.wasteBytes)} more than its rows need)`
              : "no table is badly bloated",
            { tables: pg.bloat },
          );
        return yellow(
          `${bad.length} table(s) take ${LIMITS.bloatMinFactor} times or more the space their rows need: ${listOf(bad.map((b) => `${clean(b.table, 60)} (${b.factor}x, ${bytes(b.wasteBytes)} wasted)`))}`,
          { tables: pg.bloat },
          `VACUUM does not give space back; VACUUM FULL ${clean(bad[0].table, 60)} (locks the table while it rewrites it) or pg_repack (online) does. Then find what held VACUUM back (long transactions, autovacuum settings).`,
        );
      }),
  },
  {
    id: "hot-updates",
    title: "HOT updates",
    run: (o) =>
      withPg(o, (pg) => {
        const list = pg.hotUpdates;
        if (list.length === 0)
          return green("updates are mostly HOT (heap-only) where there are many", { tables: [] });
        const t = list[0];
        return yellow(
          `${list.length} table(s) where under ${pct(LIMITS.hotMinRatio)} of updates are HOT: ${listOf(list.map((x) => `${clean(x.table, 60)} (${pct(x.hotUpdates / Math.max(1, x.updates))} of ${x.updates})`))}`,
          { tables: list },
          `Each non-HOT update writes every index too. Leave room in the pages (ALTER TABLE ${clean(t.table, 60)} SET (fillfactor = 90)) and avoid indexing columns that change often.`,
        );
      }),
  },
  {
    id: "sequences",
    title: "Sequences near their limit",
    run: (o) =>
      withPg(o, (pg) => {
        const used = pg.sequences.map((s) => {
          const range = s.maxValue - s.minValue;
          const share =
            range > 0 ? (s.increment > 0 ? s.lastValue - s.minValue : s.maxValue - s.lastValue) / range : 0;
          return { ...s, share };
        });
        const near = used.filter((s) => s.share >= LIMITS.sequenceYellow).sort((a, b) => b.share - a.share);
        if (near.length === 0)
          return green(
            used[0]
              ? `the fullest sequence, ${clean(used[0].sequence, 60)}, has used ${pct(used[0].share)} of its range`
              : "no sequence in use",
            { sequences: used.slice(0, 5) },
          );
        const s = near[0];
        const level = s.share >= LIMITS.sequenceRed ? "red" : "yellow";
        const col = s.column ? ` for ${clean(s.column, 80)}` : "";
        return graded(
          level,
          `${clean(s.sequence, 60)}${col} has used ${pct(s.share)} of its range (${s.lastValue} of ${s.maxValue})${near.length > 1 ? `, and ${near.length - 1} more past ${pct(LIMITS.sequenceYellow)}` : ""}`,
          { sequences: near },
          s.column
            ? `Inserts fail when it runs out. Widen the column and the sequence: ALTER TABLE ... ALTER COLUMN ... TYPE bigint (${clean(s.column, 80)}; rewrites the table), then ALTER SEQUENCE ${clean(s.sequence, 60)} AS bigint;`
            : `Inserts fail when it runs out: ALTER SEQUENCE ${clean(s.sequence, 60)} AS bigint MAXVALUE 9223372036854775807;`,
        );
      }),
  },
  {
    id: "wraparound-tables",
    title: "Table transaction-ID wraparound",
    run: (o) =>
      withPg(o, (pg) => {
        const t = pg.wraparound.tables[0];
        if (!t) return green("no table", { tables: [] });
        const level =
          t.age >= LIMITS.wraparoundRed ? "red" : t.age >= LIMITS.wraparoundYellow ? "yellow" : "green";
        return graded(
          level,
          `the oldest unfrozen table, ${clean(t.table, 60)}, is ${thousands(t.age)} transactions old (PostgreSQL stops at 2,147,483,647)`,
          { tables: pg.wraparound.tables },
          `Freeze it: VACUUM (FREEZE, VERBOSE) ${clean(t.table, 60)}; and find what keeps autovacuum from it (long transactions, abandoned replication slots, autovacuum_freeze_max_age).`,
        );
      }),
  },
  {
    id: "wraparound-databases",
    title: "Database transaction-ID wraparound",
    run: (o) =>
      withPg(o, (pg) => {
        const d = pg.wraparound.databases[0];
        if (!d) return green("no database", { databases: [] });
        const level =
          d.age >= LIMITS.wraparoundRed ? "red" : d.age >= LIMITS.wraparoundYellow ? "yellow" : "green";
        return graded(
          level,
          `the oldest database, ${clean(d.name, 60)}, is ${thousands(d.age)} transactions old`,
          { databases: pg.wraparound.databases },
          `VACUUM (FREEZE) every table of ${clean(d.name, 60)} (vacuumdb --freeze --all), after ending long transactions and dropping abandoned replication slots.`,
        );
      }),
  },
  {
    id: "unlogged-tables",
    title: "Unlogged tables",
    run: (o) =>
      withPg(o, (pg) => {
        const list = pg.unlogged;
        if (list.length === 0) return green("no unlogged table", { tables: [] });
        return yellow(
          `${list.length} unlogged table(s): ${listOf(list.map((x) => clean(x.table, 60)))}`,
          { tables: list },
          `An unlogged table is emptied after a crash and is not on replicas, in backups' WAL or in restores. If it holds data to keep: ALTER TABLE ${clean(list[0].table, 60)} SET LOGGED;`,
        );
      }),
  },
  {
    id: "schemas",
    title: "Schema count",
    run: (o) =>
      withPg(o, (pg) =>
        pg.schemas >= LIMITS.schemasYellow
          ? yellow(
              `${pg.schemas} schemas`,
              { schemas: pg.schemas },
              "Many schemas (one per tenant) slow pg_dump, migrations and the catalog; consider a tenant column instead.",
            )
          : green(`${pg.schemas} schema(s)`, { schemas: pg.schemas }),
      ),
  },
];
