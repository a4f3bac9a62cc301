import type { CommandContext } from "../../../src/api/context.js";
import { RecordingIoHost } from "../../../src/io.js";
import { addCoupledDatabase, addReplicasByHand } from "../../fakes/aws/eb-coupled-seed.js";
import type { FakeAws } from "../../fakes/aws/index.js";
import { world } from "./harness.js";

export const PASSWORD = "coupled-Pa55word";
export const READERS = ["my-app-reader-a", "my-app-reader-b"];

/** An EB environment with a database `eb create --database` made (coupled), and two replicas made by hand. */
export async function coupledWorld(
  opts: { legacyPlatform?: boolean; engine?: "postgres" | "mysql"; replicas?: string[] } = {},
): Promise<{ fake: FakeAws; id: string }> {
  const w = world({ dbSubnets: true, legacyPlatform: opts.legacyPlatform });
  const id = await addCoupledDatabase(w.fake, {
    app: "my-app",
    env: "my-app-prod",
    engine: opts.engine ?? "postgres",
    engineVersion: opts.engine === "mysql" ? "8.0.35" : "16.4",
    password: PASSWORD,
  });
  const replicas = opts.replicas ?? READERS;
  if (replicas.length > 0) await addReplicasByHand(w.fake, id, replicas);
  return { fake: w.fake, id };
}

export function ctxIn(folder: string, io = new RecordingIoHost()): CommandContext {
  return { cwd: folder, env: {}, io, target: "aws" };
}
