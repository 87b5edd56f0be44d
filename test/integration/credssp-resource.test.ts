/** WinRMProxyConfig turns the host's CredSSP on and off; our CredSSP client follows (docs/credssp.md). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { WinRMClient } from "../../provider/src/client.js";
import { resourceProviders } from "../../provider/src/resources/index.js";
import { WinRMEmulator } from "../../provider/src/testing/index.js";
import { PASSWORD, USER, startHost } from "./resourcesHarness.js";

const C = resourceProviders.WinRMProxyConfig;

test("serviceAuth.credSSP true lets a CredSSP client in over HTTPS; destroy (restore) turns it off again", async () => {
  const h = await startHost("win2019");
  // The same emulated machine also listens on HTTPS (its 5986 listener).
  const tlsEmu = await WinRMEmulator.start({ host: h.host, users: [{ username: USER, password: PASSWORD }], tls: true });
  const credssp = () =>
    new WinRMClient({
      endpoint: tlsEmu.url,
      tls: { ca: tlsEmu.caPem, serverName: "localhost" },
      auth: { mechanism: "credssp", username: USER, password: PASSWORD, delegate: true },
    });
  try {
    assert.equal(h.host.config.serviceAuth.credSSP, false, "off by default, as on Windows");
    const before = credssp();
    await assert.rejects(before.run("echo no"), (e: unknown) => e instanceof Error && e.message.includes("does not offer CredSSP"));
    await before.close();

    const { id, outs } = await C.create({ connection: h.connection, serviceAuth: { credSSP: true }, onDelete: "restore" });
    assert.equal(h.host.config.serviceAuth.credSSP, true);
    const on = credssp();
    assert.equal((await on.run("echo enabled")).stdout, "enabled\r\n"); // not "echo on": cmd takes that as ECHO ON
    await on.close();

    // Drift: someone turns it off by hand; read() reports serviceAuth.credSSP false.
    h.host.config.set("winrm/config/service/auth", { CredSSP: "false" });
    const read = await C.read(id, outs);
    assert.equal((read.inputs as { serviceAuth?: { credSSP?: boolean } } | undefined)?.serviceAuth?.credSSP, false);
    h.host.config.set("winrm/config/service/auth", { CredSSP: "true" });

    await C.delete(id, outs);
    assert.equal(h.host.config.serviceAuth.credSSP, false, "restored");
  } finally {
    await tlsEmu.close();
    await h.close();
  }
});
