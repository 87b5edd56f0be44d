import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ProtocolError } from "../../provider/src/errors.js";
import { NegotiateFlags, describeFlags, hasFlag } from "../../provider/src/wire/ntlm/flags.js";
import {
  AvId,
  avPairString,
  avString,
  decodeAuthenticate,
  decodeAvPairs,
  decodeChallenge,
  decodeNegotiate,
  encodeAuthenticate,
  encodeAvPairs,
  encodeChallenge,
  encodeNegotiate,
  ntlmMessageType,
  withZeroedMic,
} from "../../provider/src/wire/ntlm/messages.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/^[0-9a-f]{4}:/gm, "").replace(/\s+/g, ""), "hex");

// MS-NLMP 4.2.4.3 CHALLENGE_MESSAGE (104 bytes).
const CHALLENGE_4_2_4 = hex(`
0000: 4e 54 4c 4d 53 53 50 00 02 00 00 00 0c 00 0c 00
0010: 38 00 00 00 33 82 8a e2 01 23 45 67 89 ab cd ef
0020: 00 00 00 00 00 00 00 00 24 00 24 00 44 00 00 00
0030: 06 00 70 17 00 00 00 0f 53 00 65 00 72 00 76 00
0040: 65 00 72 00 02 00 0c 00 44 00 6f 00 6d 00 61 00
0050: 69 00 6e 00 01 00 0c 00 53 00 65 00 72 00 76 00
0060: 65 00 72 00 00 00 00 00`);

// MS-NLMP 4.2.4.3 AUTHENTICATE_MESSAGE (232 bytes, no MIC).
const AUTHENTICATE_4_2_4 = hex(`
0000: 4e 54 4c 4d 53 53 50 00 03 00 00 00 18 00 18 00
0010: 6c 00 00 00 54 00 54 00 84 00 00 00 0c 00 0c 00
0020: 48 00 00 00 08 00 08 00 54 00 00 00 10 00 10 00
0030: 5c 00 00 00 10 00 10 00 d8 00 00 00 35 82 88 e2
0040: 05 01 28 0a 00 00 00 0f 44 00 6f 00 6d 00 61 00
0050: 69 00 6e 00 55 00 73 00 65 00 72 00 43 00 4f 00
0060: 4d 00 50 00 55 00 54 00 45 00 52 00 86 c3 50 97
0070: ac 9c ec 10 25 54 76 4a 57 cc cc 19 aa aa aa aa
0080: aa aa aa aa 68 cd 0a b8 51 e5 1c 96 aa bc 92 7b
0090: eb ef 6a 1c 01 01 00 00 00 00 00 00 00 00 00 00
00a0: 00 00 00 00 aa aa aa aa aa aa aa aa 00 00 00 00
00b0: 02 00 0c 00 44 00 6f 00 6d 00 61 00 69 00 6e 00
00c0: 01 00 0c 00 53 00 65 00 72 00 76 00 65 00 72 00
00d0: 00 00 00 00 00 00 00 00 c5 da d2 54 4f c9 79 90
00e0: 94 ce 1c e9 0b c9 d0 3e`);

describe("MS-NLMP 4.2.4.3 CHALLENGE_MESSAGE", () => {
  test("the dump is 104 bytes", () => assert.equal(CHALLENGE_4_2_4.length, 104));
  test("decodes (MS-NLMP 4.2.4.3, 2.2.1.2)", () => {
    const c = decodeChallenge(CHALLENGE_4_2_4);
    assert.equal(c.flags >>> 0, 0xe28a8233);
    assert.deepEqual(c.serverChallenge, hex("0123456789abcdef"));
    assert.equal(c.targetName, "Server");
    assert.deepEqual(c.version, { major: 6, minor: 0, build: 6000, revision: 15 });
    assert.equal(c.targetInfo?.length, 2);
    assert.equal(avPairString(c.targetInfo, AvId.NbDomainName), "Domain");
    assert.equal(avPairString(c.targetInfo, AvId.NbComputerName), "Server");
    assert.ok(hasFlag(c.flags, NegotiateFlags.EXTENDED_SESSIONSECURITY));
    assert.ok(hasFlag(c.flags, NegotiateFlags.NEGOTIATE_56));
  });
  test("encodes byte for byte (MS-NLMP 4.2.4.3)", () => {
    const encoded = encodeChallenge({
      flags: 0xe28a8233,
      serverChallenge: hex("0123456789abcdef"),
      targetName: "Server",
      targetInfo: [avString(AvId.NbDomainName, "Domain"), avString(AvId.NbComputerName, "Server")],
      version: { major: 6, minor: 0, build: 6000, revision: 15 },
    });
    assert.deepEqual(encoded, CHALLENGE_4_2_4);
  });
  test("describeFlags names the set bits", () => {
    assert.equal(
      describeFlags(0xe28a8233),
      "UNICODE|OEM|SIGN|SEAL|NTLM|ALWAYS_SIGN|TARGET_TYPE_SERVER|EXTENDED_SESSIONSECURITY|TARGET_INFO|VERSION|NEGOTIATE_128|KEY_EXCH|NEGOTIATE_56",
    );
  });
});

