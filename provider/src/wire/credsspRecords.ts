/**
 * The TLS records that seal WinRM messages under CredSSP over http:// (MS-WSMV 2.2.9.1.3,
 * `application/HTTP-CredSSP-session-encrypted`): pure framing and sizes, no I/O.
 *
 * Each sealed part holds one TLS application-data record (RFC 5246 6.2: type 23, version, 16-bit length, the
 * protected fragment) of at most 16 KiB of plaintext. The LE32 in front of it in the octet-stream part is not the
 * record's length but the length of the record's trailer as SSPI's EncryptMessage reports it (SecPkgContext_StreamSizes
 * cbTrailer: the AEAD tag, or the MAC plus block padding); the whole record follows it. pywinrm and pyspnego compute
 * the same number from the cipher suite, since OpenSSL has no such query; a reader needs none of it, because a record
 * frames itself.
 */
import { DecryptError } from "../errors.js";

/** RFC 5246 6.2.1 ContentType application_data. */
export const TLS_APPLICATION_DATA = 23;
/** RFC 5246 6.2.1: a record header is type (1), version (2), length (2). */
export const TLS_RECORD_HEADER_BYTES = 5;
/** RFC 5246 6.2.3: TLSCiphertext.length MUST NOT exceed 2^14 + 2048. */
export const MAX_TLS_CIPHERTEXT = 16384 + 2048;

/**
 * The trailer length of a TLS 1.2 record sealing `plaintextLength` bytes with `cipherName` (an OpenSSL suite name,
 * e.g. "ECDHE-RSA-AES256-GCM-SHA384"), as Windows announces it in the LE32 before the record:
 * - AEAD (AES-GCM, AES-CCM, ChaCha20-Poly1305): the 16-byte tag (RFC 5288 3, RFC 7905 2);
 * - CBC (RFC 5246 6.2.3.2): the MAC (MD5 16, SHA 20, SHA256 32, SHA384 48) plus the padding to the block (8 for
 *   3DES, else 16), the padding-length byte included, so 1 to a whole block;
 * - RC4: the MAC alone.
 * TLS 1.3 (RFC 8446 5.2) adds the inner content-type byte to the 16-byte tag: 17.
 */
export function tlsTrailerLength(plaintextLength: number, cipherName: string, protocol = "TLSv1.2"): number {
  if (!Number.isInteger(plaintextLength) || plaintextLength < 0) throw new RangeError(`invalid length ${plaintextLength}`);
  const name = cipherName.toUpperCase();
  const aead = name.includes("GCM") || name.includes("CCM") || name.includes("POLY1305");
  if (protocol === "TLSv1.3") return 17;
  if (aead) return 16;
  const dash = name.lastIndexOf("-");
  const mac = name.slice(dash + 1);
  const macBytes = mac === "MD5" ? 16 : mac === "SHA" ? 20 : mac === "SHA256" ? 32 : mac === "SHA384" ? 48 : 0;
  const prePad = plaintextLength + macBytes;
  if (name.includes("RC4")) return macBytes;
  const block = name.includes("DES") ? 8 : 16;
  return macBytes + (block - (prePad % block));
}

/** One record's place in a buffer. */
export interface TlsRecordSpan {
  readonly type: number;
  readonly start: number;
  readonly end: number;
}

/**
 * Split `bytes` into whole TLS records, refusing anything that is not a sequence of application-data records of a
 * legal size: a sealed WinRM part carries nothing else. At most `maxRecords`. Throws DecryptError.
 */
export function splitApplicationRecords(bytes: Uint8Array, maxRecords: number): TlsRecordSpan[] {
  const out: TlsRecordSpan[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (out.length >= maxRecords) throw new DecryptError(`CredSSP sealed part: more than ${maxRecords} TLS records`);
    if (bytes.length - at < TLS_RECORD_HEADER_BYTES) throw new DecryptError("CredSSP sealed part: a truncated TLS record header");
    const type = bytes[at]!;
    const major = bytes[at + 1]!;
    const length = (bytes[at + 3]! << 8) | bytes[at + 4]!;
    if (type !== TLS_APPLICATION_DATA) throw new DecryptError(`CredSSP sealed part: a TLS record of type ${type}, not application data (23)`);
    if (major !== 3) throw new DecryptError(`CredSSP sealed part: a TLS record of version ${major}.${bytes[at + 2]!}`);
    if (length === 0 || length > MAX_TLS_CIPHERTEXT) throw new DecryptError(`CredSSP sealed part: a TLS record of ${length} bytes`);
    const end = at + TLS_RECORD_HEADER_BYTES + length;
    if (end > bytes.length) throw new DecryptError(`CredSSP sealed part: a TLS record of ${length} bytes with ${bytes.length - at - TLS_RECORD_HEADER_BYTES} present`);
    out.push({ type, start: at, end });
    at = end;
  }
  if (out.length === 0) throw new DecryptError("CredSSP sealed part: no TLS record");
  return out;
}

/**
 * The header/data split of one record for multipart framing (wire/multipart.ts writes LE32(header length), header,
 * data): the header is the record's first `trailer` bytes, so the LE32 carries the trailer length and the record
 * follows whole, as Windows and pyspnego write it.
 */
export function splitForFraming(record: Uint8Array, trailer: number): { header: Uint8Array; data: Uint8Array } {
  if (trailer < 0 || trailer > record.length) throw new RangeError(`trailer ${trailer} outside a record of ${record.length} bytes`);
  return { header: record.subarray(0, trailer), data: record.subarray(trailer) };
}
