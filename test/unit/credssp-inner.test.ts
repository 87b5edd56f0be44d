/**
 * The pure parts of CredSSP's inner mechanism (auth/credsspInner.ts, auth/credsspInnerAcceptor.ts): RFC 4121 Wrap
 * token layouts (RRC 28 as Windows writes them, RRC 0 as plain gss_wrap does), the refusals, how the host picks the
 * inner mechanism from the first token, the Kerberos principal / delegated credentials check, and what the client
 * reports about the inner mechanism.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { ConfigurationError, ProtocolError } from "../../provider/src/errors.js";
import { NegotiateMechanism } from "../../provider/src/auth/negotiate.js";
import { CredSSPLogonError, CredSSPMechanism } from "../../provider/src/auth/credssp.js";
import { innerChoice, splitKerberosWrapToken } from "../../provider/src/auth/credsspInner.js";
import { isNtlmssp } from "../../provider/src/auth/credsspInnerAcceptor.js";
import { sameKerberosUser } from "../../provider/src/auth/credsspAcceptor.js";
import { NtlmMechanism } from "../../provider/src/auth/ntlm.js";
import type { AuthMechanism, MessageSealer, StepInput } from "../../provider/src/auth/mechanism.js";
import { CredSSPAcceptor, generateTlsMaterial, type TlsMaterial } from "../../provider/src/testing/index.js";

/** An RFC 4121 4.2.6.2 token header: TOK_ID 0504, flags, filler FF, EC, RRC, SND_SEQ. */
function tokenHeader(flags: number, ec: number, rrc: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(0x0504, 0);
  h[2] = flags;
  h[3] = 0xff;
  h.writeUInt16BE(ec, 4);
  h.writeUInt16BE(rrc, 6);
  h.writeBigUInt64BE(7n, 8);
  return h;
}

const rotateRight = (b: Buffer, n: number) => Buffer.concat([b.subarray(b.length - n), b.subarray(0, b.length - n)]);

describe("splitKerberosWrapToken (RFC 4121 4.2.6.2, MS-WSMV 2.2.9.1.2.2 layout)", () => {
  // Sealed (0x02) | AcceptorSubkey (0x04); the encrypted part: confounder 16 + data + filler + header copy 16 + HMAC 12.
  const flags = 0x06;

  for (const dataLength of [0, 1, 32, 517]) {
    test(`RRC 28 (Windows, ours) splits at 60 bytes; the RRC 0 form of the same token gives the same parts (${dataLength} bytes)`, () => {
      const encrypted = randomBytes(16 + dataLength + 16 + 12);
      const dce = Buffer.concat([tokenHeader(flags, 0, 28), rotateRight(encrypted, 28)]);
      const split = splitKerberosWrapToken(dce);
      assert.equal(split.header.length, 60);
      assert.equal(split.data.length, dataLength);
      assert.deepEqual(Buffer.concat([split.header, split.data]), dce);

      const plain = Buffer.concat([tokenHeader(flags, 0, 0), encrypted]);
      const fromPlain = splitKerberosWrapToken(plain);
      assert.deepEqual(fromPlain.header, split.header, "rotated and RRC set to 28");
      assert.deepEqual(fromPlain.data, split.data);
      assert.equal(plain.readUInt16BE(6), 0, "the input is not modified");
    });
  }

  test("RRC 0 with filler (EC 5): the filler rotates with the trailer", () => {
    const encrypted = randomBytes(16 + 10 + 5 + 16 + 12);
    const plain = Buffer.concat([tokenHeader(flags, 5, 0), encrypted]);
    const { header, data } = splitKerberosWrapToken(plain);
    assert.equal(header.readUInt16BE(6), 33);
    assert.equal(header.length, 16 + 33 + 16);
    assert.deepEqual(Buffer.concat([header.subarray(16), data]), rotateRight(encrypted, 33));
  });

  test("refuses what is not a sealed Wrap token, or is shorter than it says", () => {
    const body = randomBytes(16 + 8 + 16 + 12);
    const cases: Array<[string, Buffer, RegExp]> = [
      ["short", Buffer.alloc(10), /shorter than its 16-byte header/],
      ["MIC token", Buffer.concat([Buffer.from([0x04, 0x04]), tokenHeader(flags, 0, 28).subarray(2), body]), /TOK_ID 0x0404/],
      ["RFC 1964 token", Buffer.concat([Buffer.from([0x60, 0x2b]), tokenHeader(flags, 0, 28).subarray(2), body]), /not an RFC 4121 Wrap token/],
      ["not sealed", Buffer.concat([tokenHeader(0x04, 0, 28), body]), /not encrypted/],
      ["RRC past the end", Buffer.concat([tokenHeader(flags, 0, 60), body]), /RRC 60 exceeds/],
      ["RRC 0, body shorter than the trailer", Buffer.concat([tokenHeader(flags, 0, 0), randomBytes(30)]), /shorter than its trailer/],
    ];
    for (const [name, token, why] of cases) {
      assert.throws(() => splitKerberosWrapToken(token), (e: unknown) => e instanceof ProtocolError && why.test(e.message), name);
    }
  });
});

test("isNtlmssp: the host sends NTLMSSP messages to NTLM, any other GSS token to Kerberos", () => {
  assert.equal(isNtlmssp(Buffer.from("NTLMSSP\0\x01\0\0\0", "latin1")), true);
  assert.equal(isNtlmssp(Buffer.from([0x60, 0x82, 0x01, 0x00, 0x06, 0x06, 0x2b, 0x06, 0x01])), false);
  assert.equal(isNtlmssp(Buffer.from("NTLMSS", "latin1")), false);
});

