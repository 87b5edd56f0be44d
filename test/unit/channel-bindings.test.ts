import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { ProtocolError } from "../../provider/src/errors.js";
import {
  certificateSignatureAlgorithm,
  channelBindingsMd5,
  endPointHashAlgorithm,
  tlsServerEndPointBindings,
} from "../../provider/src/wire/channelBindings.js";

x509.cryptoProvider.set(webcrypto);

async function selfSigned(keyAlg: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams | webcrypto.Algorithm, signingAlgorithm: webcrypto.Algorithm | webcrypto.RsaPssParams | webcrypto.EcdsaParams): Promise<Buffer> {
  const keys = (await webcrypto.subtle.generateKey(keyAlg, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=winrm.example.test",
    notBefore: new Date("2020-01-01T00:00:00Z"),
    notAfter: new Date("2040-01-01T00:00:00Z"),
    signingAlgorithm,
    keys,
  });
  return Buffer.from(cert.rawData);
}

const rsa = (hash: string, name = "RSASSA-PKCS1-v1_5"): webcrypto.RsaHashedKeyGenParams => ({
  name,
  modulusLength: 1024,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash,
});

describe("channel binding hash (MS-NLMP 2.2.2.1 MsvAvChannelBindings, RFC 2744 3.11)", () => {
  test("RFC 5929 4.1 vector: tls-server-end-point + SHA-256('') -> MD5 cf763932...", () => {
    const appData = Buffer.concat([Buffer.from("tls-server-end-point:"), createHash("sha256").update("").digest()]);
    assert.equal(appData.length, 53);
    assert.equal(channelBindingsMd5({ applicationData: appData }).toString("hex"), "cf763932e9d2616ab952b63b584204e3");
  });
  test("no bindings = 16 zero bytes", () => {
    assert.deepEqual(channelBindingsMd5(undefined), Buffer.alloc(16));
  });
});

describe("RFC 5929 4.1 tls-server-end-point", () => {
  const cases: { label: string; keyAlg: Parameters<typeof selfSigned>[0]; sign: Parameters<typeof selfSigned>[1]; oid: string; hash: string }[] = [
    { label: "sha1WithRSA -> SHA-256", keyAlg: rsa("SHA-1"), sign: { name: "RSASSA-PKCS1-v1_5" }, oid: "1.2.840.113549.1.1.5", hash: "sha256" },
    { label: "sha256WithRSA -> SHA-256", keyAlg: rsa("SHA-256"), sign: { name: "RSASSA-PKCS1-v1_5" }, oid: "1.2.840.113549.1.1.11", hash: "sha256" },
    { label: "sha512WithRSA -> SHA-512", keyAlg: rsa("SHA-512"), sign: { name: "RSASSA-PKCS1-v1_5" }, oid: "1.2.840.113549.1.1.13", hash: "sha512" },
    { label: "ecdsa-with-SHA384 -> SHA-384", keyAlg: { name: "ECDSA", namedCurve: "P-384" }, sign: { name: "ECDSA", hash: "SHA-384" }, oid: "1.2.840.10045.4.3.3", hash: "sha384" },
    { label: "RSASSA-PSS with SHA-384 -> SHA-384 (hash from the PSS parameters)", keyAlg: rsa("SHA-384", "RSA-PSS"), sign: { name: "RSA-PSS", saltLength: 48 }, oid: "1.2.840.113549.1.1.10", hash: "sha384" },
    { label: "Ed25519 (no hash in RFC 5929) -> SHA-256 fallback", keyAlg: { name: "Ed25519" }, sign: { name: "Ed25519" }, oid: "1.3.101.112", hash: "sha256" },
  ];
  for (const c of cases) {
    test(c.label, async () => {
      const der = await selfSigned(c.keyAlg, c.sign);
      assert.equal(certificateSignatureAlgorithm(der).oid, c.oid);
      assert.equal(endPointHashAlgorithm(der), c.hash);
      const cb = tlsServerEndPointBindings(der);
      const expected = Buffer.concat([Buffer.from("tls-server-end-point:"), createHash(c.hash).update(der).digest()]);
      assert.deepEqual(Buffer.from(cb.applicationData), expected);
    });
  }
  test("garbage is a ProtocolError, not a crash", () => {
    assert.throws(() => tlsServerEndPointBindings(Buffer.from("not a certificate")), ProtocolError);
    assert.throws(() => tlsServerEndPointBindings(Buffer.from([0x30, 0x82, 0xff, 0xff, 0x30])), ProtocolError);
  });
});