describe("MS-NLMP 4.2.4.3 AUTHENTICATE_MESSAGE", () => {
  test("the dump is 232 bytes", () => assert.equal(AUTHENTICATE_4_2_4.length, 232));
  test("decodes (MS-NLMP 4.2.4.3, 2.2.1.3)", () => {
    const a = decodeAuthenticate(AUTHENTICATE_4_2_4);
    assert.equal(a.flags >>> 0, 0xe2888235);
    assert.equal(a.domain, "Domain");
    assert.equal(a.user, "User");
    assert.equal(a.workstation, "COMPUTER");
    assert.deepEqual(a.lmChallengeResponse, hex("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa"));
    assert.equal(a.ntChallengeResponse.length, 0x54);
    assert.deepEqual(a.ntChallengeResponse.subarray(0, 16), hex("68cd0ab851e51c96aabc927bebef6a1c"));
    assert.deepEqual(a.encryptedRandomSessionKey, hex("c5dad2544fc9799094ce1ce90bc9d03e"));
    assert.deepEqual(a.version, { major: 5, minor: 1, build: 2600, revision: 15 });
    // Payload starts at 0x48 = 72: this message has no MIC field.
    assert.equal(a.mic, undefined);
  });
  test("encodes byte for byte (MS-NLMP 4.2.4.3)", () => {
    const a = decodeAuthenticate(AUTHENTICATE_4_2_4);
    assert.deepEqual(encodeAuthenticate(a), AUTHENTICATE_4_2_4);
  });
  test("with a MIC the payload moves to 88 and the MIC sits at 72 (MS-NLMP 2.2.1.3)", () => {
    const a = decodeAuthenticate(AUTHENTICATE_4_2_4);
    const mic = Buffer.alloc(16, 0x5a);
    const withMic = encodeAuthenticate({ ...a, mic });
    assert.equal(withMic.length, 232 + 16);
    assert.equal(withMic.readUInt32LE(32), 88); // DomainNameBufferOffset
    assert.deepEqual(withMic.subarray(72, 88), mic);
    const back = decodeAuthenticate(withMic);
    assert.deepEqual(back.mic, mic);
    assert.equal(back.user, "User");
    const zeroed = withZeroedMic(withMic);
    assert.deepEqual(zeroed.subarray(72, 88), Buffer.alloc(16));
    assert.deepEqual(withMic.subarray(72, 88), mic, "withZeroedMic must not modify its input");
  });
});

describe("NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1)", () => {
  test("round trip with version, 40-byte header, empty payload", () => {
    const n = encodeNegotiate({ flags: 0xe2088237, version: { major: 10, minor: 0, build: 17763, revision: 15 } });
    assert.equal(n.length, 40);
    assert.deepEqual(n.subarray(0, 12), hex("4e544c4d5353500001000000"));
    assert.equal(n.readUInt32LE(12), 0xe2088237);
    assert.deepEqual(n.subarray(32, 40), hex("0a00 6345 000000 0f"));
    assert.deepEqual(decodeNegotiate(n), { flags: 0xe2088237, version: { major: 10, minor: 0, build: 17763, revision: 15 } });
  });
  test("OEM domain and workstation set the *_SUPPLIED flags", () => {
    const n = encodeNegotiate({ flags: NegotiateFlags.UNICODE, domain: "DOM", workstation: "WS" });
    const d = decodeNegotiate(n);
    assert.equal(d.domain, "DOM");
    assert.equal(d.workstation, "WS");
    assert.ok(hasFlag(d.flags, NegotiateFlags.OEM_DOMAIN_SUPPLIED | NegotiateFlags.OEM_WORKSTATION_SUPPLIED));
  });
  test("ntlmMessageType tells the three types and non-NTLM tokens apart", () => {
    assert.equal(ntlmMessageType(encodeNegotiate({ flags: 1 })), 1);
    assert.equal(ntlmMessageType(CHALLENGE_4_2_4), 2);
    assert.equal(ntlmMessageType(AUTHENTICATE_4_2_4), 3);
    assert.equal(ntlmMessageType(hex("6082010006062b0601050502a0")), undefined); // SPNEGO
  });
});

describe("AV_PAIRs and malformed input (MS-NLMP 2.2.2.1)", () => {
  test("encode appends exactly one MsvAvEOL; decode stops at it", () => {
    const enc = encodeAvPairs([avString(AvId.TargetName, "HTTP/h"), { id: AvId.EOL, value: Buffer.alloc(0) }]);
    assert.deepEqual(enc.subarray(-4), Buffer.alloc(4));
    assert.equal(enc.length, 4 + 12 + 4);
    const dec = decodeAvPairs(Buffer.concat([enc, hex("0100 0200 4100")])); // bytes after EOL are ignored
    assert.equal(dec.length, 1);
    assert.equal(avPairString(dec, AvId.TargetName), "HTTP/h");
  });
  test("missing EOL and overrunning pairs are ProtocolErrors", () => {
    assert.throws(() => decodeAvPairs(hex("0100 0200 4100")), ProtocolError);
    assert.throws(() => decodeAvPairs(hex("0100 1000 4100 0000 0000")), ProtocolError);
  });
  test("wrong signature, wrong type, truncation and out-of-range fields are ProtocolErrors", () => {
    assert.throws(() => decodeChallenge(Buffer.from("NTLMSSQ\0\x02\0\0\0", "latin1")), ProtocolError);
    assert.throws(() => decodeChallenge(AUTHENTICATE_4_2_4), /expected NTLM message type 2, got 3/);
    assert.throws(() => decodeChallenge(CHALLENGE_4_2_4.subarray(0, 20)), ProtocolError);
    assert.throws(() => decodeAuthenticate(AUTHENTICATE_4_2_4.subarray(0, 200)), /outside the message/);
    const bad = Buffer.from(CHALLENGE_4_2_4);
    bad.writeUInt32LE(0x1000, 0x2c); // TargetInfo offset beyond the end
    assert.throws(() => decodeChallenge(bad), ProtocolError);
  });
});
