import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { ChannelBindings } from "../../provider/src/auth/mechanism.js";
import { BasicMechanism } from "../../provider/src/auth/basic.js";
import { INITIATOR_FLAGS, NtlmMechanism, SPNEGO_ENCRYPTED_PROTOCOL } from "../../provider/src/auth/ntlm.js";
import { AuthenticationError, ConfigurationError, DecryptError } from "../../provider/src/errors.js";
import { NegotiateFlags, hasFlag } from "../../provider/src/wire/ntlm/flags.js";
import {
  AvFlags,
  AvId,
  avPairString,
  decodeAuthenticate,
  decodeAvPairs,
  decodeChallenge,
  encodeChallenge,
  findAvPair,
} from "../../provider/src/wire/ntlm/messages.js";
import { channelBindingsMd5 } from "../../provider/src/wire/channelBindings.js";
import { NtlmAcceptor, type NtlmAcceptorOptions } from "../../provider/src/testing/index.js";

const CB_A: ChannelBindings = { applicationData: Buffer.concat([Buffer.from("tls-server-end-point:"), createHash("sha256").update("cert A").digest()]) };
const CB_B: ChannelBindings = { applicationData: Buffer.concat([Buffer.from("tls-server-end-point:"), createHash("sha256").update("cert B").digest()]) };
const NOW = new Date("2024-03-01T12:00:00Z");

/** Deterministic "random" bytes: a counter, so runs are reproducible. */
function counterRandom(seed: number): (n: number) => Buffer {
  let c = seed;
  return (n) => Buffer.from(Array.from({ length: n }, () => (c++ & 0xff)));
}

function acceptor(extra: Partial<NtlmAcceptorOptions> = {}): NtlmAcceptor {
  return new NtlmAcceptor({
    users: [{ domain: "EXAMPLE", user: "alice", password: "Passw0rd!" }],
    netbiosDomain: "EXAMPLE",
    netbiosComputer: "WIN2019",
    dnsComputer: "win2019.example.test",
    dnsDomain: "example.test",
    now: () => NOW,
    randomBytes: counterRandom(100),
    ...extra,
  });
}

function initiator(username = "EXAMPLE\\alice", password = "Passw0rd!", spn = "HTTP/win2019.example.test"): NtlmMechanism {
  return new NtlmMechanism({ credentials: { username, password }, spn, workstation: "CLIENT1", now: () => NOW, randomBytes: counterRandom(1) });
}

interface Handshake {
  negotiate: Buffer;
  challenge: Buffer;
  authenticate: Buffer;
}

/** Run the three legs; `tamper` may alter each message in transit. */
async function handshake(
  ini: NtlmMechanism,
  acc: NtlmAcceptor,
  opts: { cb?: ChannelBindings; tamper?: (which: keyof Handshake, msg: Buffer) => Buffer } = {},
): Promise<Handshake & { user: string | undefined }> {
  const t = opts.tamper ?? ((_w, m) => m);
  const negotiate = t("negotiate", Buffer.from((await ini.step({ token: undefined, channelBindings: opts.cb })) ?? []));
  const r1 = acc.step(negotiate);
  assert.equal(r1.complete, false);
  const challenge = t("challenge", r1.token ?? Buffer.alloc(0));
  const authenticate = t("authenticate", Buffer.from((await ini.step({ token: challenge, channelBindings: opts.cb })) ?? []));
  const r2 = acc.step(authenticate);
  return { negotiate, challenge, authenticate, user: r2.complete ? r2.user : undefined };
}

