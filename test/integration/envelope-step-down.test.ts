/**
 * A host whose administrator lowered winrm/config MaxEnvelopeSizekb refuses the client's larger MaxEnvelopeSize with
 * the EncodingLimit fault (provider/src/testing/envelopeLimit.ts); the client reads the limit from winrm/config,
 * retries the request once at that size and keeps it for the connection (provider/src/envelopeSize.ts).
 */
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { startFixture, type Fixture } from "./clientFixture.js";
import { shortAction } from "../../provider/src/testing/index.js";

const log = (f: Fixture, from: number): string[] =>
  f.emu.requests.slice(from).map((e) => `${shortAction(e.action ?? "")} ${e.status}`);

describe("MaxEnvelopeSize step-down", () => {
  const fixtures: Fixture[] = [];
  after(async () => {
    for (const f of fixtures) {
      await f.client.close();
      await f.emu.close();
    }
  });

  test("WinRM 3.0 host lowered to 150 KiB: one refusal, a Get of winrm/config, the retry, then no more refusals", async () => {
    const f = await startFixture("win2019");
    fixtures.push(f);
    f.host.config.set("winrm/config", { MaxEnvelopeSizekb: "150" });
    await f.client.identify();
    let from = f.emu.requests.length;
    const a = await f.client.run("echo a");
    assert.equal(a.stdout, "a\r\n");
    assert.deepEqual(log(f, from), ["Create 500", "Get 200", "Create 200", "Command 200", "Receive 200"]);
    assert.match(f.emu.requests[from]?.note ?? "", /MaxEnvelopeSize 512000 over MaxEnvelopeSizekb 150/);
    from = f.emu.requests.length;
    const b = await f.client.run("echo b");
    assert.equal(b.stdout, "b\r\n");
    assert.deepEqual(log(f, from), ["Signal 200", "Command 200", "Receive 200"]);
  });

  test("a 2.0 host lowered below the 150 KiB default steps the client down from 153600 to its limit", async () => {
    const f = await startFixture("win2008r2");
    fixtures.push(f);
    f.host.config.set("winrm/config", { MaxEnvelopeSizekb: "100" });
    const from = f.emu.requests.length;
    const r = await f.client.run("echo c");
    assert.equal(r.stdout.trim(), "c");
    const seen = log(f, from);
    assert.equal(seen.filter((l) => l.endsWith(" 500")).length, 1, seen.join(", "));
    assert.ok(seen.includes("Get 200"), seen.join(", "));
    // A later Get of the same document goes at the learnt size, without a refusal.
    const again = f.emu.requests.length;
    const tree = await f.client.getConfig("winrm/config");
    assert.equal(tree.MaxEnvelopeSizekb, "100");
    assert.deepEqual(log(f, again), ["Get 200"]);
  });
});
