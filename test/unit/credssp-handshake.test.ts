import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { AuthenticationError } from "../../provider/src/errors.js";
import {
  CredSSPLogonError,
  CredSSPMechanism,
  CredSSPPublicKeyError,
  CredSSPVersionError,
} from "../../provider/src/auth/credssp.js";
import { CredSSPAcceptor, type CredSSPAcceptorOptions } from "../../provider/src/testing/index.js";
import { generateTlsMaterial, type TlsMaterial } from "../../provider/src/testing/index.js";

let material: TlsMaterial;
before(async () => {
  material = await generateTlsMaterial();
});

function acceptor(extra: Partial<CredSSPAcceptorOptions> = {}): CredSSPAcceptor {
  return new CredSSPAcceptor({
    ntlm: {
      users: [{ domain: "", user: "vagrant", password: "S3cret!" }],
      netbiosDomain: "WIN",
      netbiosComputer: "WIN",
      dnsComputer: "win",
      dnsDomain: "win",
    },
    certPem: material.certPem,
    keyPem: material.keyPem,
    ...extra,
  });
}

/** Runs the legs as the HTTP driver does (token out, token back), bounded to 10 legs. */
async function run(client: CredSSPMechanism, server: CredSSPAcceptor): Promise<{ legs: number; wire: Buffer[] }> {
  let token: Uint8Array | undefined;
  const wire: Buffer[] = [];
  for (let legs = 1; legs <= 10; legs++) {
    const out = await client.step({ token, channelBindings: undefined });
    assert.ok(out && out.length > 0, `client produced a token on leg ${legs}`);
    wire.push(Buffer.from(out));
    const r = await server.step(out);
    if (r.token) wire.push(r.token);
    if (r.failed !== undefined) {
      // The host answers 401 with its error TSRequest; the client reads it and names the refusal.
      await client.step({ token: r.token, channelBindings: undefined });
      assert.fail(`client accepted a refusal: ${r.failed}`);
    }
    if (r.complete) {
      assert.equal(client.complete, true);
      return { legs, wire };
    }
    token = r.token;
  }
  assert.fail("no completion in 10 legs");
}

