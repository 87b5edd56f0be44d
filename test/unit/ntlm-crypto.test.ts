import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { md4 } from "../../provider/src/wire/ntlm/md4.js";
import { Rc4, rc4k } from "../../provider/src/wire/ntlm/rc4.js";
import {
  computeMic,
  computeNtlmv2Response,
  encryptSessionKey,
  fileTime,
  fromFileTime,
  ntlmv2Temp,
  ntowfv1,
  ntowfv2,
  sealKey,
  signKey,
} from "../../provider/src/wire/ntlm/crypto.js";
import { AvId, avString, encodeAvPairs } from "../../provider/src/wire/ntlm/messages.js";
import { NegotiateFlags } from "../../provider/src/wire/ntlm/flags.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

// MS-NLMP 4.2.1 common values.
const USER = "User";
const DOMAIN = "Domain";
const PASSWORD = "Password";
const RANDOM_SESSION_KEY = Buffer.alloc(16, 0x55);
const TIME = Buffer.alloc(8, 0);
const CLIENT_CHALLENGE = Buffer.alloc(8, 0xaa);
const SERVER_CHALLENGE = hex("0123456789abcdef");
const FLAGS_4_2_4 = 0xe2888235; // MS-NLMP 4.2.4 NegotiateFlags

describe("MD4 (RFC 1320 A.5 test suite)", () => {
  const vectors: [string, string][] = [
    ["", "31d6cfe0d16ae931b73c59d7e0c089c0"],
    ["a", "bde52cb31de33e46245e05fbdbd6fb24"],
    ["abc", "a448017aaf21d8525fc10ae87aa6729d"],
    ["message digest", "d9130a8164549fe818874806e1c7014b"],
    ["abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9"],
    ["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "043f8582f241db351ce627e153e7f0e4"],
    ["12345678901234567890123456789012345678901234567890123456789012345678901234567890", "e33b4ddc9c38f2199c3e7b164fcc0536"],
  ];
  for (const [input, digest] of vectors) {
    test(`md4(${JSON.stringify(input.slice(0, 20))}...)`, () => {
      assert.equal(md4(Buffer.from(input, "latin1")).toString("hex"), digest);
    });
  }
  test("lengths around the 56-byte padding boundary agree with a second path (55, 56, 63, 64, 65 bytes)", () => {
    // MD4 of n x "a", from OpenSSL's legacy provider (`openssl dgst -md4 -provider legacy`), an independent oracle:
    // comparing md4 only with itself would not catch a padding bug that both paths share.
    const digests: Record<number, string> = {
      55: "c889c81dd86c4d2e025778944ea02881",
      56: "d5f9a9e9257077a5f08b0b92f348b0ad",
      63: "7ea3da77432d44c323671097d1348fc8",
      64: "52f5076fabd22680234a3fa9f9dc5732",
      65: "330e377bf231f3cacfecc2c182fe7e5b",
      119: "e65dd227ccef97fa1d34d70189120f76",
      120: "b03ddbd470b47c013e0c7ab2ddd763db",
    };
    // Same data hashed as one buffer and as a Uint8Array view at an offset: the view must not leak surrounding bytes.
    for (const n of [55, 56, 63, 64, 65, 119, 120]) {
      const big = Buffer.alloc(n + 10, 0x61);
      big[0] = 0x7a;
      const view = new Uint8Array(big.buffer, big.byteOffset + 1, n);
      assert.deepEqual(md4(view), md4(Buffer.alloc(n, 0x61)), `length ${n}`);
      assert.equal(md4(view).toString("hex"), digests[n], `length ${n} against OpenSSL`);
    }
  });
});

describe("RC4", () => {
  test("classic vectors (Key/Plaintext, Wiki/pedia, Secret/Attack at dawn)", () => {
    assert.equal(rc4k(Buffer.from("Key"), Buffer.from("Plaintext")).toString("hex"), "bbf316e8d940af0ad3");
    assert.equal(rc4k(Buffer.from("Wiki"), Buffer.from("pedia")).toString("hex"), "1021bf0420");
    assert.equal(rc4k(Buffer.from("Secret"), Buffer.from("Attack at dawn")).toString("hex"), "45a01f645fc35b383552544b9bf5");
  });
  test("the keystream continues across update calls", () => {
    const whole = rc4k(Buffer.from("Secret"), Buffer.from("Attack at dawn"));
    const r = new Rc4(Buffer.from("Secret"));
    const parts = Buffer.concat([r.update(Buffer.from("Attack")), r.update(Buffer.from(" at ")), r.update(Buffer.from("dawn"))]);
    assert.deepEqual(parts, whole);
  });
  test("empty key is refused", () => {
    assert.throws(() => new Rc4(new Uint8Array(0)), RangeError);
  });
});

describe("MS-NLMP 4.2.4 NTLMv2 vectors", () => {
  // MS-NLMP 4.2.4.1.1 NTOWFv2() (and 4.2.2.1.2 NTOWFv1)
  test("NTOWFv1 = MD4(UNICODE(Password)) (MS-NLMP 4.2.2.1.2)", () => {
    assert.deepEqual(ntowfv1(PASSWORD), hex("a4f49c406510bdcab6824ee7c30fd852"));
  });
  test("NTOWFv2 (MS-NLMP 4.2.4.1.1)", () => {
    assert.deepEqual(ntowfv2(PASSWORD, USER, DOMAIN), hex("0c868a403bfd7a93a3001ef22ef02e3f"));
  });
  test("NTOWFv2 upper-cases only the user, keeps the domain's case (MS-NLMP 3.3.2)", () => {
    assert.deepEqual(ntowfv2(PASSWORD, "user", DOMAIN), ntowfv2(PASSWORD, USER, DOMAIN));
    assert.notDeepEqual(ntowfv2(PASSWORD, USER, "DOMAIN"), ntowfv2(PASSWORD, USER, DOMAIN));
  });

  const targetInfo = encodeAvPairs([avString(AvId.NbDomainName, "Domain"), avString(AvId.NbComputerName, "Server")]);
  const temp = ntlmv2Temp(TIME, CLIENT_CHALLENGE, targetInfo);

  test("temp blob (MS-NLMP 4.2.4.1.3 / 2.2.2.7)", () => {
    assert.deepEqual(
      temp,
      hex(`01 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 aa aa aa aa aa aa aa aa 00 00 00 00
           02 00 0c 00 44 00 6f 00 6d 00 61 00 69 00 6e 00 01 00 0c 00 53 00 65 00 72 00 76 00
           65 00 72 00 00 00 00 00 00 00 00 00`),
    );
  });

  const resp = computeNtlmv2Response({
    ntowfv2: ntowfv2(PASSWORD, USER, DOMAIN),
    serverChallenge: SERVER_CHALLENGE,
    clientChallenge: CLIENT_CHALLENGE,
    temp,
  });

  test("NTProofStr (MS-NLMP 4.2.4.2.2)", () => {
    assert.deepEqual(resp.ntProofStr, hex("68cd0ab851e51c96aabc927bebef6a1c"));
    assert.deepEqual(resp.ntChallengeResponse, Buffer.concat([hex("68cd0ab851e51c96aabc927bebef6a1c"), temp]));
  });
  test("LMv2 response (MS-NLMP 4.2.4.2.1)", () => {
    assert.deepEqual(resp.lmChallengeResponse, hex("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa"));
  });
  test("SessionBaseKey (MS-NLMP 4.2.4.1.2)", () => {
    assert.deepEqual(resp.sessionBaseKey, hex("8de40ccadbc14a82f15cb0ad0de95ca3"));
  });
  test("EncryptedRandomSessionKey = RC4K(KeyExchangeKey, RandomSessionKey) (MS-NLMP 4.2.4.2.3)", () => {
    const enc = encryptSessionKey(resp.sessionBaseKey, RANDOM_SESSION_KEY);
    assert.deepEqual(enc, hex("c5dad2544fc9799094ce1ce90bc9d03e"));
    assert.deepEqual(encryptSessionKey(resp.sessionBaseKey, enc), RANDOM_SESSION_KEY);
  });
  test("SIGNKEY / SEALKEY for both directions (MS-NLMP 4.2.4.1.4-4.2.4.1.5 via 3.4.5.2-3.4.5.3)", () => {
    assert.deepEqual(sealKey(RANDOM_SESSION_KEY, FLAGS_4_2_4, "client-to-server"), hex("59f600973cc4960a25480a7c196e4c58"));
    assert.deepEqual(signKey(RANDOM_SESSION_KEY, "client-to-server"), hex("4788dc861b4782f35d43fd98fe1a2d39"));
    assert.deepEqual(sealKey(RANDOM_SESSION_KEY, FLAGS_4_2_4, "server-to-client"), hex("9355f3a957c1583d25c4c2f11e40390e"));
    assert.deepEqual(signKey(RANDOM_SESSION_KEY, "server-to-client"), hex("d04d6f10741041d1d246d64188d7a8ad"));
  });
  test("SEALKEY takes 7 bytes of the key with only NEGOTIATE_56 and 5 bytes with neither (MS-NLMP 3.4.5.3)", () => {
    const key = Buffer.from([...Array(16).keys()]);
    const f56 = NegotiateFlags.EXTENDED_SESSIONSECURITY | NegotiateFlags.NEGOTIATE_56;
    const f40 = NegotiateFlags.EXTENDED_SESSIONSECURITY;
    const withPrefix = (n: number): Buffer => sealKey(Buffer.concat([key.subarray(0, n), Buffer.alloc(16 - n, 0xff)]), 0, "client-to-server");
    assert.deepEqual(sealKey(key, f56, "client-to-server").length, 16);
    assert.notDeepEqual(sealKey(key, f56, "client-to-server"), sealKey(key, f40, "client-to-server"));
    // Changing bytes beyond the 7th / 5th does not change the 56-/40-bit keys.
    const other = Buffer.from(key);
    other.fill(0xee, 7);
    assert.deepEqual(sealKey(other, f56, "client-to-server"), sealKey(key, f56, "client-to-server"));
    other.fill(0xee, 5);
    assert.deepEqual(sealKey(other, f40, "client-to-server"), sealKey(key, f40, "client-to-server"));
    assert.deepEqual(withPrefix(5), sealKey(key, f40, "client-to-server"));
    // MS-NLMP 3.4.5.3 computed here with node's MD5, independent of sealKey: MD5(key[0..7) or key[0..5) || magic).
    const magic = Buffer.from("session key to client-to-server sealing key magic constant\0", "latin1");
    const specKey = (n: number): Buffer => createHash("md5").update(key.subarray(0, n)).update(magic).digest();
    assert.deepEqual(sealKey(key, f56, "client-to-server"), specKey(7));
    assert.deepEqual(sealKey(key, f40, "client-to-server"), specKey(5));
  });
});

describe("MIC and FILETIME", () => {
  test("MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE || AUTHENTICATE) (MS-NLMP 3.1.5.1.2)", () => {
    const a = computeMic(RANDOM_SESSION_KEY, Buffer.from("neg"), Buffer.from("chal"), Buffer.from("auth"));
    const b = computeMic(RANDOM_SESSION_KEY, Buffer.from("negchalauth"), Buffer.alloc(0), Buffer.alloc(0));
    assert.deepEqual(a, b);
    assert.equal(a.length, 16);
    // The same HMAC computed with node's crypto, independent of computeMic.
    assert.deepEqual(a, createHmac("md5", RANDOM_SESSION_KEY).update("negchalauth").digest());
    assert.notDeepEqual(a, computeMic(RANDOM_SESSION_KEY, Buffer.from("neg"), Buffer.from("chal"), Buffer.from("autH")));
  });
  test("FILETIME counts 100 ns from 1601 (MS-NLMP 2.2.2.1 MsvAvTimestamp)", () => {
    // 1970-01-01 is 116444736000000000 ticks after 1601-01-01.
    assert.equal(fileTime(new Date(0)).readBigUInt64LE(0), 116444736000000000n);
    const d = new Date("2024-05-06T07:08:09.123Z");
    assert.equal(fromFileTime(fileTime(d)).toISOString(), d.toISOString());
  });
});
