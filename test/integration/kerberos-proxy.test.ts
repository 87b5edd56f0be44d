/**
 * Proxy authentication with Negotiate/Kerberos (issue 4 item 4): a real squid with Debian's negotiate_kerberos_auth
 * (keytab from a throwaway MIT KDC, `-s GSS_C_NO_NAME`, test/peers/squid.ts) between our client and an https:// emulated host,
 * CONNECT tunnel, one 407 leg answered with `Proxy-Authorization: Negotiate <SPNEGO AP-REQ>`:
 * - proxy.auth "kerberos" with a password (ticket acquired in-process) and from the ticket cache (kinit);
 * - combined with NTLM target auth, and with Kerberos target auth (CBT Strict) inside the tunnel;
 * - proxy.auth "negotiate" prefers Kerberos, and falls back to NTLM (squid's ntlm_fake_auth) when the KDC does not know
 *   the proxy's SPN;
 * - a wrong proxy password: ProxyAuthenticationError, no loop, nothing reaches the host.
 * squid's access log shows the user it authenticated. The client reaches squid at 127.0.0.1 and names its SPN
 * (HTTP/localhost) explicitly, as a proxy configured by name would get by default.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { WinRMClient } from "../../provider/src/client.js";
import type { ConnectionInput } from "../../provider/src/connection.js";
import { ProxyAuthenticationError } from "../../provider/src/errors.js";
import type { PathEvent } from "../../provider/src/transport/pathEvents.js";
import { EmulatedHost } from "../../provider/src/testing/index.js";
import { WinRMEmulator } from "../../provider/src/testing/index.js";
import { kdcMissing, type ProcessKdc, startKdcInProcess } from "../peers/kdc.js";
import { Squid, squidMissing } from "../peers/squid.js";

const NTLM_USER = "WIN-KRB\\alice";
const NTLM_PASSWORD = "Al1ce-NTLM-pw";
type ProxyField = Exclude<ConnectionInput["proxy"], undefined | "none" | "env">;

describe("Kerberos proxy authentication through squid's negotiate_kerberos_auth", { skip: kdcMissing() || squidMissing() }, () => {
  let kdc: ProcessKdc;
  let emu: WinRMEmulator;
  let squid: Squid;
  let user = { principal: "", password: "" };

  before(async () => {
    kdc = await startKdcInProcess();
    user = kdc.user;
    const host = new EmulatedHost({ profile: "win2019", locale: "en-US", computerName: "WINRM" });
    [emu, squid] = await Promise.all([
      WinRMEmulator.start({ host, users: [{ username: NTLM_USER, password: NTLM_PASSWORD }], keytab: kdc.keytab, tls: true, cbtHardening: "Strict" }),
      Squid.start({ auth: "negotiate", kerberos: { keytab: kdc.keytab, krb5Conf: kdc.krb5Conf, alsoNtlm: true } }),
    ]);
  });
  after(async () => {
    await Promise.allSettled([emu?.close(), squid?.stop()]);
    await kdc?.stop();
  });

  const connection = (proxy: ProxyField, auth?: ConnectionInput["auth"]): ConnectionInput => ({
    endpoint: emu.url,
    auth: auth ?? { mechanism: "ntlm", username: NTLM_USER, password: NTLM_PASSWORD },
    tls: { ca: emu.caPem, serverName: "localhost" },
    proxy,
  });

  async function run(conn: ConnectionInput): Promise<{ stdout: string; events: PathEvent[] }> {
    const events: PathEvent[] = [];
    const client = new WinRMClient(conn, { observer: (e) => events.push(e) });
    try {
      const r = await client.run("hostname");
      assert.equal(r.exitCode, 0, r.stderr);
      return { stdout: r.stdout.trim(), events };
    } finally {
      await client.close();
    }
  }

  const connectEvent = (events: PathEvent[]) => events.find((e): e is Extract<PathEvent, { type: "connect" }> => e.type === "connect");
  const targetAuth = (events: PathEvent[]) => events.find((e): e is Extract<PathEvent, { type: "target-auth" }> => e.type === "target-auth");

  async function tunnels(): Promise<{ user: string; status: number }[]> {
    return (await squid.logUntilMarker()).filter((e) => e.method === "CONNECT").map((e) => ({ user: e.user, status: e.status }));
  }

  test("proxy.auth kerberos (password) + NTLM target auth: one 407 leg, squid logs the Kerberos principal", async () => {
    await tunnels();
    const r = await run(connection({ url: squid.url, auth: "kerberos", username: user.principal, password: user.password, spn: "HTTP/localhost" }));
    assert.equal(r.stdout, "WINRM");
    const c = connectEvent(r.events);
    assert.equal(c?.status, 200);
    assert.equal(c?.legs, 2, "the credential-less CONNECT, then the one with the AP-REQ");
    assert.equal(c?.proxyAuth, "Negotiate");
    assert.equal(targetAuth(r.events)?.mechanism, "ntlm");
    assert.deepEqual((await tunnels()).filter((t) => t.status === 200), [{ user: user.principal, status: 200 }]);
  });

  test("proxy.auth kerberos + Kerberos target auth with channel bindings inside the tunnel", async () => {
    await tunnels();
    const r = await run(
      connection(
        { url: squid.url, auth: "kerberos", username: user.principal, password: user.password, spn: "HTTP/localhost" },
        { mechanism: "kerberos", username: user.principal, password: user.password, spn: "HTTP/winrm.example.test" },
      ),
    );
    assert.equal(r.stdout, "WINRM");
    assert.equal(targetAuth(r.events)?.mechanism, "kerberos");
    assert.equal(emu.requests.at(-1)?.user, user.principal);
    assert.ok((await tunnels()).some((t) => t.status === 200 && t.user === user.principal));
  });

  test("proxy.auth negotiate prefers Kerberos; falls back to NTLM when the KDC does not know the proxy's SPN", async () => {
    await tunnels();
    const krb = await run(connection({ url: squid.url, auth: "negotiate", username: user.principal, password: user.password, spn: "HTTP/localhost" }));
    assert.equal(connectEvent(krb.events)?.proxyAuth, "Negotiate");
    assert.deepEqual((await tunnels()).filter((t) => t.status === 200), [{ user: user.principal, status: 200 }]);

    const ntlm = await run(
      connection({ url: squid.url, auth: "negotiate", username: "EXAMPLE\\anyone", password: "anything", spn: "HTTP/nohost.example.test" }),
    );
    const c = connectEvent(ntlm.events);
    assert.equal(c?.status, 200);
    assert.equal(c?.proxyAuth, "NTLM", "NTLM under its own scheme, which squid offers");
    assert.equal(c?.legs, 3);
    const after = (await tunnels()).filter((t) => t.status === 200);
    assert.equal(after.length, 1);
    assert.notEqual(after[0]?.user, user.principal);
  });

  test("proxy Kerberos from the ticket cache (kinit), no proxy credentials", async () => {
    await kdc.kinit();
    await tunnels();
    const r = await run(connection({ url: squid.url, auth: "kerberos", spn: "HTTP/localhost" }));
    assert.equal(r.stdout, "WINRM");
    assert.deepEqual((await tunnels()).filter((t) => t.status === 200), [{ user: user.principal, status: 200 }]);
  });

  test("a wrong proxy password: ProxyAuthenticationError, one attempt, nothing reaches the host", async () => {
    const before = emu.requests.length;
    await tunnels();
    const client = new WinRMClient(
      connection({ url: squid.url, auth: "kerberos", username: user.principal, password: "Wrong-Pr0xy", spn: "HTTP/localhost" }),
    );
    try {
      await assert.rejects(client.run("hostname"), (e: unknown) => {
        assert.ok(e instanceof ProxyAuthenticationError, String(e));
        assert.match(e.message, /Preauthentication failed/);
        assert.ok(!e.message.includes("Wrong-Pr0xy"));
        return true;
      });
    } finally {
      await client.close();
    }
    assert.equal(emu.requests.length, before);
    const t = await tunnels();
    assert.ok(t.length <= 1 && t.every((x) => x.status === 407), JSON.stringify(t));
  });
});
