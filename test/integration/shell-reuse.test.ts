/**
 * run() on a warm client reuses a shell it keeps open (provider/src/shell/keptShell.ts): round trips from the
 * emulator's log, a separate shell per environment / working directory, a fresh shell when the host dropped the
 * kept one, and Delete of every kept shell on close().
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startFixture, USER, type Fixture } from "./clientFixture.js";
import { shortAction } from "../../provider/src/testing/index.js";

const actions = (f: Fixture, from: number): string[] => f.emu.requests.slice(from).map((e) => shortAction(e.action ?? ""));

describe("run() reuses a kept shell", () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture("win2019");
    await f.client.identify();
  });
  after(async () => {
    await f.client.close();
    await f.emu.close();
  });

  test("the first run() creates the shell and keeps it; the next costs Signal + Command + Receive", async () => {
    let from = f.emu.requests.length;
    const a = await f.client.run("echo a");
    assert.equal(a.stdout, "a\r\n");
    assert.deepEqual(actions(f, from), ["Create", "Command", "Receive"]);
    from = f.emu.requests.length;
    const b = await f.client.run("echo b");
    const c = await f.client.run("more", { stdin: "abc" });
    assert.equal(b.stdout, "b\r\n");
    assert.equal(c.stdout.trim(), "abc");
    assert.deepEqual(actions(f, from), ["Signal", "Command", "Receive", "Signal", "Command", "Send", "Receive"]);
    assert.equal(f.emu.shells.shellIds(USER).length, 1);
  });

  test("another environment or working directory gets a shell of its own, kept too", async () => {
    const before = f.emu.shells.shellIds(USER).length;
    const r = await f.client.run("set BENCHVAR", { env: { BENCHVAR: "x1" } });
    assert.equal(r.stdout, "BENCHVAR=x1\r\n");
    assert.equal(f.emu.shells.shellIds(USER).length, before + 1);
    const from = f.emu.requests.length;
    const again = await f.client.run("set BENCHVAR", { env: { BENCHVAR: "x1" } });
    assert.equal(again.stdout, "BENCHVAR=x1\r\n");
    assert.ok(!actions(f, from).includes("Create"));
  });

  test("concurrent run() calls: the busy kept shell is not shared", async () => {
    const [x, y] = await Promise.all([f.client.run("echo x"), f.client.run("echo y")]);
    assert.equal(x.stdout, "x\r\n");
    assert.equal(y.stdout, "y\r\n");
  });

  test("when the host dropped the kept shell, run() runs the command once in a fresh one", async () => {
    for (const id of f.emu.shells.shellIds(USER)) f.emu.shells.delete(USER, id);
    const from = f.emu.requests.length;
    const r = await f.client.run("echo again");
    assert.equal(r.stdout, "again\r\n");
    const seq = actions(f, from);
    assert.equal(seq.filter((a) => a === "Command").length <= 1, true, `the command ran once: ${seq.join(",")}`);
    assert.ok(seq.includes("Create"));
  });

  test("close() deletes every kept shell", async () => {
    assert.ok(f.emu.shells.shellIds(USER).length >= 1);
    const from = f.emu.requests.length;
    await f.client.close();
    assert.equal(f.emu.shells.shellIds(USER).length, 0, actions(f, from).join(","));
  });
});