test("sameKerberosUser: the delegated credentials must name the principal that logged on", () => {
  const p = "user@EXAMPLE.TEST";
  assert.equal(sameKerberosUser(p, "user", "EXAMPLE.TEST"), true);
  assert.equal(sameKerberosUser(p, "USER", "example.test"), true);
  assert.equal(sameKerberosUser(p, "user", ""), true);
  assert.equal(sameKerberosUser(p, "user", "."), true);
  assert.equal(sameKerberosUser(p, "user@example.test", ""), true);
  assert.equal(sameKerberosUser(p, "alice", "EXAMPLE.TEST"), false);
  assert.equal(sameKerberosUser(p, "user", "OTHER.TEST"), false);
  assert.equal(sameKerberosUser(p, "user@other.test", ""), false);
  assert.equal(sameKerberosUser(undefined, "user", ""), false);
});

test("innerChoice: a Negotiate inner context reports its own choice; a given mechanism says it was given", () => {
  const ntlm = new NtlmMechanism({ credentials: { username: "u", password: "p" } });
  assert.deepEqual(innerChoice(ntlm), { chose: "ntlm", reason: "NTLM is the inner mechanism this client was given" });
  const negotiated = { name: "kerberos", negotiated: { chose: "kerberos", reason: "a Kerberos service ticket was obtained" } } as unknown as AuthMechanism;
  assert.deepEqual(innerChoice(negotiated), { chose: "kerberos", reason: "a Kerberos service ticket was obtained" });
});

/** A stand-in inner mechanism that sends one SPNEGO-looking token, as a Kerberos initiator would. */
class GssLookingInner implements AuthMechanism {
  readonly name = "kerberos" as const;
  readonly scheme = "Negotiate";
  readonly canSeal = true;
  complete = false;
  stage = "AP-REQ";
  async step(_input: StepInput): Promise<Uint8Array | undefined> {
    return Buffer.from([0x60, 0x0a, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02, 0xa0, 0x00]);
  }
  sealer(): MessageSealer {
    throw new Error("not complete");
  }
  fresh(): GssLookingInner {
    return new GssLookingInner();
  }
}

/** A Kerberos prototype that cannot start (as without the addon), counting its attempts. */
class UnavailableKerberos implements AuthMechanism {
  readonly name = "kerberos" as const;
  readonly scheme = "Negotiate";
  readonly canSeal = true;
  readonly complete = false;
  readonly stage = "AP-REQ";
  constructor(readonly attempts: { n: number }) {}
  async step(_input: StepInput): Promise<Uint8Array | undefined> {
    this.attempts.n++;
    throw new ConfigurationError("auth", "the GSSAPI addon is not available here");
  }
  sealer(): MessageSealer {
    throw new Error("never");
  }
  fresh(): UnavailableKerberos {
    return new UnavailableKerberos(this.attempts);
  }
}

describe("a host without a keytab", () => {
  let material: TlsMaterial;
  const opened: Array<{ dispose(): void }> = [];
  before(async () => {
    material = await generateTlsMaterial();
  });
  after(() => opened.forEach((o) => o.dispose()));

  const newAcceptor = () =>
    new CredSSPAcceptor({
      ntlm: { users: [{ domain: "", user: "vagrant", password: "S3cret!" }], netbiosDomain: "WIN", netbiosComputer: "WIN", dnsComputer: "win", dnsDomain: "win" },
      certPem: material.certPem,
      keyPem: material.keyPem,
    });

  test("Kerberos cannot start: NTLM inside with the reason; the next context remembers it and does not try again", async () => {
    const attempts = { n: 0 };
    const prototype = new CredSSPMechanism({
      credentials: { username: "vagrant", password: "S3cret!" },
      inner: new NegotiateMechanism({
        kerberos: new UnavailableKerberos(attempts),
        ntlm: () => new NtlmMechanism({ credentials: { username: "vagrant", password: "S3cret!" } }),
      }),
    });
    opened.push(prototype);
    const reasons: string[] = [];
    for (const c of [prototype.fresh(), prototype.fresh()]) {
      const s = newAcceptor();
      opened.push(c, s);
      const choice = () => c.negotiated;
      assert.equal(choice(), undefined, "nothing to say before the first step");
      let token: Uint8Array | undefined;
      for (let leg = 0; leg < 8 && !c.complete; leg++) {
        const out = await c.step({ token, channelBindings: undefined });
        const r = await s.step(out!);
        assert.equal(r.failed, undefined);
        token = r.token;
      }
      assert.equal(c.complete, true);
      assert.equal(s.user, "WIN\\vagrant");
      assert.equal(choice()?.chose, "ntlm");
      reasons.push(choice()?.reason ?? "");
    }
    assert.match(reasons[0]!, /^Kerberos was not possible: the GSSAPI addon is not available$/);
    assert.match(reasons[1]!, /remembered from an earlier connection/);
    assert.equal(attempts.n, 1, "the second context did not try Kerberos again");
  });

  test("refuses a Kerberos token inside CredSSP with the logon-failure errorCode; the client names it", async () => {
    const c = new CredSSPMechanism({ credentials: { username: "vagrant", password: "S3cret!" }, inner: new GssLookingInner() });
    const s = newAcceptor();
    opened.push(c, s);
    let token: Uint8Array | undefined;
    let failed: string | undefined;
    for (let leg = 0; leg < 6 && failed === undefined; leg++) {
      const out = await c.step({ token, channelBindings: undefined });
      assert.ok(out && out.length > 0);
      const r = await s.step(out);
      failed = r.failed;
      token = r.token;
    }
    assert.match(failed ?? "", /no keytab/);
    await assert.rejects(c.step({ token, channelBindings: undefined }), (e: unknown) => e instanceof CredSSPLogonError && /STATUS_LOGON_FAILURE/.test(e.message));
  });
});
