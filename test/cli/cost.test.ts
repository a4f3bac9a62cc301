import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { captureOutput } from "../fixtures/output.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ebdb-cost-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The spec's read-replica example, on MySQL whose db.t3.small list price is the spec's $0.034/h. */
const SPEC_EXAMPLE = [
  "APP_NAME=my-app",
  'DB_ENGINE="mysql"',
  'DB_ENGINE_VERSION="8.0.35"',
  "DB_INSTANCE_CLASS=db.t3.small",
  'DB_READ_REPLICA_ENABLED="true"',
  'DB_READ_REPLICA_COUNT="1"',
  'DB_READ_REPLICA_MIN_CAPACITY="1"',
  'DB_READ_REPLICA_MAX_CAPACITY="3"',
];

describe("ebdb cost", () => {
  it("prints a table with the spec's replica range and a total range", async () => {
    await writeFile(join(dir, "config.env"), `${SPEC_EXAMPLE.join("\n")}\n`);
    const o = captureOutput();
    expect(await main(["cost"], o, {}, dir)).toBe(0);
    const out = o.stdout();
    expect(out).toMatch(/Monthly estimate for my-app-prod-db \(mysql 8\.0\.35\) on RDS/);
    expect(out).toMatch(/us-east-1 on-demand list prices of \d{4}-\d\d-\d\d, 730 h\/month/);
    expect(out).toMatch(/Read replicas +\$24\.82 – \$74\.46 +1 to 3 × db\.t3\.small at \$0\.034\/h each/);
    expect(out).toMatch(/Primary instance +\$49\.64 +db\.t3\.small, Multi-AZ/);
    expect(out).toMatch(/\nTotal +\$\d+\.\d\d – \$\d+\.\d\d/);
    expect(out).toMatch(/Assumptions:/);
  });

  it("prints the estimate as JSON with --json", async () => {
    await writeFile(join(dir, "config.env"), `${SPEC_EXAMPLE.join("\n")}\n`);
    const o = captureOutput();
    expect(await main(["cost", "--json"], o, {}, dir)).toBe(0);
    const json = JSON.parse(o.stdout());
    expect(json).toMatchObject({
      identifier: "my-app-prod-db",
      currency: "USD",
      priceRegion: "us-east-1",
      hoursPerMonth: 730,
    });
    expect(json.lines.find((l: { item: string }) => l.item === "Read replicas")).toMatchObject({
      monthlyMin: 24.82,
      monthlyMax: 74.46,
    });
    expect(json.total.min).toBeLessThan(json.total.max);
  });
});
