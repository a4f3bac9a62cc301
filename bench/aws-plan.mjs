// The AWS target against the stateful AWS fake, on its simulated clock (no real AWS, no waiting):
//  1. API calls of a no-op plan (observe + diff of a converged configuration). Aim: at most 20.
//  2. Simulated time of `up` from nothing with two read replicas, against its critical path: the
//     primary's creation (creating + first backup) overlapping the EB rolling update that attaches the
//     client security group, then a replica's creation, then the EB update that sets the hosts.
//     Aim: within 5%.
// TypeScript sources are loaded through Vite's SSR loader (Vitest's own), so no build is needed.
import { fileURLToPath } from "node:url";
import { createServer } from "vite";

const root = fileURLToPath(new URL("..", import.meta.url));
const server = await createServer({
  root,
  logLevel: "error",
  appType: "custom",
  server: { middlewareMode: true, hmr: false, watch: null },
  optimizeDeps: { noDiscovery: true, include: [] },
});
const load = (p) => server.ssrLoadModule(p);

try {
  const fakeMod = await load("/test/fakes/aws/index.ts");
  const { makeConfig } = await load("/test/fixtures/config.ts");
  const { deriveDesired } = await load("/src/model/desired.ts");
  const { diff } = await load("/src/plan/diff.ts");
  const { withAwsDrift } = await load("/src/plan/diff-aws.ts");
  const { createAwsTarget } = await load("/src/targets/aws/index.ts");
  const { RecordingIoHost } = await load("/src/io.ts");

  const config = makeConfig({
    replicas: { enabled: true, count: 2, min: 2, max: 3 },
    alarmEmail: "ops@example.com",
  });
  const desired = deriveDesired(config, "aws");

  async function up(fake, io = new RecordingIoHost()) {
    const target = createAwsTarget({ cwd: root, env: {}, io, target: "aws" }, { clock: fake.clock });
    const observed = await target.observe(desired);
    const plan = withAwsDrift(diff(desired, observed, { now: fake.clock.now() }), observed);
    if (plan.changes.length > 0) await target.apply(plan, desired, io, {});
    return plan;
  }

  function world(pageSize) {
    const fake = fakeMod.installFakeAws({ pageSize });
    fakeMod.seedDefaultEnvironment(fake, { app: "my-app", env: "my-app-prod" });
    return fake;
  }

  // 1. No-op plan.
  console.log("No-op plan of a converged configuration (primary, 2 replicas, e-mail alarms):");
  for (const pageSize of [100, 2]) {
    const fake = world(pageSize);
    await up(fake);
    fake.resetCalls();
    const plan = await up(fake);
    const total = fake.countCalls();
    const mutating = fake.countCalls({ mutating: true });
    const by = {};
    for (const c of fake.calls) by[`${c.service}.${c.command}`] = (by[`${c.service}.${c.command}`] ?? 0) + 1;
    const label = pageSize === 2 ? "fake's 2-item pages" : "AWS-sized pages";
    console.log(
      `  ${label.padEnd(20)} ${String(total).padStart(3)} calls (${mutating} mutating, ${plan.changes.length} changes)  aim <= 20  ${total <= 20 && mutating === 0 ? "ok" : "MISSED"}`,
    );
    if (pageSize === 100)
      console.log(
        `    ${Object.entries(by)
          .map(([k, v]) => `${k}${v > 1 ? ` x${v}` : ""}`)
          .join(", ")}`,
      );
    fake.uninstall();
  }

  // 2. Simulated time of up with two replicas against the critical path.
  const { RDS_TIMES, EB_TIMES } = fakeMod;
  const fake = world(100);
  const t0 = fake.clock.now().getTime();
  await up(fake);
  const took = fake.clock.now().getTime() - t0;
  const primary = RDS_TIMES.create + RDS_TIMES.initialBackup;
  const critical = Math.max(primary, EB_TIMES.rollingReplace) + RDS_TIMES.replicaCreate + EB_TIMES.update;
  const serial = primary + RDS_TIMES.replicaCreate * 2 + EB_TIMES.rollingReplace;
  const min = (ms) => `${(ms / 60_000).toFixed(1)} min`;
  const over = (took / critical - 1) * 100;
  console.log("\nup from nothing with two read replicas (simulated time):");
  console.log(`  up took            ${min(took)}`);
  console.log(
    `  critical path      ${min(critical)}  (max(primary ${min(primary)}, EB rolling update ${min(EB_TIMES.rollingReplace)}) + replica ${min(RDS_TIMES.replicaCreate)} + EB update ${min(EB_TIMES.update)})`,
  );
  console.log(`  one step at a time ${min(serial)}  (baseline: no concurrency)`);
  console.log(`  over the critical path: ${over.toFixed(1)}%  aim <= 5%  ${over <= 5 ? "ok" : "MISSED"}`);
  console.log(
    `  API calls of that up: ${fake.countCalls()} (${fake.countCalls({ mutating: true })} mutating)`,
  );
  fake.uninstall();
} finally {
  await server.close();
}
