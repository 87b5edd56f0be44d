/**
 * Kerberos delegation (`auth.delegate`, GSS_C_DELEG_FLAG: the client forwards its TGT in the AP-REQ's authenticator as
 * a KRB-CRED, RFC 4121 4.1.1, for the host's second hop), client against the emulated host and a throwaway MIT KDC
 * that issues forwardable tickets (test/peers/kdc.ts `forwardable`: krb5.conf `forwardable = true`, the HTTP service
 * principals ok_as_delegate). The emulator logs the acceptor's GSS flags on the request that carried the AP-REQ: with
 * `delegate: true` they hold GSS_C_DELEG_FLAG (0x1), without it they do not; for raw Kerberos and for SPNEGO.
 * Skips only when the KDC packages are missing (scripts/setup.sh installs them).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { WinRMClient } from "../../provider/src/client.js";
import type { ConnectionInput } from "../../provider/src/connection.js";
import { GSS_FLAGS } from "../../provider/src/auth/kerberos/gssapi.js";
import { EmulatedHost } from "../../provider/src/testing/index.js";
import { WinRMEmulator } from "../../provider/src/testing/index.js";
import { kdcMissing, type ProcessKdc, startKdcInProcess } from "../peers/kdc.js";

describe("Kerberos delegation (auth.delegate) with a KDC that issues forwardable tickets", { skip: kdcMissing() }, () => {
  let kdc: ProcessKdc;
  let emu: WinRMEmulator;
  const clients: WinRMClient[] = [];

  before(async () => {
    kdc = await startKdcInProcess({ forwardable: true });
    const host = new EmulatedHost({ profile: "win2019", locale: "en-US", computerName: "WINRM" });
    emu = await WinRMEmulator.start({ host, users: [], keytab: kdc.keytab });
  });

  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await emu?.close();
    await kdc?.stop();
  });

  /** Runs `hostname` with these auth settings; returns the GSS flags the host's acceptor reported for the AP-REQ. */
  async function acceptorFlags(auth: ConnectionInput["auth"]): Promise<number> {
    const from = emu.requests.length;
    const c = new WinRMClient({ endpoint: emu.url, auth });
    clients.push(c);
    const r = await c.run("hostname");
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout.trim(), "WINRM");
    const handshakes = emu.requests.slice(from).filter((e) => e.gssFlags !== undefined);
    assert.equal(handshakes.length, 1, "one AP-REQ");
    const [h] = handshakes;
    assert.ok(h !== undefined);
    assert.equal(h.user, kdc.user.principal);
    assert.ok(h.gssFlags !== undefined && (h.gssFlags & GSS_FLAGS.CONF) !== 0, "a sealing context");
    return h.gssFlags;
  }

  for (const mechanism of ["kerberos", "negotiate"] as const) {
    test(`${mechanism}: delegate true forwards the TGT (GSS_C_DELEG_FLAG at the acceptor), delegate false does not`, async () => {
      const base = { mechanism, username: kdc.user.principal, password: kdc.user.password, spn: "HTTP/localhost" };
      const delegated = await acceptorFlags({ ...base, delegate: true });
      assert.equal(delegated & GSS_FLAGS.DELEG, GSS_FLAGS.DELEG, `flags 0x${delegated.toString(16)} lack DELEG`);
      const plain = await acceptorFlags({ ...base, delegate: false });
      assert.equal(plain & GSS_FLAGS.DELEG, 0, `flags 0x${plain.toString(16)} have DELEG without delegate`);
      const unset = await acceptorFlags(base);
      assert.equal(unset & GSS_FLAGS.DELEG, 0, "delegation is off by default");
    });
  }

  test("from the ticket cache (kinit, forwardable TGT): delegate true forwards it", async () => {
    await kdc.kinit();
    const flags = await acceptorFlags({ mechanism: "kerberos", username: kdc.user.principal, spn: "HTTP/localhost", delegate: true });
    assert.equal(flags & GSS_FLAGS.DELEG, GSS_FLAGS.DELEG);
  });
});