describe("NtlmMechanism <-> NtlmAcceptor", () => {
  test("handshake completes, names the user, and seals both ways", async () => {
    const ini = initiator();
    const acc = acceptor();
    const h = await handshake(ini, acc);
    assert.equal(h.user, "EXAMPLE\\alice");
    assert.ok(ini.complete && acc.complete);
    assert.equal(ini.stage, "complete");
    assert.equal(await ini.step({ token: undefined, channelBindings: undefined }), undefined);

    const cs = ini.sealer();
    const as = acc.sealer();
    assert.equal(cs.protocol, SPNEGO_ENCRYPTED_PROTOCOL);
    assert.equal(cs.protocol, "application/HTTP-SPNEGO-session-encrypted");
    for (let i = 0; i < 3; i++) {
      const req = Buffer.from(`<s:Envelope>request ${i}</s:Envelope>`);
      const w = cs.wrap(req);
      assert.equal(w.header.length, 16);
      assert.equal(w.data.length, req.length);
      assert.notDeepEqual(Buffer.from(w.data), req);
      assert.deepEqual(Buffer.from(as.unwrap(w.header, w.data)), req);
      const resp = Buffer.from(`<s:Envelope>response ${i}</s:Envelope>`);
      const r = as.wrap(resp);
      assert.deepEqual(Buffer.from(cs.unwrap(r.header, r.data)), resp);
    }
    assert.strictEqual(ini.sealer(), cs, "one sealer per context: the RC4 state must not fork");
  });

  test("CHALLENGE looks like Windows Server's (MS-NLMP 2.2.1.2, 2.2.2.1)", async () => {
    const acc = acceptor();
    const ini = initiator();
    const r = acc.step(Buffer.from((await ini.step({ token: undefined, channelBindings: undefined })) ?? []));
    const c = decodeChallenge(r.token ?? Buffer.alloc(0));
    for (const f of [NegotiateFlags.TARGET_INFO, NegotiateFlags.VERSION, NegotiateFlags.EXTENDED_SESSIONSECURITY, NegotiateFlags.KEY_EXCH, NegotiateFlags.SEAL, NegotiateFlags.SIGN, NegotiateFlags.UNICODE, NegotiateFlags.NTLM, NegotiateFlags.TARGET_TYPE_DOMAIN]) {
      assert.ok(hasFlag(c.flags, f), `flag 0x${f.toString(16)}`);
    }
    assert.ok(!hasFlag(c.flags, NegotiateFlags.OEM));
    assert.equal(c.targetName, "EXAMPLE");
    assert.deepEqual(c.targetInfo?.map((p) => p.id), [AvId.NbDomainName, AvId.NbComputerName, AvId.DnsDomainName, AvId.DnsComputerName, AvId.DnsTreeName, AvId.Timestamp]);
    assert.equal(avPairString(c.targetInfo, AvId.NbComputerName), "WIN2019");
    assert.equal(avPairString(c.targetInfo, AvId.DnsComputerName), "win2019.example.test");
    assert.equal(findAvPair(c.targetInfo, AvId.Timestamp)?.readBigUInt64LE(0), (BigInt(NOW.getTime()) + 11644473600000n) * 10000n);
    assert.ok(c.version);
  });

  test("a NEGOTIATE offering only OEM strings (python ntlm-auth, as pywinrm sends it) gets an OEM CHALLENGE (MS-NLMP 3.2.5.1.1)", () => {
    // ntlm-auth 1.x NEGOTIATE: flags 0xE288B032 (OEM, no UNICODE), OEM domain "EXAMPLE" and workstation "WS1".
    const negotiate = Buffer.from("4e544c4d535350000100000032b088e20700070028000000030003002f0000000601b11d0000000f4558414d504c45575331", "hex");
    const c = decodeChallenge(acceptor().step(negotiate).token ?? Buffer.alloc(0));
    assert.ok(hasFlag(c.flags, NegotiateFlags.OEM));
    assert.ok(!hasFlag(c.flags, NegotiateFlags.UNICODE));
    assert.equal(c.targetName, "EXAMPLE");
    assert.equal(avPairString(c.targetInfo, AvId.NbComputerName), "WIN2019"); // AV_PAIR strings stay UTF-16LE
  });

  test("AUTHENTICATE carries MIC, MsvAvFlags 0x2, target name, CBT, zero LMv2, KEY_EXCH (MS-NLMP 3.1.5.1.2)", async () => {
    const ini = initiator();
    const acc = acceptor({ channelBindings: CB_A, cbtHardening: "Strict" });
    const h = await handshake(ini, acc, { cb: CB_A });
    assert.equal(h.user, "EXAMPLE\\alice");
    assert.equal(h.negotiate.readUInt32LE(12), INITIATOR_FLAGS);
    assert.equal(INITIATOR_FLAGS, 0xe2088237);
    const a = decodeAuthenticate(h.authenticate);
    assert.equal(a.user, "alice");
    assert.equal(a.domain, "EXAMPLE");
    assert.equal(a.workstation, "CLIENT1");
    assert.ok(a.mic && !a.mic.equals(Buffer.alloc(16)));
    assert.deepEqual(a.lmChallengeResponse, Buffer.alloc(24));
    assert.equal(a.encryptedRandomSessionKey.length, 16);
    assert.ok(hasFlag(a.flags, NegotiateFlags.KEY_EXCH | NegotiateFlags.SEAL | NegotiateFlags.SIGN | NegotiateFlags.EXTENDED_SESSIONSECURITY));
    assert.ok(!hasFlag(a.flags, NegotiateFlags.OEM));
    const pairs = decodeAvPairs(a.ntChallengeResponse.subarray(16 + 28));
    assert.equal(findAvPair(pairs, AvId.Flags)?.readUInt32LE(0), AvFlags.MIC_PRESENT);
    assert.equal(avPairString(pairs, AvId.TargetName), "HTTP/win2019.example.test");
    assert.deepEqual(findAvPair(pairs, AvId.ChannelBindings), channelBindingsMd5(CB_A));
    // The timestamp in temp is the server's (MS-NLMP 3.1.5.1.2).
    assert.deepEqual(a.ntChallengeResponse.subarray(16 + 8, 16 + 16), findAvPair(decodeChallenge(h.challenge).targetInfo, AvId.Timestamp));
  });

  test("UPN user name (user@domain) and a case-different user name are accepted", async () => {
    assert.equal((await handshake(initiator("alice@example.test"), acceptor())).user, "EXAMPLE\\alice");
    assert.equal((await handshake(initiator("example\\ALICE"), acceptor())).user, "EXAMPLE\\alice");
  });

  test("a local account (no domain configured) is found under the computer name, and named by it", async () => {
    const local = acceptor({ users: [{ domain: "", user: "Administrator", password: "L0cal!" }], netbiosDomain: "WIN2019" });
    assert.equal((await handshake(initiator("WIN2019\\administrator", "L0cal!"), local)).user, "WIN2019\\Administrator");
    const local2 = acceptor({ users: [{ domain: "", user: "Administrator", password: "L0cal!" }], netbiosDomain: "WIN2019" });
    assert.equal((await handshake(initiator("Administrator", "L0cal!"), local2)).user, "WIN2019\\Administrator");
    const local3 = acceptor({ users: [{ domain: "", user: "Administrator", password: "L0cal!" }], netbiosDomain: "WIN2019" });
    await assert.rejects(handshake(initiator("OTHERDOM\\Administrator", "L0cal!"), local3), /unknown user name or bad password/);
  });

  test("wrong password is rejected with AuthenticationError, without the password in the message", async () => {
    const secret = "Wr0ngSecret!";
    await assert.rejects(
      handshake(initiator("EXAMPLE\\alice", secret), acceptor()),
      (e: unknown) => e instanceof AuthenticationError && /bad password/.test(e.message) && !e.message.includes(secret) && e.code === "WINRM_AUTH_FAILED",
    );
  });

  test("unknown user is rejected with the same message", async () => {
    await assert.rejects(handshake(initiator("EXAMPLE\\mallory"), acceptor()), /unknown user name or bad password/);
  });

  test("a tampered CHALLENGE is caught by the MIC (MS-NLMP 3.2.5.1.2)", async () => {
    await assert.rejects(
      handshake(initiator(), acceptor(), {
        tamper: (w, m) => {
          if (w !== "challenge") return m;
          const c = Buffer.from(m);
          c[49] = (c[49] as number) ^ 1; // Version.MinorVersion: harmless to parse, but covered by the MIC
          return c;
        },
      }),
      /MIC does not verify/,
    );
  });

  test("a tampered AUTHENTICATE header is caught by the MIC", async () => {
    await assert.rejects(
      handshake(initiator(), acceptor(), {
        tamper: (w, m) => {
          if (w !== "authenticate") return m;
          const c = Buffer.from(m);
          c[65] = (c[65] as number) ^ 1; // Version.MinorVersion of the AUTHENTICATE
          return c;
        },
      }),
      /MIC does not verify/,
    );
  });

  test("stripping the MIC flag from the NTLMv2 blob breaks NTProofStr", async () => {
    await assert.rejects(
      handshake(initiator(), acceptor(), {
        tamper: (w, m) => {
          if (w !== "authenticate") return m;
          const a = decodeAuthenticate(m);
          const nt = a.ntChallengeResponse;
          const off = m.indexOf(nt);
          const c = Buffer.from(m);
          const avFlags = nt.subarray(16 + 28).indexOf(Buffer.from([0x06, 0x00, 0x04, 0x00]));
          // Without the MsvAvFlags pair the write below would corrupt something else and fail for another reason.
          assert.ok(off >= 0 && avFlags >= 0, "MsvAvFlags AV_PAIR found in the NTLMv2 blob");
          const flagsPos = off + 16 + 28 + avFlags;
          assert.equal(c.readUInt32LE(flagsPos + 4), AvFlags.MIC_PRESENT);
          c.writeUInt32LE(0, flagsPos + 4);
          return c;
        },
      }),
      /bad password/,
    );
  });

  test("a tampered sealed message is a DecryptError", async () => {
    const ini = initiator();
    const acc = acceptor();
    await handshake(ini, acc);
    const w = ini.sealer().wrap(Buffer.from("<s:Envelope/>"));
    const data = Buffer.from(w.data);
    data[0] = (data[0] as number) ^ 0xff;
    assert.throws(() => acc.sealer().unwrap(w.header, data), DecryptError);
  });

  describe("channel binding (CbtHardeningLevel, MS-WSMV 2.2.4.34)", () => {
    test("Strict: matching bindings pass", async () => {
      assert.equal((await handshake(initiator(), acceptor({ channelBindings: CB_A, cbtHardening: "Strict" }), { cb: CB_A })).user, "EXAMPLE\\alice");
    });
    test("Strict: bindings of another certificate (a TLS-intercepting proxy) are rejected", async () => {
      await assert.rejects(handshake(initiator(), acceptor({ channelBindings: CB_A, cbtHardening: "Strict" }), { cb: CB_B }), /channel binding token does not match/);
    });
    test("Strict: no bindings are rejected", async () => {
      await assert.rejects(handshake(initiator(), acceptor({ channelBindings: CB_A, cbtHardening: "Strict" })), /channel binding token required/);
    });
    test("Relaxed: no bindings pass, wrong bindings fail", async () => {
      assert.equal((await handshake(initiator(), acceptor({ channelBindings: CB_A, cbtHardening: "Relaxed" }))).user, "EXAMPLE\\alice");
      await assert.rejects(handshake(initiator(), acceptor({ channelBindings: CB_A, cbtHardening: "Relaxed" }), { cb: CB_B }), AuthenticationError);
    });
    test("None: wrong bindings are ignored", async () => {
      assert.equal((await handshake(initiator(), acceptor({ channelBindings: CB_A, cbtHardening: "None" }), { cb: CB_B })).user, "EXAMPLE\\alice");
    });
    test("HTTP (acceptor has no bindings): client bindings are ignored even under Strict", async () => {
      assert.equal((await handshake(initiator(), acceptor({ cbtHardening: "Strict" }), { cb: CB_B })).user, "EXAMPLE\\alice");
    });
  });

  test("a failed attempt leaves the acceptor ready for a new NEGOTIATE on the same connection", async () => {
    const acc = acceptor();
    await assert.rejects(handshake(initiator("EXAMPLE\\alice", "nope"), acc));
    assert.equal((await handshake(initiator(), acc)).user, "EXAMPLE\\alice");
    // AUTHENTICATE without a CHALLENGE first is refused.
    const acc2 = acceptor();
    const h = await handshake(initiator(), acceptor());
    assert.throws(() => acc2.step(h.authenticate), /without a preceding CHALLENGE/);
  });

  test("fresh() gives an unstarted context with the same options", async () => {
    const ini = initiator();
    await handshake(ini, acceptor());
    const f = ini.fresh();
    assert.equal(f.complete, false);
    assert.equal(f.stage, "NEGOTIATE");
    assert.equal((await handshake(f, acceptor())).user, "EXAMPLE\\alice");
  });
});

