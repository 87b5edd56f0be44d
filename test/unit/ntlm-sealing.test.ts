import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { DecryptError } from "../../provider/src/errors.js";
import { NegotiateFlags } from "../../provider/src/wire/ntlm/flags.js";
import { NtlmSealing } from "../../provider/src/wire/ntlm/sealing.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

// MS-NLMP 4.2.4: ExportedSessionKey = RandomSessionKey = 55 x 16, NegotiateFlags 0xE2888235 (ESS, KEY_EXCH, 128).
const KEY = Buffer.alloc(16, 0x55);
const FLAGS = 0xe2888235;
const PLAINTEXT = Buffer.from("Plaintext", "utf16le");

const pair = (flags = FLAGS): { client: NtlmSealing; server: NtlmSealing } => ({
  client: new NtlmSealing({ exportedSessionKey: KEY, flags, role: "initiator" }),
  server: new NtlmSealing({ exportedSessionKey: KEY, flags, role: "acceptor" }),
});

describe("MS-NLMP 4.2.4.4 GSS_WrapEx", () => {
  test('"Plaintext", client seq 0: sealed data and signature (MS-NLMP 4.2.4.4)', () => {
    const { client } = pair();
    assert.equal(PLAINTEXT.length, 18);
    const { sealed, signature } = client.seal(PLAINTEXT);
    assert.deepEqual(sealed, hex("54e50165bf1936dc996020c1811b0f06fb5f"));
    assert.deepEqual(signature, hex("01000000 7fb38ec5c55d4976 00000000"));
  });
  test("without KEY_EXCH the checksum is the raw HMAC prefix (MS-NLMP 3.4.4.2; 4.2.4.4 HMAC_MD5 value)", () => {
    const flags = (FLAGS & ~NegotiateFlags.KEY_EXCH) >>> 0;
    const { client } = pair(flags);
    const { sealed, signature } = client.seal(PLAINTEXT);
    assert.deepEqual(sealed, hex("54e50165bf1936dc996020c1811b0f06fb5f"));
    assert.deepEqual(signature, hex("01000000 70352851f2564309 00000000"));
  });
  test("continued handles: client seq 1 and server seq 0 (MS-NLMP 4.2.4, derived from MS-NLMP 3.4.3-3.4.4.2)", () => {
    const { client, server } = pair();
    const m0 = client.seal(PLAINTEXT);
    const m1 = client.seal(PLAINTEXT);
    assert.deepEqual(m1.sealed, hex("64c308e09ea236e7f4232553c94a01e700fa"));
    assert.deepEqual(m1.signature, hex("01000000 25540595 5d31d8c4 01000000"));
    const s0 = server.seal(PLAINTEXT);
    assert.deepEqual(s0.sealed, hex("160871b730ba74e946c453d7465b54278dd0"));
    assert.deepEqual(s0.signature, hex("01000000 b298b847 ce7c5807 00000000"));
    // And each side opens the other's messages, in order.
    assert.deepEqual(server.unseal(m0.signature, m0.sealed), PLAINTEXT);
    assert.deepEqual(server.unseal(m1.signature, m1.sealed), PLAINTEXT);
    assert.deepEqual(client.unseal(s0.signature, s0.sealed), PLAINTEXT);
    assert.equal(client.sendSequence, 2);
    assert.equal(server.receiveSequence, 2);
  });
});

describe("WinRM <s:Envelope/> vector (MS-WSMV 2.2.9.1.1)", () => {
  const ENVELOPE = Buffer.from("<s:Envelope/>", "utf8");
  test("client -> server seq 0", () => {
    const { client } = pair();
    const { sealed, signature } = client.seal(ENVELOPE);
    assert.deepEqual(sealed, hex("38965720b06f3ab0981031eeda"));
    assert.deepEqual(signature, hex("01000000 b41d13116965b03d 00000000"));
  });
  test("server -> client seq 0", () => {
    const { server, client } = pair();
    const { sealed, signature } = server.seal(ENVELOPE);
    assert.deepEqual(sealed, hex("7a7b27f23fcc788547b442f81d"));
    assert.deepEqual(signature, hex("01000000 7d045a5bf225d5e3 00000000"));
    assert.deepEqual(client.unseal(signature, sealed), ENVELOPE);
  });
});

describe("integrity failures are DecryptErrors", () => {
  test("a flipped data byte", () => {
    const { client, server } = pair();
    const m = client.seal(Buffer.from("hello world"));
    m.sealed[3] = (m.sealed[3] as number) ^ 0x01;
    assert.throws(() => server.unseal(m.signature, m.sealed), DecryptError);
  });
  test("a flipped checksum byte", () => {
    const { client, server } = pair();
    const m = client.seal(Buffer.from("hello world"));
    m.signature[5] = (m.signature[5] as number) ^ 0x80;
    assert.throws(() => server.unseal(m.signature, m.sealed), /checksum mismatch/);
  });
  test("a replayed message (sequence number already used)", () => {
    const { client, server } = pair();
    const m = client.seal(Buffer.from("once"));
    assert.deepEqual(server.unseal(m.signature, m.sealed), Buffer.from("once"));
    assert.throws(() => server.unseal(m.signature, m.sealed), DecryptError);
  });
  test("a message sealed in the wrong direction (own keys)", () => {
    const { client } = pair();
    const other = pair().client;
    const m = other.seal(Buffer.from("reflected"));
    assert.throws(() => client.unseal(m.signature, m.sealed), DecryptError);
  });
  test("a signature of the wrong length", () => {
    const { client, server } = pair();
    const m = client.seal(Buffer.from("x"));
    assert.throws(() => server.unseal(m.signature.subarray(0, 15), m.sealed), /16/);
  });
  test("no ESS: refused at construction (NTLMv1 sealing is never negotiated)", () => {
    assert.throws(() => new NtlmSealing({ exportedSessionKey: KEY, flags: FLAGS & ~NegotiateFlags.EXTENDED_SESSIONSECURITY, role: "initiator" }), RangeError);
  });
});
