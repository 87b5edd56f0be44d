/**
 * TLS material for the emulated WinRM HTTPS listener: a throw-away CA and a server certificate it signs, both made at
 * start with @peculiar/x509 on node's WebCrypto. Nothing is written to disk unless the caller does it (main.ts
 * `--ca-out`).
 *
 * Why a CA and not one self-signed certificate: clients are tested the way they are deployed, trusting a CA file
 * (pywinrm `ca_trust_path`, our client's `caPem`) and checking the server name against the SAN.
 *
 * The signature hash of the server certificate decides the RFC 5929 tls-server-end-point hash that NTLM channel
 * binding uses (SHA-256 for MD5/SHA-1/SHA-256 signatures, else the signature's own hash), so it is selectable here to
 * test CBT with other hashes.
 */
import { webcrypto, X509Certificate } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export type SignatureHash = "SHA-256" | "SHA-384" | "SHA-512";

export interface TlsMaterialOptions {
  /** DNS names in the server certificate's SAN; default ["localhost"]. The CN is the first one. */
  dnsNames?: string[];
  /** IP addresses in the SAN; default ["127.0.0.1", "::1"] (clients connect to 127.0.0.1 in tests). */
  ipAddresses?: string[];
  /** Signature hash of both certificates; default SHA-256 (what Windows' self-signed WinRM certificates use). */
  hash?: SignatureHash;
  /** Validity start; default now minus one hour (clock skew between test processes). */
  notBefore?: Date;
}

export interface TlsMaterial {
  /** The CA certificate, PEM: give it to clients as their trust anchor. */
  readonly caPem: string;
  /** The server certificate, PEM. */
  readonly certPem: string;
  /** The server certificate, DER: the input of tls-server-end-point channel bindings (RFC 5929 4.1). */
  readonly certDer: Buffer;
  /** The server's private key, PKCS#8 PEM. */
  readonly keyPem: string;
  /** SHA-1 thumbprint of the server certificate, upper-case hex, as `winrm e winrm/config/listener` prints it. */
  readonly thumbprint: string;
}

function rsaAlgorithm(hash: SignatureHash): webcrypto.RsaHashedKeyGenParams {
  return { name: "RSASSA-PKCS1-v1_5", hash, publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** Make a CA and a server certificate signed by it (RSA 2048, PKCS#1 v1.5, the given hash). */
export async function generateTlsMaterial(opts: TlsMaterialOptions = {}): Promise<TlsMaterial> {
  const hash = opts.hash ?? "SHA-256";
  const dnsNames = opts.dnsNames && opts.dnsNames.length > 0 ? opts.dnsNames : ["localhost"];
  const ipAddresses = opts.ipAddresses ?? ["127.0.0.1", "::1"];
  const notBefore = opts.notBefore ?? new Date(Date.now() - 3600_000);
  const notAfter = new Date(notBefore.getTime() + 2 * 24 * 3600_000);
  const alg = rsaAlgorithm(hash);

  const ca = await createTestCa("WinRM Emulator Test CA", alg, notBefore, notAfter);

  const names: x509.JsonGeneralName[] = [
    ...dnsNames.map((value) => ({ type: "dns" as const, value })),
    ...ipAddresses.map((value) => ({ type: "ip" as const, value })),
  ];
  // Server Authentication (1.3.6.1.5.5.7.3.1): WinRM's HTTPS listener requires it of its certificate.
  const { keys: serverKeys, cert: serverCert } = await issueLeaf(ca, {
    serialNumber: "02",
    subject: `CN=${dnsNames[0]}`,
    extendedKeyUsage: x509.ExtendedKeyUsage.serverAuth,
    names,
    alg,
    notBefore,
    notAfter,
  });

  const keyPkcs8 = await webcrypto.subtle.exportKey("pkcs8", serverKeys.privateKey);
  const certDer = Buffer.from(serverCert.rawData);
  return {
    caPem: ca.cert.toString("pem") + "\n",
    certPem: serverCert.toString("pem") + "\n",
    certDer,
    keyPem: pem("PRIVATE KEY", keyPkcs8),
    thumbprint: new X509Certificate(certDer).fingerprint.replace(/:/g, "").toUpperCase(),
  };
}

export interface TestCa {
  readonly keys: webcrypto.CryptoKeyPair;
  readonly cert: x509.X509Certificate;
}

/** A throw-away CA (BasicConstraints CA with pathLen 0, keyCertSign | cRLSign), named `CN=<name>, O=pulumi-winrm-proxy tests`. */
export async function createTestCa(
  name: string,
  alg: webcrypto.RsaHashedKeyGenParams,
  notBefore: Date,
  notAfter: Date,
): Promise<TestCa> {
  const keys = await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: `CN=${name}, O=pulumi-winrm-proxy tests`,
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { keys, cert };
}

/** A leaf certificate `ca` signs, on a new key: not a CA, digitalSignature | keyEncipherment, one EKU, the SAN `names`. */
export async function issueLeaf(
  ca: TestCa,
  o: {
    serialNumber: string;
    subject: string;
    extendedKeyUsage: string;
    names: x509.JsonGeneralName[];
    alg: webcrypto.RsaHashedKeyGenParams;
    notBefore: Date;
    notAfter: Date;
  },
): Promise<TestCa> {
  const keys = await webcrypto.subtle.generateKey(o.alg, true, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: o.serialNumber,
    subject: o.subject,
    issuer: ca.cert.subject,
    notBefore: o.notBefore,
    notAfter: o.notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: o.alg,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([o.extendedKeyUsage], false),
      new x509.SubjectAlternativeNameExtension(o.names, false),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
    ],
  });
  return { keys, cert };
}
