import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CREDSSP_CHUNK_BYTES,
  CREDSSP_ENCRYPTED_PROTOCOL,
  credsspChunks,
  encodeEncryptedBody,
  encodeMultiEncryptedBody,
} from "../../provider/src/wire/multipart.js";

test("CredSSP chunks are 16 KiB of plaintext each, the last shorter", () => {
  const plain = new Uint8Array(CREDSSP_CHUNK_BYTES * 2 + 5);
  assert.deepEqual(credsspChunks(plain).map((c) => c.length), [16384, 16384, 5]);
  assert.deepEqual(credsspChunks(new Uint8Array(16384)).map((c) => c.length), [16384]);
  assert.deepEqual(credsspChunks(new Uint8Array(0)).map((c) => c.length), [0]);
});

test("multipart/x-multi-encrypted: part pairs with their own Length, one closing delimiter, byte exact", () => {
  const parts = [
    { sealed: { header: Buffer.from("H1"), data: Buffer.from("DATA1") }, originalLength: 16384 },
    { sealed: { header: Buffer.from("H2"), data: Buffer.from("D2") }, originalLength: 7 },
  ];
  const { contentType, body } = encodeMultiEncryptedBody(CREDSSP_ENCRYPTED_PROTOCOL, parts);
  assert.equal(contentType, 'multipart/x-multi-encrypted;protocol="application/HTTP-CredSSP-session-encrypted";boundary="Encrypted Boundary"');
  const pair = (len: number, h: string, d: string) =>
    "--Encrypted Boundary\r\n\tContent-Type: application/HTTP-CredSSP-session-encrypted\r\n" +
    `\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=${len}\r\n` +
    "--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n" +
    `${String.fromCharCode(h.length)}\0\0\0${h}${d}`;
  assert.equal(body.toString("latin1"), pair(16384, "H1", "DATA1") + pair(7, "H2", "D2") + "--Encrypted Boundary--\r\n");
});

test("one part is plain multipart/encrypted, identical to encodeEncryptedBody", () => {
  const sealed = { header: Buffer.from([1, 2, 3]), data: Buffer.from("xyz") };
  const one = encodeMultiEncryptedBody(CREDSSP_ENCRYPTED_PROTOCOL, [{ sealed, originalLength: 3 }]);
  const ref = encodeEncryptedBody(CREDSSP_ENCRYPTED_PROTOCOL, sealed, 3);
  assert.equal(one.contentType, ref.contentType);
  assert.deepEqual(one.body, ref.body);
  assert.throws(() => encodeMultiEncryptedBody(CREDSSP_ENCRYPTED_PROTOCOL, []), RangeError);
});
