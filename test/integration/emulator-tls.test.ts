/**
 * The emulator's HTTPS listener: the certificate chain it makes at start (a CA + a server certificate), NTLM with
 * channel binding (RFC 5929 tls-server-end-point, MS-NLMP MsvAvChannelBindings) per CbtHardeningLevel, and plain
 * SOAP being acceptable over TLS (AllowUnencrypted concerns HTTP only).
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";

import { buildIdentifyRequest, parseIdentifyResponse } from "../../provider/src/wsman/identify.js";
import { WinRMEmulator } from "../../provider/src/testing/index.js";
import { NtlmSession, RawClient, fakeHost } from "./emulatorHarness.js";

const USER = "EXAMPLE\\alice";
const PASSWORD = "Passw0rd!";

void describe("emulator HTTPS", () => {
  let emu: WinRMEmulator;
  before(async () => {
    emu = await WinRMEmulator.start({ host: fakeHost(), users: [{ username: USER, password: PASSWORD }], tls: true });
  });
  after(() => emu.close());

  void test("serves https:// with a server certificate issued by the CA it hands out", async () => {
    assert.match(emu.url, /^https:\/\/127\.0\.0\.1:\d+\/wsman$/);
    const ca = new X509Certificate(emu.caPem ?? "");
    const c = new RawClient(emu.url, { ca: emu.caPem });
    try {
      const r = await c.post("");
      assert.equal(r.status, 401);
      const leaf = new X509Certificate(c.peerCertDer!);
      assert.ok(leaf.checkIssued(ca), "server certificate issued by the CA");
      assert.ok(leaf.verify(ca.publicKey));
      assert.equal(leaf.checkIP("127.0.0.1"), "127.0.0.1");
      assert.equal(ca.ca, true);
    } finally {
      c.close();
    }
  });

  void test("a client that does not trust the CA fails the TLS handshake", async () => {
    const c = new RawClient(emu.url);
    try {
      await assert.rejects(c.post(""), /self[- ]signed|unable to (get|verify)|certificate/i);
    } finally {
      c.close();
    }
  });

  void test("NTLM with channel bindings, then a plain SOAP request over TLS is served", async () => {
    const c = new RawClient(emu.url, { ca: emu.caPem });
    try {
      const s = new NtlmSession(c, emu.url, USER, PASSWORD);
      await c.post(""); // learn the peer certificate (the bindings need it before AUTHENTICATE)
      assert.equal((await s.flowA()).status, 200);
      const r = await c.post(buildIdentifyRequest());
      assert.equal(r.status, 200);
      assert.equal(parseIdentifyResponse(r.body.toString("utf8")).productVendor, "Microsoft Corporation");
      const last = emu.requests.at(-1)!;
      assert.equal(last.encrypted, false);
      assert.equal(last.user, USER);
    } finally {
      c.close();
    }
  });

  void test("CbtHardeningLevel=Strict refuses an AUTHENTICATE without channel bindings; Relaxed accepts it", async () => {
    for (const [level, expected] of [
      ["Strict", 401],
      ["Relaxed", 200],
    ] as const) {
      const e2 = await WinRMEmulator.start({
        host: fakeHost(),
        users: [{ username: USER, password: PASSWORD }],
        tls: true,
        cbtHardening: level,
      });
      const c = new RawClient(e2.url, { ca: e2.caPem });
      try {
        const s = new NtlmSession(c, e2.url, USER, PASSWORD);
        const challenge = await s.negotiate();
        const t3 = await s.authenticateToken(challenge, { omitChannelBindings: true });
        const r = await c.post(Buffer.alloc(0), { Authorization: `Negotiate ${t3}` });
        assert.equal(r.status, expected, `CbtHardeningLevel=${level}`);
      } finally {
        c.close();
        await e2.close();
      }
    }
  });
});