describe("CredSSP client against the emulated host's acceptor (MS-CSSP 3.1.5)", () => {
  const opened: Array<{ dispose(): void }> = [];
  after(() => opened.forEach((o) => o.dispose()));
  const pair = (creds: { password: string; version?: number; allowUnpatchedHosts?: boolean }, extra: Partial<CredSSPAcceptorOptions> = {}) => {
    const c = new CredSSPMechanism({
      credentials: { username: "vagrant", password: creds.password },
      ...(creds.version !== undefined && { version: creds.version }),
      ...(creds.allowUnpatchedHosts !== undefined && { allowUnpatchedHosts: creds.allowUnpatchedHosts }),
    });
    const s = acceptor(extra);
    opened.push(c, s);
    return { c, s };
  };

  test("version 6 with clientNonce and the SHA-256 binding completes and delegates the password", async () => {
    const { c, s } = pair({ password: "S3cret!" });
    const { legs, wire } = await run(c, s);
    assert.equal(legs, 5); // ClientHello; key exchange; NEGOTIATE; AUTHENTICATE+pubKeyAuth; authInfo
    assert.equal(c.negotiatedVersion, 6);
    assert.equal(s.peerVersion, 6);
    assert.equal(s.user, "WIN\\vagrant");
    // Everything after the handshake is TLS application data: the password never appears in the records.
    const all = Buffer.concat(wire);
    assert.equal(all.indexOf(Buffer.from("S3cret!", "utf16le")), -1);
    assert.equal(all.indexOf(Buffer.from("vagrant", "utf16le")), -1);
  });

  for (const maxVersion of [2, 3, 4]) {
    test(`by default a host that speaks only version ${maxVersion} (no CVE-2018-0886 fix) is refused before pubKeyAuth or credentials`, async () => {
      const { c, s } = pair({ password: "S3cret!" }, { maxVersion });
      await assert.rejects(run(c, s), (e: unknown) => {
        assert.ok(e instanceof CredSSPVersionError, String(e));
        assert.ok(e instanceof AuthenticationError);
        assert.equal(e.code, "WINRM_AUTH_FAILED");
        assert.equal(e.reason, "unpatched-host");
        assert.equal(e.hostVersion, maxVersion);
        assert.match(e.message, new RegExp(`version ${maxVersion}\\b`));
        assert.match(e.message, /CVE-2018-0886/);
        assert.match(e.message, /update the host/);
        assert.match(e.message, /auth\.credsspAllowUnpatchedHosts/);
        return true;
      });
      assert.equal(c.complete, false);
      // The host saw only the first inner token: no AUTHENTICATE with pubKeyAuth, no TSCredentials.
      assert.deepEqual([...s.fieldsSeen], ["negoTokens"]);
      assert.equal(s.user, undefined);
    });
  }

  test("with allowUnpatchedHosts a host that speaks only version 4 gets the old binding (key, key+1) and no nonce", async () => {
    const { c, s } = pair({ password: "S3cret!", allowUnpatchedHosts: true }, { maxVersion: 4 });
    await run(c, s);
    assert.equal(c.negotiatedVersion, 4);
    assert.equal(s.user, "WIN\\vagrant");
    assert.ok(s.fieldsSeen.has("pubKeyAuth") && s.fieldsSeen.has("authInfo"));
    assert.ok(!s.fieldsSeen.has("clientNonce"));
  });

  test("allowUnpatchedHosts changes nothing with a patched host: version 6, nonce and hashes", async () => {
    const { c, s } = pair({ password: "S3cret!", allowUnpatchedHosts: true });
    await run(c, s);
    assert.equal(c.negotiatedVersion, 6);
    assert.ok(s.fieldsSeen.has("clientNonce"));
  });

  test("a client announcing 3 against a v6 host is refused by default, and uses the old binding with allowUnpatchedHosts", async () => {
    const refused = pair({ password: "S3cret!", version: 3 });
    await assert.rejects(run(refused.c, refused.s), (e: unknown) => e instanceof CredSSPVersionError && e.reason === "unpatched-host");
    assert.ok(!refused.s.fieldsSeen.has("pubKeyAuth"));
    const { c, s } = pair({ password: "S3cret!", version: 3, allowUnpatchedHosts: true });
    await run(c, s);
    assert.equal(s.peerVersion, 3);
  });

  test("a wrong password is refused with CredSSPLogonError", async () => {
    const { c, s } = pair({ password: "wrong" });
    await assert.rejects(run(c, s), (e: unknown) => {
      assert.ok(e instanceof CredSSPLogonError, String(e));
      assert.ok(e instanceof AuthenticationError);
      assert.equal((e).reason, "logon-failure");
      assert.doesNotMatch((e as Error).message, /wrong/);
      return true;
    });
  });

  test("a host binding another public key is refused with CredSSPPublicKeyError before the password is sent", async () => {
    const { c, s } = pair({ password: "S3cret!" }, { bindOtherKey: true });
    await assert.rejects(run(c, s), CredSSPPublicKeyError);
    assert.equal(c.complete, false);
    assert.equal(s.user, undefined);
    const { c: c4, s: s4 } = pair({ password: "S3cret!", allowUnpatchedHosts: true }, { bindOtherKey: true, maxVersion: 2 });
    await assert.rejects(run(c4, s4), CredSSPPublicKeyError);
  });

  test("a host announcing version 1 is refused with CredSSPVersionError", async () => {
    const { c, s } = pair({ password: "S3cret!", allowUnpatchedHosts: true }, { maxVersion: 1 });
    await assert.rejects(run(c, s), (e: unknown) => e instanceof CredSSPVersionError && e.reason === "version-mismatch" && e.hostVersion === 1);
  });
});
