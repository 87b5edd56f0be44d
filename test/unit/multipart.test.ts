import { test, describe } from "node:test";
import assert from "node:assert/strict";
import {
  decodeEncryptedBody,
  encodeEncryptedBody,
  isEncryptedContentType,
  verifyOriginalLength,
} from "../../provider/src/wire/multipart.js";
import { DecryptError, ProtocolError } from "../../provider/src/errors.js";

const PROTOCOL = "application/HTTP-SPNEGO-session-encrypted";
// MS-WSMV 2.2.9.1: MS-NLMP 4.2.4 keys, client seq 0, plaintext "<s:Envelope/>" (13 bytes).
const SEALED = Buffer.from("38965720b06f3ab0981031eeda", "hex");
const SIGNATURE = Buffer.from("01000000b41d13116965b03d00000000", "hex");
const CT = 'multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"';

function expectedBody(tab: string, finalDashes: string): Buffer {
  return Buffer.concat([
    Buffer.from(
      "--Encrypted Boundary\r\n" +
        `${tab}Content-Type: application/HTTP-SPNEGO-session-encrypted\r\n` +
        `${tab}OriginalContent: type=application/soap+xml;charset=UTF-8;Length=13\r\n` +
        "--Encrypted Boundary\r\n" +
        `${tab}Content-Type: application/octet-stream\r\n`,
      "latin1",
    ),
    Buffer.from([0x10, 0, 0, 0]),
    SIGNATURE,
    SEALED,
    Buffer.from(`--Encrypted Boundary${finalDashes}\r\n`, "latin1"),
  ]);
}

void describe("multipart/encrypted (MS-WSMV 2.2.9.1)", () => {
  void test("encodes the NTLM vector byte for byte: 269 bytes with TABs", () => {
    const { contentType, body } = encodeEncryptedBody(PROTOCOL, { header: SIGNATURE, data: SEALED }, 13);
    assert.equal(contentType, CT);
    assert.equal(body.length, 269);
    assert.deepEqual(body, expectedBody("\t", "--"));
    // The octet part: LE32 16 | signature | sealed = 33 bytes, directly followed by the closing delimiter.
    const octet = body.subarray(body.length - 33 - "--Encrypted Boundary--\r\n".length, body.length - 24);
    assert.equal(octet.toString("hex"), "10000000" + SIGNATURE.toString("hex") + SEALED.toString("hex"));
  });

  void test("part headers past 16 KiB are refused; a large sealed part after short headers is read whole", () => {
    const long = Buffer.from(
      "--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n" +
        `\tX-Padding: ${"a".repeat(17 * 1024)}\r\n` +
        "\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=13\r\n--Encrypted Boundary\r\n" +
        "\tContent-Type: application/octet-stream\r\n",
      "latin1",
    );
    const tail = Buffer.concat([Buffer.from([0x10, 0, 0, 0]), SIGNATURE, SEALED, Buffer.from("--Encrypted Boundary--\r\n", "latin1")]);
    assert.throws(() => decodeEncryptedBody(CT, Buffer.concat([long, tail])), ProtocolError);
    const big = Buffer.alloc(600 * 1024, 0x2d); // "-" bytes: the sealed data may hold anything but the closing delimiter
    const { body } = encodeEncryptedBody(PROTOCOL, { header: SIGNATURE, data: big }, big.length);
    const d = decodeEncryptedBody(CT, body);
    assert.equal(d.data.length, big.length);
    assert.deepEqual(d.header, SIGNATURE);
    assert.equal(d.originalLength, big.length);
  });

  void test("decodes what it encodes", () => {
    const { contentType, body } = encodeEncryptedBody(PROTOCOL, { header: SIGNATURE, data: SEALED }, 13);
    const d = decodeEncryptedBody(contentType, body);
    assert.equal(d.protocol, PROTOCOL);
    assert.deepEqual(d.header, SIGNATURE);
    assert.deepEqual(d.data, SEALED);
    assert.equal(d.originalLength, 13);
    assert.equal(d.originalType, "application/soap+xml;charset=UTF-8");
  });

  void test("tolerates parts without TAB and a final delimiter without --", () => {
    for (const [tab, dashes] of [["", "--"], ["\t", ""], ["", ""]] as const) {
      const d = decodeEncryptedBody(CT, expectedBody(tab, dashes));
      assert.deepEqual(d.header, SIGNATURE, `tab=${JSON.stringify(tab)} dashes=${dashes}`);
      assert.deepEqual(d.data, SEALED);
      assert.equal(d.originalLength, 13);
    }
  });

  void test("tolerates an unquoted boundary, different parameter case and a final delimiter without CRLF", () => {
    const body = expectedBody("\t", "--");
    const d = decodeEncryptedBody(
      "Multipart/Encrypted; Protocol=\"application/HTTP-SPNEGO-session-encrypted\"; boundary=\"Encrypted Boundary\"",
      body.subarray(0, body.length - 2),
    );
    assert.deepEqual(d.data, SEALED);
  });

  void test("sealed bytes that contain the boundary text do not cut the payload short", () => {
    const tricky = Buffer.from("xx--Encrypted Boundary--\r\nyy", "latin1");
    const { contentType, body } = encodeEncryptedBody(PROTOCOL, { header: SIGNATURE, data: tricky }, tricky.length);
    assert.deepEqual(decodeEncryptedBody(contentType, body).data, tricky);
  });

  void test("detects a signature length beyond the part", () => {
    const body = expectedBody("\t", "--");
    const at = body.indexOf(Buffer.from([0x10, 0, 0, 0]));
    body.writeUInt32LE(200, at);
    assert.throws(() => decodeEncryptedBody(CT, body), DecryptError);
  });

  void test("detects a plaintext length that differs from OriginalContent Length", () => {
    assert.throws(() => verifyOriginalLength(Buffer.alloc(12), 13), DecryptError);
    assert.throws(() => verifyOriginalLength(Buffer.alloc(14), 13), DecryptError);
    verifyOriginalLength(Buffer.from("<s:Envelope/>"), 13);
  });

  void test("refuses bad framing", () => {
    const good = expectedBody("\t", "--");
    assert.throws(() => decodeEncryptedBody("application/soap+xml;charset=UTF-8", good), ProtocolError);
    assert.throws(() => decodeEncryptedBody('multipart/encrypted;boundary="Encrypted Boundary"', good), ProtocolError);
    const noLength = Buffer.from(good.toString("latin1").replace(";Length=13", ""), "latin1");
    assert.throws(() => decodeEncryptedBody(CT, noLength), ProtocolError);
    const wrongProto = CT.replace("SPNEGO", "Kerberos");
    assert.throws(() => decodeEncryptedBody(wrongProto, good), ProtocolError);
    assert.throws(() => decodeEncryptedBody(CT, good.subarray(10)), ProtocolError);
  });

  void test("isEncryptedContentType", () => {
    assert.equal(isEncryptedContentType(CT), true);
    assert.equal(isEncryptedContentType("application/soap+xml;charset=UTF-8"), false);
    assert.equal(isEncryptedContentType('MULTIPART/ENCRYPTED;protocol="x"'), true);
  });
});
