/** CredSSP (MS-CSSP) end to end: our client against the emulated host over HTTPS, the refusals it names (http://: credssp-http.test.ts). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { WinRMClient } from "../../provider/src/client.js";
import type { ConnectionInput } from "../../provider/src/connection.js";
import { ConfigurationError } from "../../provider/src/errors.js";
import { CredSSPLogonError, CredSSPPublicKeyError, CredSSPVersionError } from "../../provider/src/auth/credssp.js";
import { WinRMEmulator } from "../../provider/src/testing/index.js";
import type { CredSSPScenario } from "../../provider/src/testing/index.js";
import { testHost } from "./clientTestHost.js";
import { Squid, squidMissing } from "../peers/squid.js";
import { PASSWORD, USER } from "./clientFixture.js";

async function start(credSSP: boolean, scenario: CredSSPScenario = {}) {
  const host = testHost("win2019");
  if (credSSP) host.config.set("winrm/config/service/auth", { CredSSP: "true" });
  const emu = await WinRMEmulator.start({ host, users: [{ username: USER, password: PASSWORD }], tls: true, credssp: scenario });
  const connection = (password = PASSWORD): ConnectionInput => ({
    endpoint: emu.url,
    auth: { mechanism: "credssp", username: USER, password, delegate: true },
    tls: { ca: emu.caPem, serverName: "localhost" },
  });
  return { emu, connection };
}

test("CredSSP over HTTPS runs a command; every request after the handshake is authenticated by it", async () => {
  const { emu, connection } = await start(true);
  const client = new WinRMClient(connection());
  try {
    const r = await client.run("echo delegated");
    assert.equal(r.stdout, "delegated\r\n");
    const soap = emu.requests.filter((e) => e.action !== undefined);
    assert.ok(soap.some((e) => e.action?.endsWith("/Command")));
    assert.ok(emu.requests.some((e) => e.authScheme === "CredSSP"), "the handshake used the CredSSP scheme");
  } finally {
    await client.close();
    await emu.close();
  }
});

test("a host that speaks only CredSSP 4 (no CVE-2018-0886 fix) is refused by default after 3 legs, before pubKeyAuth", async () => {
  const { emu, connection } = await start(true, { maxVersion: 4 });
  const client = new WinRMClient(connection());
  try {
    await assert.rejects(client.run("echo old"), (e: unknown) => {
      assert.ok(e instanceof CredSSPVersionError, String(e));
      assert.equal(e.reason, "unpatched-host");
      assert.equal(e.hostVersion, 4);
      assert.match(e.message, /CVE-2018-0886/);
      return true;
    });
    // ClientHello, key exchange, the first inner token: the leg that would carry pubKeyAuth never left.
    assert.equal(emu.requests.filter((e) => e.authScheme === "CredSSP").length, 3);
    assert.ok(!emu.requests.some((e) => e.action !== undefined));
  } finally {
    await client.close();
    await emu.close();
  }
});

test("with auth.credsspAllowUnpatchedHosts a host that speaks only CredSSP 4 is served with the old binding", async () => {
  const { emu, connection } = await start(true, { maxVersion: 4 });
  const base = connection();
  const client = new WinRMClient({ ...base, auth: { ...base.auth, credsspAllowUnpatchedHosts: true } });
  try {
    assert.equal((await client.run("echo old")).stdout, "old\r\n");
  } finally {
    await client.close();
    await emu.close();
  }
});

test("wrong password: CredSSPLogonError, and the password is not in the message", async () => {
  const { emu, connection } = await start(true);
  const client = new WinRMClient(connection("Wr0ng-Passw0rd"));
  try {
    await assert.rejects(client.run("echo no"), (e: unknown) => {
      assert.ok(e instanceof CredSSPLogonError, String(e));
      assert.ok(!(e as Error).message.includes("Wr0ng-Passw0rd"));
      return true;
    });
  } finally {
    await client.close();
    await emu.close();
  }
});

test("a host binding another public key: CredSSPPublicKeyError, and no TSCredentials reached it", async () => {
  const { emu, connection } = await start(true, { bindOtherKey: true });
  const client = new WinRMClient(connection());
  try {
    await assert.rejects(client.run("echo no"), CredSSPPublicKeyError);
    assert.ok(!emu.requests.some((e) => e.action?.endsWith("/Command")));
  } finally {
    await client.close();
    await emu.close();
  }
});

test("CredSSP off on the host (the Windows default): refused, not offered", async () => {
  const { emu, connection } = await start(false);
  const client = new WinRMClient(connection());
  try {
    await assert.rejects(client.run("echo no"), (e: unknown) => e instanceof Error && e.message.includes("does not offer CredSSP"));
  } finally {
    await client.close();
    await emu.close();
  }
});

test("credssp needs auth.delegate: true, over https:// and http:// alike", () => {
  for (const endpoint of ["https://h:5986/wsman", "http://h:5985/wsman"]) {
    assert.throws(
      () => new WinRMClient({ endpoint, auth: { mechanism: "credssp", username: "u", password: "p" } }),
      (e: unknown) => e instanceof ConfigurationError && e.message.includes("auth.delegate"),
    );
  }
});

test("CredSSP over HTTPS through squid's CONNECT tunnel; squid sees only the tunnel", { skip: squidMissing() }, async () => {
  const { emu, connection } = await start(true);
  const squid = await Squid.start({ auth: "none" });
  const client = new WinRMClient({ ...connection(), proxy: { url: squid.url } });
  try {
    assert.equal((await client.run("echo tunnelled")).stdout, "tunnelled\r\n");
    assert.ok(emu.requests.some((e) => e.authScheme === "CredSSP"));
    await client.close(); // squid logs a CONNECT when the tunnel closes
    const log = await squid.logUntilMarker();
    assert.ok(log.some((e) => e.method === "CONNECT"), JSON.stringify(log));
    assert.ok(log.every((e) => e.method === "CONNECT" || !e.url.includes("wsman")), "no WinRM request in clear at the proxy");
  } finally {
    await client.close();
    await squid.stop();
    await emu.close();
  }
});
