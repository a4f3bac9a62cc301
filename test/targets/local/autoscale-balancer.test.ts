import { spawn } from "node:child_process";
import { connect, createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ReaderBalancer } from "../../../src/targets/local/autoscale-balancer.js";
import { cpuSecondsBetween, sampleServers } from "../../../src/targets/local/autoscale-cpu.js";
import { choosePort } from "../../../src/targets/local/ports.js";

// The reader endpoint's balancer over real sockets: backends that answer with their name.
const servers: Server[] = [];
async function backend(name: string): Promise<number> {
  const srv = createServer((s) => s.end(name));
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  servers.push(srv);
  return (srv.address() as { port: number }).port;
}
/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  return choosePort(40_000 + (process.pid % 10_000), new Set(), { what: "test" });
}
/** What a new connection through the balancer reads, or "closed". */
function ask(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    let got = "";
    s.on("data", (b) => {
      got += b;
    });
    s.on("close", () => resolve(got || "closed"));
    s.on("error", () => {});
  });
}

let lb: ReaderBalancer;
let a: number;
let b: number;
let primary: number;
beforeAll(async () => {
  [a, b, primary] = await Promise.all([backend("a"), backend("b"), backend("primary")]);
  lb = new ReaderBalancer("127.0.0.1", await closedPort());
  await lb.listen();
});
afterAll(async () => {
  await lb.close();
  for (const s of servers) s.close();
});

describe("the local reader endpoint (TCP balancer)", () => {
  test("new connections go to the ready replicas in turn", async () => {
    lb.setMembers(
      [
        { name: "a", port: a },
        { name: "b", port: b },
      ],
      { name: "primary", port: primary },
    );
    const got = [];
    for (let i = 0; i < 4; i++) got.push(await ask(lb.port));
    expect(got.sort()).toEqual(["a", "a", "b", "b"]);
    expect(lb.takeFallbackCount()).toBe(0);
  });

  test("a member that refuses is skipped; with none ready, the primary; with no primary, closed", async () => {
    lb.setMembers(
      [
        { name: "gone", port: await closedPort() },
        { name: "b", port: b },
      ],
      null,
    );
    for (let i = 0; i < 3; i++) expect(await ask(lb.port)).toBe("b");
    lb.setMembers([], { name: "primary", port: primary });
    expect(await ask(lb.port)).toBe("primary");
    expect(lb.takeFallbackCount()).toBe(1);
    expect(lb.takeFallbackCount()).toBe(0);
    lb.setMembers([], null);
    expect(await ask(lb.port)).toBe("closed");
  });

  test("a drained replica gets no new connection", async () => {
    lb.setMembers(
      [
        { name: "a", port: a },
        { name: "b", port: b },
      ],
      null,
    );
    lb.drain("a");
    expect(lb.memberNames()).toEqual(["b"]);
    for (let i = 0; i < 3; i++) expect(await ask(lb.port)).toBe("b");
  });

  test("a port another program holds is a clear error", async () => {
    const other = new ReaderBalancer("127.0.0.1", a);
    await expect(other.listen()).rejects.toMatchObject({ code: "READER_PORT_TAKEN" });
  });
});

describe("a server's CPU time from /proc", () => {
  test("counts its children's CPU, and theirs once they exited and were reaped", async () => {
    const before = sampleServers([process.pid]).get(process.pid)!;
    // A child that burns 0.3 s of CPU (its own clock: contention does not shorten it) and exits:
    // its time moves into our cutime when reaped.
    await new Promise<void>((resolve) => {
      const c = spawn(process.execPath, ["-e", "while (process.cpuUsage().user < 300000) {}"]);
      c.on("exit", () => resolve());
    });
    const after = sampleServers([process.pid]).get(process.pid)!;
    expect(cpuSecondsBetween(before, after)).toBeGreaterThanOrEqual(0.28);
    expect(cpuSecondsBetween(before, { ...after, start: "other" })).toBeNull();
  });
});
