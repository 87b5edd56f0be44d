/** HTTPS specifics: channel bindings under CbtHardeningLevel Strict, and Basic (allowed only over TLS). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { WinRMClient } from "../../provider/src/client.js";
import { PASSWORD, USER, startFixture } from "./clientFixture.js";

test("NTLM over HTTPS sends channel bindings (CbtHardeningLevel Strict accepts us)", async () => {
  const f = await startFixture("win2019", { tls: true, cbtHardening: "Strict" });
  try {
    const r = await f.client.run("echo bound");
    assert.equal(r.stdout, "bound\r\n");
    // Not vacuous: the Command itself is in the log.
    assert.ok(f.emu.requests.some((e) => e.action?.endsWith("/Command")), "the request log holds the Command");
    assert.ok(f.emu.requests.every((e) => !e.encrypted), "TLS only, no second layer with messageEncryption auto");
  } finally {
    await f.client.close();
    await f.emu.close();
  }
});

test('messageEncryption "always" over HTTPS seals inside TLS too', async () => {
  const f = await startFixture("win2008r2", { tls: true });
  const client = new WinRMClient({ ...f.connection, messageEncryption: "always" });
  try {
    const r = await client.run("echo sealed");
    assert.equal(r.stdout, "sealed\r\n");
    const soap = f.emu.requests.filter((e) => e.action !== undefined);
    assert.ok(soap.length >= 4 && soap.every((e) => e.encrypted));
  } finally {
    await client.close();
    await f.client.close();
    await f.emu.close();
  }
});

test("Basic over HTTPS: no handshake round trip, credentials on each request; wrong password fails once", async () => {
  const f = await startFixture("win2019", { tls: true });
  f.host.config.set("winrm/config/service/auth", { Basic: "true" });
  const good = new WinRMClient({ ...f.connection, auth: { mechanism: "basic", username: USER, password: PASSWORD } }, { reuseShell: false });
  const bad = new WinRMClient({ ...f.connection, auth: { mechanism: "basic", username: USER, password: "nope-nope" } });
  try {
    const r = await good.run("echo basic");
    assert.equal(r.stdout, "basic\r\n");
    assert.deepEqual(
      f.emu.requests.map((e) => e.action?.replace(/^.*\//, "")),
      ["Identify", "Create", "Command", "Receive", "Delete"],
    );
    assert.ok(f.emu.requests.every((e) => e.authScheme === "Basic" && e.status === 200));
    assert.equal(good.stats.handshakes, 0);
    const before = f.emu.requests.length;
    await assert.rejects(bad.identify(), (e: unknown) => e instanceof Error && e.name === "AuthenticationError" && !e.message.includes("nope-nope"));
    assert.equal(f.emu.requests.length - before, 1);
  } finally {
    await good.close();
    await bad.close();
    await f.client.close();
    await f.emu.close();
  }
});
