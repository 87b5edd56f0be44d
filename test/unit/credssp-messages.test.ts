import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ProtocolError } from "../../provider/src/errors.js";
import { decodeInteger, encodeInteger, integerContents, readElement } from "../../provider/src/wire/credssp/der.js";
import {
  CRED_TYPE_PASSWORD,
  decodeTSCredentials,
  decodeTSPasswordCreds,
  decodeTSRequest,
  encodeTSCredentials,
  encodeTSPasswordCreds,
  encodeTSRequest,
} from "../../provider/src/wire/credssp/messages.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("CredSSP DER codec (MS-CSSP 2.2.1)", () => {
  test("TSRequest with version 6 and one negoToken encodes to the DER worked out by hand", () => {
    // 30 11 | a0 03 02 01 06 | a1 0a 30 08 30 06 a0 04 04 02 01 02
    const expected = hex("3011 a003020106 a10a 3008 3006 a004 04020102");
    const bytes = encodeTSRequest({ version: 6, negoTokens: [Uint8Array.of(1, 2)] });
    assert.deepEqual(Buffer.from(bytes), expected);
    const back = decodeTSRequest(expected);
    assert.equal(back.version, 6);
    assert.deepEqual(back.negoTokens?.map((t) => Buffer.from(t)), [Buffer.from([1, 2])]);
    assert.equal(back.pubKeyAuth, undefined);
  });

  test("every TSRequest field round-trips, long-form lengths included", () => {
    const big = new Uint8Array(70_000 / 2).fill(0x5a);
    const req = {
      version: 6,
      negoTokens: [big.subarray(0, 300)],
      authInfo: Uint8Array.of(9, 8, 7),
      pubKeyAuth: big.subarray(0, 200),
      errorCode: -1073741715, // STATUS_LOGON_FAILURE 0xC000006D as a signed INTEGER
      clientNonce: new Uint8Array(32).fill(7),
    };
    const back = decodeTSRequest(encodeTSRequest(req));
    assert.equal(back.version, 6);
    assert.deepEqual(Buffer.from(back.negoTokens![0]!), Buffer.from(req.negoTokens[0]!));
    assert.deepEqual(Buffer.from(back.authInfo!), Buffer.from(req.authInfo));
    assert.deepEqual(Buffer.from(back.pubKeyAuth!), Buffer.from(req.pubKeyAuth));
    assert.equal(back.errorCode, req.errorCode);
    assert.deepEqual(Buffer.from(back.clientNonce!), Buffer.from(req.clientNonce));
  });

  test("INTEGERs are minimal two's complement", () => {
    assert.deepEqual(Buffer.from(integerContents(0)), hex("00"));
    assert.deepEqual(Buffer.from(integerContents(127)), hex("7f"));
    assert.deepEqual(Buffer.from(integerContents(128)), hex("0080"));
    assert.deepEqual(Buffer.from(integerContents(-1)), hex("ff"));
    assert.deepEqual(Buffer.from(integerContents(0xc000006d)), hex("00c000006d"));
    for (const v of [0, 1, 255, 256, -129, 0x7fffffff, -0x80000000, 0xc000006d]) {
      assert.equal(decodeInteger(integerContents(v), "x"), v);
    }
    assert.deepEqual(Buffer.from(encodeInteger(2)), hex("020102"));
  });

  test("TSCredentials with TSPasswordCreds round-trips UTF-16LE strings", () => {
    const inner = encodeTSPasswordCreds({ domainName: "DOM", userName: "vagrant", password: "pässword" });
    // domainName "DOM" = a0 08 04 06 44 00 4f 00 4d 00 at the start of the SEQUENCE's contents.
    assert.deepEqual(Buffer.from(inner.subarray(2, 12)), hex("a008 0406 44004f004d00"));
    const outer = encodeTSCredentials({ credType: CRED_TYPE_PASSWORD, credentials: inner });
    const creds = decodeTSCredentials(outer);
    assert.equal(creds.credType, 1);
    assert.deepEqual(decodeTSPasswordCreds(creds.credentials), { domainName: "DOM", userName: "vagrant", password: "pässword" });
  });

  test("hostile lengths and shapes are refused with ProtocolError, never read past the input", () => {
    const cases: Array<[string, Buffer]> = [
      ["length beyond input", hex("30 7f a003020106")],
      ["long-form beyond input", hex("30 84 7fffffff a003")],
      ["indefinite length", hex("30 80 a003020106 0000")],
      ["five length octets", hex("30 85 0000000005 a003020106")],
      ["non-minimal length", hex("30 8105 a003020106")],
      ["truncated", hex("30")],
      ["stray trailing bytes", hex("3005 a003020106 00")],
      ["no version", hex("3005 a303040100")],
      ["fields out of order", hex("300a a303040100 a003020106")],
      ["field twice", hex("300a a003020106 a003020106")],
      ["unknown field [6]", hex("300a a003020106 a603020100")],
      ["wrong inner type", hex("3005 a003040106")],
      ["short clientNonce", hex("300a a003020106 a503040100")],
      ["multi-byte tag", hex("1f8101 00")],
      ["huge INTEGER", hex("3009 a0070205 0100000000")],
    ];
    for (const [name, bytes] of cases) {
      assert.throws(() => decodeTSRequest(bytes), ProtocolError, name);
    }
    assert.throws(() => decodeTSRequest(new Uint8Array(64 * 1024 + 1)), ProtocolError);
    assert.throws(() => decodeTSPasswordCreds(hex("300b a003 0401 41 a103040100 a2020400")), ProtocolError, "odd UTF-16");
    assert.throws(() => readElement(hex("04"), 0, "x"), ProtocolError);
  });
});