describe("NtlmMechanism refuses weak CHALLENGEs", () => {
  const base = {
    flags: 0xe28a8235,
    serverChallenge: Buffer.alloc(8, 1),
    targetName: "S",
    targetInfo: [{ id: AvId.NbComputerName, value: Buffer.from("S", "utf16le") }],
  };
  async function stepWith(challenge: Buffer): Promise<unknown> {
    const ini = initiator();
    await ini.step({ token: undefined, channelBindings: undefined });
    return ini.step({ token: challenge, channelBindings: undefined });
  }
  test("no ESS", async () => {
    await assert.rejects(stepWith(encodeChallenge({ ...base, flags: base.flags & ~NegotiateFlags.EXTENDED_SESSIONSECURITY })), /extended session security/);
  });
  test("no TargetInfo (NTLMv1 only)", async () => {
    await assert.rejects(stepWith(encodeChallenge({ ...base, flags: base.flags & ~NegotiateFlags.TARGET_INFO, targetInfo: undefined })), /NTLMv2/);
  });
  test("garbage and missing tokens", async () => {
    await assert.rejects(stepWith(Buffer.from("garbage garbage")), (e: unknown) => e instanceof AuthenticationError && e.stage === "CHALLENGE");
    const ini = initiator();
    await ini.step({ token: undefined, channelBindings: undefined });
    await assert.rejects(ini.step({ token: undefined, channelBindings: undefined }), AuthenticationError);
  });
  test("no timestamp: no MIC, LMv2 response present, timestamp from the injected clock", async () => {
    const ini = initiator();
    await ini.step({ token: undefined, channelBindings: undefined });
    const auth = Buffer.from((await ini.step({ token: encodeChallenge(base), channelBindings: undefined })) ?? []);
    const a = decodeAuthenticate(auth);
    assert.equal(a.mic, undefined);
    assert.equal(a.lmChallengeResponse.length, 24);
    assert.notDeepEqual(a.lmChallengeResponse, Buffer.alloc(24));
    assert.equal(a.ntChallengeResponse.readBigUInt64LE(16 + 8), (BigInt(NOW.getTime()) + 11644473600000n) * 10000n);
  });
});

describe("BasicMechanism", () => {
  test("sends user:password once, in UTF-8, and cannot seal", async () => {
    const b = new BasicMechanism({ credentials: { username: "Administrator", password: "pässword" } });
    assert.equal(b.scheme, "Basic");
    assert.equal(b.canSeal, false);
    assert.equal(b.complete, false);
    const t = await b.step({ token: undefined, channelBindings: undefined });
    assert.equal(Buffer.from(t ?? []).toString("utf8"), "Administrator:pässword");
    assert.equal(b.complete, true);
    assert.equal(await b.step({ token: undefined, channelBindings: undefined }), undefined);
    assert.throws(() => b.sealer(), AuthenticationError);
    assert.equal(b.fresh().complete, false);
  });
  test("a colon in the user name is a configuration error", () => {
    assert.throws(() => new BasicMechanism({ credentials: { username: "a:b", password: "x" } }), ConfigurationError);
  });
});
