/**
 * Client certificates for the emulated host's certificate authentication (WS-Man https/mutual), made at test time
 * with @peculiar/x509 the way provider/src/testing/tls.ts makes the listener's: a throw-away client CA and user certificates
 * it signs, each with the Client Authentication EKU and the user's UPN in the SAN (otherName 1.3.6.1.4.1.311.20.2.3),
 * which is what winrm/config/service/certmapping's Subject matches on Windows.
 */
import { createPrivateKey, webcrypto, X509Certificate } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { createTestCa, issueLeaf } from "./tls.js";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG: webcrypto.RsaHashedKeyGenParams = {
  name: "RSASSA-PKCS1-v1_5",
  hash: "SHA-256",
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};

export interface ClientCa {
  readonly caPem: string;
  /** SHA-1 thumbprint of the CA certificate, upper-case hex: the Issuer of a certmapping entry on Windows. */
  readonly thumbprint: string;
  /** Issue a client certificate for `upn`; `passphrase` encrypts the key (PKCS#8, AES-256-CBC). */
  issue(upn: string, opts?: { passphrase?: string }): Promise<ClientCertificate>;
}

export interface ClientCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

export async function generateClientCa(name = "WinRM Emulator Client CA"): Promise<ClientCa> {
  const notBefore = new Date(Date.now() - 3600_000);
  const notAfter = new Date(notBefore.getTime() + 2 * 24 * 3600_000);
  const ca = await createTestCa(name, ALG, notBefore, notAfter);
  let serial = 16;
  const caPem = ca.cert.toString("pem") + "\n";
  return {
    caPem,
    thumbprint: new X509Certificate(caPem).fingerprint.replaceAll(":", "").toUpperCase(),
    async issue(upn, opts = {}) {
      // Client Authentication (1.3.6.1.5.5.7.3.2): WinRM requires it of a mapped certificate.
      const { keys, cert } = await issueLeaf(ca, {
        serialNumber: (serial++).toString(16),
        subject: `CN=${upn.split("@")[0] ?? upn}`,
        extendedKeyUsage: x509.ExtendedKeyUsage.clientAuth,
        names: [{ type: "upn", value: upn }],
        alg: ALG,
        notBefore,
        notAfter,
      });
      const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
      const key = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
      const keyPem =
        opts.passphrase !== undefined
          ? key.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: opts.passphrase }).toString()
          : key.export({ type: "pkcs8", format: "pem" }).toString();
      return { certPem: cert.toString("pem") + "\n", keyPem };
    },
  };
}

/** The UPNs in a certificate's SAN (otherName 1.3.6.1.4.1.311.20.2.3), read with @peculiar/x509. */
export function certificateUpns(der: Buffer): string[] {
  const cert = new x509.X509Certificate(der);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  return (san?.names.items ?? []).filter((n) => n.type === "upn").map((n) => n.value);
}
