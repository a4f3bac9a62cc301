import { readFileSync } from "node:fs";
import { afterAll, describe, expect, test } from "vitest";
import { Secret } from "../../../src/model/secret.js";
import { openSession } from "../../../src/targets/local/session.js";
import { client, makeProject, upProject } from "./harness.js";

/** A password as ebdb's earlier local generator made them: $ # ( ) | ; < > & , : [ ] { } ? and more. */
const EARLIER = "kP$3#q(Z)r|;<>&,:[]{}?^_~!%*+-.=a9T";

describe("a master password stored by an earlier ebdb is never changed by up", () => {
  const p = makeProject("pwkeep", { masterPassword: new Secret(EARLIER) });
  afterAll(() => p.cleanup());

  test("with $ and the other characters the generator no longer uses, it stays and still logs in", async () => {
    await upProject(p);
    // The configuration no longer sets one: the stored password is the database's (as after an
    // earlier ebdb generated it).
    p.reconfigure({ masterPassword: null });
    const again = await upProject(p);
    expect(again.changes.filter((c) => /password/i.test(`${c.field} ${c.reason}`))).toEqual([]);
    const s = await openSession(p.ctx, p.desired, {});
    expect(readFileSync(s.layout.passwordFile, "utf8")).toBe(EARLIER);
    const conn = await p.target.connection(p.desired);
    expect(conn.password.reveal()).toBe(EARLIER);
    const c = await client(p);
    try {
      expect((await c.query("SELECT current_user AS u")).rows[0].u).toBe(p.config.masterUsername);
    } finally {
      await c.end();
    }
  });
});
