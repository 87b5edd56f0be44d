/**
 * TLS channel bindings for NTLM/Kerberos over HTTPS (Extended Protection, CbtHardeningLevel):
 * RFC 5929 4.1 "tls-server-end-point" = "tls-server-end-point:" || H(server certificate DER), where H is the hash of
 * the certificate's signatureAlgorithm, except that MD5 and SHA-1 are replaced by SHA-256. NTLM carries
 * MD5(gss_channel_bindings_struct) in MsvAvChannelBindings (MS-NLMP 2.2.2.1; RFC 2744 3.11 for the struct).
 *
 * Node 20's X509Certificate does not expose the signature algorithm, so the OID is read from the DER here.
 */
import { createHash } from "node:crypto";
import type { ChannelBindings } from "../auth/mechanism.js";
import { ProtocolError } from "../errors.js";

const PREFIX = Buffer.from("tls-server-end-point:", "ascii");

/** Signature algorithm OID -> hash used for tls-server-end-point (MD5/SHA-1 already mapped to SHA-256, RFC 5929 4.1). */
const SIGNATURE_HASH: Record<string, string> = {
  "1.2.840.113549.1.1.4": "sha256", // md5WithRSAEncryption
  "1.2.840.113549.1.1.5": "sha256", // sha1WithRSAEncryption
  "1.3.14.3.2.29": "sha256", // sha1WithRSASignature (OIW)
  "1.2.840.113549.1.1.11": "sha256", // sha256WithRSAEncryption
  "1.2.840.113549.1.1.12": "sha384",
  "1.2.840.113549.1.1.13": "sha512",
  "1.2.840.113549.1.1.14": "sha224",
  "1.2.840.10045.4.1": "sha256", // ecdsa-with-SHA1
  "1.2.840.10045.4.3.1": "sha224",
  "1.2.840.10045.4.3.2": "sha256",
  "1.2.840.10045.4.3.3": "sha384",
  "1.2.840.10045.4.3.4": "sha512",
  "1.2.840.10040.4.3": "sha256", // dsa-with-sha1
  "2.16.840.1.101.3.4.3.1": "sha224", // dsa-with-sha224
  "2.16.840.1.101.3.4.3.2": "sha256", // dsa-with-sha256
};

/** Digest algorithm OIDs (inside RSASSA-PSS parameters). */
const DIGEST: Record<string, string> = {
  "1.3.14.3.2.26": "sha256", // SHA-1 -> SHA-256 (RFC 5929 4.1)
  "1.2.840.113549.2.5": "sha256", // MD5 -> SHA-256
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
  "2.16.840.1.101.3.4.2.4": "sha224",
};

const RSASSA_PSS = "1.2.840.113549.1.1.10";

interface Tlv {
  tag: number;
  /** Offset of the content. */
  start: number;
  /** Offset just past the content. */
  end: number;
}

function readTlv(der: Buffer, offset: number, limit: number): Tlv {
  if (offset + 2 > limit) throw new ProtocolError("certificate DER is truncated");
  const tag = der[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new ProtocolError("certificate DER uses an unsupported high tag number");
  let len = der[offset + 1] as number;
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > limit) throw new ProtocolError("certificate DER has an invalid length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (der[p + i] as number);
    p += n;
  }
  if (p + len > limit) throw new ProtocolError("certificate DER element runs past its container");
  return { tag, start: p, end: p + len };
}

function decodeOid(der: Buffer, t: Tlv): string {
  if (t.tag !== 0x06 || t.end <= t.start) throw new ProtocolError("certificate DER: expected an OBJECT IDENTIFIER");
  const parts: number[] = [];
  let value = 0;
  for (let i = t.start; i < t.end; i++) {
    const b = der[i] as number;
    value = value * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        parts.push(first, value - first * 40);
      } else parts.push(value);
      value = 0;
    }
  }
  return parts.join(".");
}

/** Children of a constructed element. */
function children(der: Buffer, t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let p = t.start;
  while (p < t.end) {
    const c = readTlv(der, p, t.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

/** The OID of Certificate.signatureAlgorithm (RFC 5280 4.1.1.2), and for RSASSA-PSS the OID of its hash (RFC 4055). */
export function certificateSignatureAlgorithm(certDer: Uint8Array): { oid: string; pssHashOid?: string } {
  const der = Buffer.from(certDer.buffer, certDer.byteOffset, certDer.byteLength);
  const cert = readTlv(der, 0, der.length);
  if (cert.tag !== 0x30) throw new ProtocolError("certificate DER: expected a SEQUENCE");
  const [, algId] = children(der, cert);
  if (!algId || algId.tag !== 0x30) throw new ProtocolError("certificate DER: no signatureAlgorithm");
  const [oidTlv, params] = children(der, algId);
  if (!oidTlv) throw new ProtocolError("certificate DER: empty signatureAlgorithm");
  const oid = decodeOid(der, oidTlv);
  if (oid !== RSASSA_PSS || !params || params.tag !== 0x30) return { oid };
  // RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0] EXPLICIT AlgorithmIdentifier DEFAULT sha1, ... }
  const hashCtx = children(der, params).find((c) => c.tag === 0xa0);
  if (!hashCtx) return { oid };
  const [hashAlg] = children(der, hashCtx);
  const [hashOid] = hashAlg && hashAlg.tag === 0x30 ? children(der, hashAlg) : [];
  return hashOid ? { oid, pssHashOid: decodeOid(der, hashOid) } : { oid };
}

/** The hash RFC 5929 4.1 prescribes for this certificate. */
export function endPointHashAlgorithm(certDer: Uint8Array): string {
  const { oid, pssHashOid } = certificateSignatureAlgorithm(certDer);
  if (oid === RSASSA_PSS) return (pssHashOid && DIGEST[pssHashOid]) ?? "sha256"; // PSS default hash is SHA-1 -> SHA-256
  // Algorithms without a single hash (Ed25519, Ed448) are undefined in RFC 5929; SHA-256 is what other clients
  // (pywinrm, pyspnego) fall back to.
  return SIGNATURE_HASH[oid] ?? "sha256";
}

/** RFC 5929 tls-server-end-point channel bindings of a server certificate (DER). */
export function tlsServerEndPointBindings(certDer: Uint8Array): ChannelBindings {
  const hash = createHash(endPointHashAlgorithm(certDer)).update(certDer).digest();
  return { applicationData: Buffer.concat([PREFIX, hash]) };
}

/**
 * MD5 of gss_channel_bindings_struct (RFC 2744 3.11; MS-NLMP 2.2.2.1 MsvAvChannelBindings):
 * initiator_addrtype, initiator_address length, acceptor_addrtype, acceptor_address length (all 0) | LE32 app length |
 * application data. 16 zero bytes when there are no bindings (plain HTTP).
 */
export function channelBindingsMd5(cb: ChannelBindings | undefined): Buffer {
  if (!cb) return Buffer.alloc(16);
  const head = Buffer.alloc(20);
  head.writeUInt32LE(cb.applicationData.length, 16);
  return createHash("md5").update(head).update(cb.applicationData).digest();
}
