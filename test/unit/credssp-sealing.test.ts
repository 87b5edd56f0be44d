/**
 * CredSSP message encryption over http:// (MS-WSMV 2.2.9.1.3): the record framing and trailer lengths on vectors,
 * multipart/x-multi-encrypted decoding, and a real client/host pair sealing through their TLS session (round trip,
 * 16 KiB chunk boundaries, the LE32 prefix, tampering).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { CredSSPMechanism } from "../../provider/src/auth/credssp.js";
import { CredSSPRecordSealer, CredSSPSealError } from "../../provider/src/auth/credsspSealer.js";
import { openBody, sealBody } from "../../provider/src/auth/sealedBody.js";
import { DecryptError, LimitExceededError, ProtocolError } from "../../provider/src/errors.js";
import { CredSSPAcceptor, generateTlsMaterial, type TlsMaterial } from "../../provider/src/testing/index.js";
import {
  splitApplicationRecords,
  splitForFraming,
  tlsTrailerLength,
} from "../../provider/src/wire/credsspRecords.js";
import {
  CREDSSP_CHUNK_BYTES,
  CREDSSP_ENCRYPTED_PROTOCOL,
  decodeEncryptedParts,
  encodeMultiEncryptedBody,
} from "../../provider/src/wire/multipart.js";

describe("TLS trailer length (the LE32 before each CredSSP record)", () => {
  test("AEAD suites: the 16-byte tag, whatever the length", () => {
    for (const n of [1, 15, 16, 16384]) {
      assert.equal(tlsTrailerLength(n, "ECDHE-RSA-AES256-GCM-SHA384"), 16);
      assert.equal(tlsTrailerLength(n, "AES128-GCM-SHA256"), 16);
      assert.equal(tlsTrailerLength(n, "ECDHE-RSA-CHACHA20-POLY1305"), 16);
    }
  });
  test("CBC suites: MAC plus padding to the block, padding-length byte included (RFC 5246 6.2.3.2)", () => {
    // SHA (20): 100 + 20 = 120 -> 8 to 128; 108 + 20 = 128 -> a whole block of 16.
    assert.equal(tlsTrailerLength(100, "ECDHE-RSA-AES256-SHA"), 28);
    assert.equal(tlsTrailerLength(108, "ECDHE-RSA-AES256-SHA"), 36);
    // SHA256 (32): 16384 + 32 = 16416 = 16 * 1026 -> 16 more.
    assert.equal(tlsTrailerLength(16384, "AES128-SHA256"), 48);
    // SHA384 (48), 1 byte: 49 -> 15 to 64.
    assert.equal(tlsTrailerLength(1, "ECDHE-RSA-AES256-SHA384"), 63);
    // 3DES, 8-byte blocks: 5 + 20 = 25 -> 7 to 32.
    assert.equal(tlsTrailerLength(5, "DES-CBC3-SHA"), 27);
    // RC4: a stream cipher, the MAC alone.
    assert.equal(tlsTrailerLength(77, "RC4-MD5"), 16);
  });
  test("TLS 1.3: the tag and the inner content type", () => {
    assert.equal(tlsTrailerLength(10, "TLS_AES_256_GCM_SHA384", "TLSv1.3"), 17);
  });
});

describe("TLS record framing of a sealed part", () => {
  const record = (type: number, len: number): Buffer => Buffer.concat([Buffer.from([type, 3, 3, len >> 8, len & 0xff]), Buffer.alloc(len, 0xaa)]);
  test("whole application-data records are split by their own lengths", () => {
    const two = Buffer.concat([record(23, 40), record(23, 3)]);
    assert.deepEqual(splitApplicationRecords(two, 8), [
      { type: 23, start: 0, end: 45 },
      { type: 23, start: 45, end: 53 },
    ]);
  });
  test("anything else is a DecryptError: truncation, other content types, too many, empty, oversize", () => {
    assert.throws(() => splitApplicationRecords(record(23, 40).subarray(0, 30), 8), DecryptError);
    assert.throws(() => splitApplicationRecords(record(22, 40), 8), /type 22/);
    assert.throws(() => splitApplicationRecords(record(21, 2), 8), /type 21/);
    assert.throws(() => splitApplicationRecords(Buffer.concat([record(23, 1), record(23, 1)]), 1), /more than 1/);
    assert.throws(() => splitApplicationRecords(Buffer.alloc(0), 8), /no TLS record/);
    assert.throws(() => splitApplicationRecords(Buffer.from([23, 3, 3, 0x48, 0x01]), 8), /18433 bytes/);
  });
  test("framing puts the trailer length in the LE32 and the whole record after it", () => {
    const r = record(23, 60);
    const body = encodeMultiEncryptedBody(CREDSSP_ENCRYPTED_PROTOCOL, [{ sealed: splitForFraming(r, 16), originalLength: 20 }]).body;
    const marker = Buffer.from("\tContent-Type: application/octet-stream\r\n", "latin1");
    const at = body.indexOf(marker) + marker.length;
    assert.equal(body.readUInt32LE(at), 16);
    assert.ok(body.subarray(at + 4, at + 4 + r.length).equals(r));
    assert.ok(body.subarray(at + 4 + r.length).equals(Buffer.from("--Encrypted Boundary--\r\n", "latin1")));
  });
});

describe("multipart/x-multi-encrypted decoding", () => {
  const sealed = (fill: number, n: number) => ({ header: Buffer.alloc(4, fill), data: Buffer.alloc(n, fill) });
  test("three parts come back in order with their own lengths", () => {
    const enc = encodeMultiEncryptedBody(CREDSSP_ENCRYPTED_PROTOCOL, [
      { sealed: sealed(1, 10), originalLength: 16384 },
      { sealed: sealed(2, 20), originalLength: 16384 },
      { sealed: sealed(3, 30), originalLength: 7 },
    ]);
    assert.match(enc.contentType, /^multipart\/x-multi-encrypted;/);
    const parts = decodeEncryptedParts(enc.contentType, enc.body);
    assert.deepEqual(parts.map((p) => [p.originalLength, p.header.length, p.data.length, p.data[0]]), [
      [16384, 4, 10, 1],
      [16384, 4, 20, 2],
      [7, 4, 30, 3],
    ]);
  });
  test("the boundary text inside sealed bytes does not end a part early", () => {
    const tricky = Buffer.concat([Buffer.from("x--Encrypted Boundaryx", "latin1"), Buffer.alloc(5, 9)]);
    const enc = encodeMultiEncryptedBody(CREDSSP_ENCRYPTED_PROTOCOL, [
      { sealed: { header: Buffer.alloc(0), data: tricky }, originalLength: 1 },
      { sealed: sealed(2, 3), originalLength: 2 },
    ]);
    const parts = decodeEncryptedParts(enc.contentType, enc.body);
    assert.equal(parts.length, 2);
    assert.ok(parts[0]!.data.equals(tricky));
  });
  test("bounded: more parts than allowed, a missing closing delimiter, trailing bytes", () => {
    const many = encodeMultiEncryptedBody(
      CREDSSP_ENCRYPTED_PROTOCOL,
      Array.from({ length: 5 }, () => ({ sealed: sealed(1, 1), originalLength: 1 })),
    );
    assert.throws(() => decodeEncryptedParts(many.contentType, many.body, 4), ProtocolError);
    assert.equal(decodeEncryptedParts(many.contentType, many.body, 5).length, 5);
    const cut = many.body.subarray(0, many.body.length - "--Encrypted Boundary--\r\n".length);
    assert.throws(() => decodeEncryptedParts(many.contentType, cut), DecryptError);
    assert.throws(() => decodeEncryptedParts(many.contentType, Buffer.concat([many.body, Buffer.from("junk")])), ProtocolError);
  });
});

describe("a client and host sealing with their CredSSP TLS session", () => {
  let material: TlsMaterial;
  const opened: Array<{ dispose(): void }> = [];
  before(async () => {
    material = await generateTlsMaterial();
  });
  after(() => opened.forEach((o) => o.dispose()));

  async function pair(tlsCiphers?: string): Promise<{ client: CredSSPMechanism; host: CredSSPAcceptor }> {
    const client = new CredSSPMechanism({ credentials: { username: "vagrant", password: "S3cret!" } });
    const host = new CredSSPAcceptor({
      ntlm: { users: [{ domain: "", user: "vagrant", password: "S3cret!" }], netbiosDomain: "WIN", netbiosComputer: "WIN", dnsComputer: "win", dnsDomain: "win" },
      certPem: material.certPem,
      keyPem: material.keyPem,
      ...(tlsCiphers !== undefined && { tlsCiphers }),
    });
    opened.push(client, host);
    let token: Uint8Array | undefined;
    for (let leg = 0; leg < 10 && !host.complete; leg++) {
      const out = await client.step({ token, channelBindings: undefined });
      const r = await host.step(out!);
      assert.equal(r.failed, undefined);
      token = r.token;
    }
    assert.ok(client.complete && host.complete);
    return { client, host };
  }

  const limits = { maxPlaintext: 1024 * 1024, sender: "the peer" };
  const text = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => String.fromCharCode(0x41 + (i % 26))).join(""), "latin1");

  test("both directions round trip; one part up to 16384 bytes, two from 16385 (the chunk boundary)", async () => {
    const { client, host } = await pair();
    const up = client.recordSealer();
    const down = host.sealer();
    // 40960: the 16384, 16384, 8192 of MS-WSMV 2.2.9.1.3 as pywinrm cuts it.
    for (const n of [1, 100, CREDSSP_CHUNK_BYTES - 1, CREDSSP_CHUNK_BYTES, CREDSSP_CHUNK_BYTES + 1, 40960, 3 * CREDSSP_CHUNK_BYTES + 5]) {
      const plain = text(n);
      const req = await sealBody(up, plain);
      const parts = decodeEncryptedParts(req.contentType, req.body);
      assert.equal(parts.length, Math.ceil(n / CREDSSP_CHUNK_BYTES), `parts for ${n} bytes`);
      assert.equal(req.contentType.startsWith("multipart/x-multi-encrypted;"), n > CREDSSP_CHUNK_BYTES);
      assert.deepEqual(
        parts.map((p) => p.originalLength),
        Array.from({ length: parts.length }, (_, i) => Math.min(CREDSSP_CHUNK_BYTES, n - i * CREDSSP_CHUNK_BYTES)),
      );
      for (const p of parts) {
        // LE32 = the AEAD tag the session negotiated (Node picks an AES-GCM or ChaCha20 suite), then one whole record.
        assert.equal(p.header.length, 16);
        const record = Buffer.concat([p.header, p.data]);
        assert.equal(record[0], 23);
        assert.equal(record.readUInt16BE(3) + 5, record.length);
        assert.ok(record.length > p.originalLength, "sealed, not copied");
        // A needle of 16+ bytes: a shorter one (n = 1, 100 at part ends) turns up in ciphertext by chance.
        if (p.originalLength >= 16) assert.equal(record.indexOf(plain.subarray(0, 32)), -1, "no plaintext in the record");
      }
      assert.ok((await openBody(down, req.contentType, req.body, limits)).plain.equals(plain));
      const res = await sealBody(down, plain);
      assert.ok((await openBody(up, res.contentType, res.body, limits)).plain.equals(plain));
    }
  });

  test("a tampered record is refused with CredSSPSealError, and the session is gone", async () => {
    const { client, host } = await pair();
    const req = await sealBody(client.recordSealer(), text(300));
    const flipped = Buffer.from(req.body);
    const at = flipped.length - 40; // inside the ciphertext of the only record
    flipped[at] = flipped[at]! ^ 0x01;
    await assert.rejects(openBody(host.sealer(), req.contentType, flipped, limits), (e: unknown) => {
      assert.ok(e instanceof CredSSPSealError, String(e));
      assert.equal(e.code, "WINRM_DECRYPT");
      return true;
    });
    const next = await sealBody(client.recordSealer(), text(10));
    await assert.rejects(openBody(host.sealer(), next.contentType, next.body, limits), CredSSPSealError);
  });

  test("a replayed record, a wrong OriginalContent Length and an oversize declaration are refused", async () => {
    const { client, host } = await pair();
    const req = await sealBody(client.recordSealer(), text(50));
    await openBody(host.sealer(), req.contentType, req.body, limits);
    // The same record again: its sequence number is past, the MAC (AEAD nonce) fails.
    await assert.rejects(openBody(host.sealer(), req.contentType, req.body, limits), CredSSPSealError);

    const p2 = await pair();
    const lying = await sealBody(p2.client.recordSealer(), text(50));
    const body = Buffer.from(lying.body.toString("latin1").replace("Length=50", "Length=49"), "latin1");
    await assert.rejects(openBody(p2.host.sealer(), lying.contentType, body, limits), CredSSPSealError);

    const p3 = await pair();
    const big = await sealBody(p3.client.recordSealer(), text(CREDSSP_CHUNK_BYTES * 2));
    await assert.rejects(openBody(p3.host.sealer(), big.contentType, big.body, { maxPlaintext: CREDSSP_CHUNK_BYTES, sender: "the peer" }), LimitExceededError);
  });

  test("a part announcing more plaintext than its records hold is refused as soon as TLS is idle, not at the wait's bound", { timeout: 30_000 }, async () => {
    const { client, host } = await pair();
    const res = await sealBody(host.sealer(), text(50));
    const body = Buffer.from(res.body.toString("latin1").replace("Length=50", "Length=51"), "latin1");
    // A wait bound far past the test's timeout: only the idle check can end this in time.
    const patient = new CredSSPRecordSealer(client.session, { unwrapTimeoutMs: 600_000 });
    await assert.rejects(openBody(patient, res.contentType, body, limits), /hold 50 plaintext bytes, the part announces 51$/);
  });

  test("a CBC suite (as older Schannel picks): LE32 = MAC + padding, IV in the record, round trip both ways", async () => {
    const { client, host } = await pair("ECDHE-RSA-AES256-SHA384");
    for (const n of [1, 15, 16, 17, 100, CREDSSP_CHUNK_BYTES, CREDSSP_CHUNK_BYTES + 1]) {
      const plain = text(n);
      const req = await sealBody(client.recordSealer(), plain);
      for (const p of decodeEncryptedParts(req.contentType, req.body)) {
        const trailer = 48 + (16 - ((p.originalLength + 48) % 16));
        assert.equal(p.header.length, trailer, `LE32 for ${p.originalLength} bytes`);
        // RFC 5246 6.2.3.2: header 5, explicit IV 16, the data, MAC and padding.
        assert.equal(p.header.length + p.data.length, 5 + 16 + p.originalLength + trailer);
      }
      assert.ok((await openBody(host.sealer(), req.contentType, req.body, limits)).plain.equals(plain));
      const res = await sealBody(host.sealer(), plain);
      assert.ok((await openBody(client.recordSealer(), res.contentType, res.body, limits)).plain.equals(plain));
    }
  });

  test("the host holds the LE32 to the trailer length: a client writing another one is refused", async () => {
    const { client, host } = await pair();
    const req = await sealBody(client.recordSealer(), text(64));
    const marker = Buffer.from("\tContent-Type: application/octet-stream\r\n", "latin1");
    const at = req.body.indexOf(marker) + marker.length;
    const wrong = Buffer.from(req.body);
    wrong.writeUInt32LE(0, at); // the record itself is intact: only the announced trailer differs
    await assert.rejects(openBody(host.sealer(), req.contentType, wrong, limits), /length prefix is 0.*trailer of 16/);
  });

  test("before completion there is nothing to seal with", () => {
    const c = new CredSSPMechanism({ credentials: { username: "u", password: "p" } });
    opened.push(c);
    assert.throws(() => c.recordSealer(), /not complete/);
    assert.equal(c.canSeal, true);
  });
});
