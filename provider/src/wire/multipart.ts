/**
 * multipart/encrypted framing of sealed WinRM messages (MS-WSMV 2.2.9.1.1-2.2.9.1.3; byte layout in MS-WSMV 2.2.9.1).
 *
 *   Content-Type: multipart/encrypted;protocol="<protocol>";boundary="Encrypted Boundary"
 *
 *   --Encrypted Boundary\r\n
 *   \tContent-Type: <protocol>\r\n
 *   \tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=<plaintext length>\r\n
 *   --Encrypted Boundary\r\n
 *   \tContent-Type: application/octet-stream\r\n
 *   <LE32 header length><header><sealed data>--Encrypted Boundary--\r\n
 *
 * No blank line after the part headers and no CRLF between the binary and the closing delimiter. We write the TABs
 * (Windows and pywinrm do); we read parts with or without them (WinRb and OpenWEC write none) and a final delimiter
 * with or without the trailing "--".
 */

import { DecryptError, ProtocolError } from "../errors.js";

export const ENCRYPTED_BOUNDARY = "Encrypted Boundary";
export const DEFAULT_ORIGINAL_TYPE = "application/soap+xml;charset=UTF-8";

/** Bytes of the two parts' delimiter and header lines read as text; the sealed bytes follow them (about 300 in all). */
const MAX_PART_HEADS = 16 * 1024;

export interface DecodedEncryptedBody {
  protocol: string;
  /** A view into the decoded body (not a copy). */
  header: Buffer;
  /** A view into the decoded body (not a copy): an unwrap that decrypts in place overwrites the body. */
  data: Buffer;
  originalLength: number;
  originalType: string;
}

export function encodeEncryptedBody(
  protocol: string,
  sealed: { header: Uint8Array; data: Uint8Array },
  originalLength: number,
  originalType: string = DEFAULT_ORIGINAL_TYPE,
): { contentType: string; body: Buffer } {
  if (!Number.isInteger(originalLength) || originalLength < 0) throw new RangeError(`invalid length ${originalLength}`);
  const delimiter = `--${ENCRYPTED_BOUNDARY}\r\n`;
  const head =
    delimiter +
    `\tContent-Type: ${protocol}\r\n` +
    `\tOriginalContent: type=${originalType};Length=${originalLength}\r\n` +
    delimiter +
    `\tContent-Type: application/octet-stream\r\n`;
  const len = Buffer.alloc(4);
  len.writeUInt32LE(sealed.header.length, 0);
  const body = Buffer.concat([
    Buffer.from(head, "latin1"),
    len,
    sealed.header,
    sealed.data,
    Buffer.from(`--${ENCRYPTED_BOUNDARY}--\r\n`, "latin1"),
  ]);
  return { contentType: `multipart/encrypted;protocol="${protocol}";boundary="${ENCRYPTED_BOUNDARY}"`, body };
}

/** Parameters of a Content-Type value (RFC 2045 5.1: case-insensitive names, values quoted or tokens). */
function contentTypeParams(ct: string): { type: string; params: Map<string, string> } {
  const [type = "", ...rest] = splitParams(ct);
  const params = new Map<string, string>();
  for (const p of rest) {
    const eq = p.indexOf("=");
    if (eq < 0) continue;
    let v = p.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    params.set(p.slice(0, eq).trim().toLowerCase(), v);
  }
  return { type: type.trim().toLowerCase(), params };
}

/** Split on `;` outside double quotes. */
function splitParams(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (const c of s) {
    if (c === '"') quoted = !quoted;
    if (c === ";" && !quoted) {
      out.push(cur);
      cur = "";
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

/**
 * Whether a response/request Content-Type is an encrypted WinRM body. A plain application/soap+xml passes through
 * (OMI over HTTPS answers that way). multipart/x-multi-encrypted (CredSSP > 16 KiB) counts too: decodeEncryptedParts
 * reads it.
 */
export function isEncryptedContentType(ct: string): boolean {
  const t = contentTypeParams(ct).type;
  return t === "multipart/encrypted" || t === "multipart/x-multi-encrypted";
}

function isAsciiLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isNameChar(c: number): boolean {
  return isAsciiLetter(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d;
}

/**
 * One header line at `pos`: `[blanks]Name[blanks]:[blanks]value` ended by CRLF or LF. Returns undefined when the text
 * at `pos` is not such a line. A scan, not a regular expression: the line is the peer's, and overlapping blank runs
 * before a missing line end made the expression quadratic.
 */
function readHeaderLine(s: string, pos: number): { name: string; value: string; end: number } | undefined {
  const n = s.length;
  let i = pos;
  while (i < n && (s.charCodeAt(i) === 0x20 || s.charCodeAt(i) === 0x09)) i++;
  const nameStart = i;
  if (i >= n || !isAsciiLetter(s.charCodeAt(i))) return undefined;
  while (i < n && isNameChar(s.charCodeAt(i))) i++;
  const nameEnd = i;
  while (i < n && (s.charCodeAt(i) === 0x20 || s.charCodeAt(i) === 0x09)) i++;
  if (s.charCodeAt(i) !== 0x3a) return undefined;
  const valueStart = i + 1;
  let j = valueStart;
  while (j < n && s.charCodeAt(j) !== 0x0d && s.charCodeAt(j) !== 0x0a) j++;
  let end: number;
  if (s.charCodeAt(j) === 0x0a) end = j + 1;
  else if (s.charCodeAt(j) === 0x0d && s.charCodeAt(j + 1) === 0x0a) end = j + 2;
  else return undefined;
  return { name: s.slice(nameStart, nameEnd), value: s.slice(valueStart, j).trim(), end };
}

/** Header lines at `pos` (each optionally indented), up to where the next line is not a header. */
function readHeaderLines(s: string, pos: number): { headers: Map<string, string>; end: number } {
  const headers = new Map<string, string>();
  for (;;) {
    const line = readHeaderLine(s, pos);
    if (line === undefined) break;
    headers.set(line.name.toLowerCase(), line.value);
    pos = line.end;
  }
  return { headers, end: pos };
}

/** The offset after the line break (CRLF or bare LF) that ends a boundary delimiter line at `pos`. */
function afterDelimiterLine(s: string, pos: number): number {
  if (s.startsWith("\r\n", pos)) return pos + 2;
  if (s[pos] === "\n") return pos + 1;
  throw new ProtocolError("malformed boundary delimiter line in encrypted body");
}

/** The protocol and boundary of an encrypted body's Content-Type, checked. */
function encryptedFraming(ct: { params: Map<string, string> }): { protocol: string; boundary: string } {
  const protocol = ct.params.get("protocol");
  if (!protocol) throw new ProtocolError("multipart/encrypted Content-Type without a protocol parameter");
  const boundary = ct.params.get("boundary") ?? ENCRYPTED_BOUNDARY;
  // RFC 2046 5.1.1: 1 to 70 characters. A longer one (the peer's) would make the delimiter searches below costly.
  if (boundary.length === 0 || boundary.length > 70) {
    throw new ProtocolError(`multipart/encrypted boundary of ${boundary.length} characters (RFC 2046 allows 1 to 70)`);
  }
  return { protocol, boundary };
}

/**
 * One sealed message's two parts starting with the delimiter at `pos`: the protocol part with OriginalContent, then
 * the octet-stream part up to `binEndOf(binStart)` (the offset of the delimiter that ends it).
 */
function readPartPair(
  s: string,
  buf: Buffer,
  pos: number,
  delim: string,
  protocol: string,
  binEndOf: (binStart: number) => number,
): DecodedEncryptedBody & { binEnd: number } {
  // Part 1: the protocol part with OriginalContent.
  if (!s.startsWith(delim, pos)) throw new ProtocolError("encrypted body does not start with the boundary delimiter");
  const p1 = readHeaderLines(s, afterDelimiterLine(s, pos + delim.length));
  const partType = p1.headers.get("content-type");
  if (partType !== undefined && partType.toLowerCase() !== protocol.toLowerCase()) {
    throw new ProtocolError(`encrypted body part protocol "${partType}" does not match Content-Type protocol "${protocol}"`);
  }
  const original = p1.headers.get("originalcontent");
  if (original === undefined) throw new ProtocolError("encrypted body without an OriginalContent header");
  const oc = contentTypeParams(original);
  const lengthParam = [...oc.params.entries()].find(([k]) => k === "length")?.[1];
  if (lengthParam === undefined || !/^\d{1,15}$/.test(lengthParam)) {
    throw new ProtocolError(`OriginalContent without a valid Length: "${original}"`);
  }
  const originalLength = Number(lengthParam);
  // OriginalContent: type=<media type with its own parameters>;Length=N -> keep everything but Length.
  const typeValue = splitParams(original)
    .map((p) => p.trim())
    .filter((p) => p !== "" && !/^length\s*=/i.test(p));
  const originalType = typeValue.join(";").replace(/^type\s*=\s*/i, "");

  // Part 2: the octet-stream part.
  if (!s.startsWith(delim, p1.end)) throw new ProtocolError("encrypted body: second part delimiter missing");
  const p2 = readHeaderLines(s, afterDelimiterLine(s, p1.end + delim.length));
  const p2type = p2.headers.get("content-type");
  if (p2type === undefined || p2type.toLowerCase() !== "application/octet-stream") {
    throw new ProtocolError("encrypted body: second part is not application/octet-stream");
  }
  const binStart = p2.end;
  if (binStart + 4 > s.length && s.length < buf.length) {
    throw new ProtocolError(`encrypted body: part headers longer than ${MAX_PART_HEADS} bytes`);
  }
  const binEnd = binEndOf(binStart);
  if (binEnd < binStart + 4) throw new DecryptError("encrypted body: the octet-stream part is truncated");
  const headerLength = buf.readUInt32LE(binStart);
  const headerEnd = binStart + 4 + headerLength;
  if (headerEnd > binEnd) {
    throw new DecryptError(
      `encrypted body: signature length ${headerLength} exceeds the ${binEnd - binStart - 4} bytes of the part`,
    );
  }
  return {
    protocol,
    header: buf.subarray(binStart + 4, headerEnd),
    data: buf.subarray(headerEnd, binEnd),
    originalLength,
    originalType,
    binEnd,
  };
}

export function decodeEncryptedBody(contentType: string, body: Uint8Array): DecodedEncryptedBody {
  const ct = contentTypeParams(contentType);
  if (ct.type === "multipart/x-multi-encrypted") {
    throw new ProtocolError("a multipart/x-multi-encrypted body (CredSSP over 16 KiB) has several parts: decodeEncryptedParts reads it");
  }
  if (ct.type !== "multipart/encrypted") {
    throw new ProtocolError(`expected a multipart/encrypted body, got Content-Type "${contentType}"`);
  }
  const { protocol, boundary } = encryptedFraming(ct);
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  // The part headers are read from a text copy of the body's start only (latin1 maps each byte to one char, so string
  // offsets are byte offsets); the sealed bytes are never copied: header and data are views into `body`.
  const s = buf.toString("latin1", 0, Math.min(buf.length, MAX_PART_HEADS));
  const delim = `--${boundary}`;
  // The closing delimiter is the last occurrence: the sealed bytes themselves may contain anything.
  const binEnd = buf.lastIndexOf(delim, undefined, "latin1");
  const { binEnd: end, ...part } = readPartPair(s, buf, 0, delim, protocol, () => binEnd);
  const trailer = buf.toString("latin1", end + delim.length);
  if (!/^(--)?(\r?\n)?$/.test(trailer)) throw new ProtocolError("encrypted body: unexpected bytes after the final delimiter");
  return part;
}

/** At most this many sealed parts in one multipart/x-multi-encrypted body (16 MiB of CredSSP plaintext). */
export const MAX_ENCRYPTED_PARTS = 1024;

/**
 * Every sealed message of an encrypted body: one for multipart/encrypted, one per part pair for
 * multipart/x-multi-encrypted (MS-WSMV 2.2.9.1.3: CredSSP's 16 KiB chunks, each with the OriginalContent Length of its
 * own chunk, one closing delimiter). A part's bytes end at the next delimiter that ends its line or is the closing
 * one: sealed bytes may contain the boundary text by chance, then the search goes on. At most `maxParts` parts.
 */
export function decodeEncryptedParts(contentType: string, body: Uint8Array, maxParts = MAX_ENCRYPTED_PARTS): DecodedEncryptedBody[] {
  const ct = contentTypeParams(contentType);
  if (ct.type === "multipart/encrypted") return [decodeEncryptedBody(contentType, body)];
  if (ct.type !== "multipart/x-multi-encrypted") {
    throw new ProtocolError(`expected a multipart/encrypted body, got Content-Type "${contentType}"`);
  }
  const { protocol, boundary } = encryptedFraming(ct);
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const s = buf.toString("latin1");
  const delim = `--${boundary}`;
  const endsDelimiter = (at: number): boolean => {
    const after = at + delim.length;
    return s.startsWith("--", after) || s.startsWith("\r\n", after) || s[after] === "\n";
  };
  const nextDelimiter = (from: number): number => {
    let at = s.indexOf(delim, from);
    while (at >= 0 && !endsDelimiter(at)) at = s.indexOf(delim, at + 1);
    return at;
  };
  const parts: DecodedEncryptedBody[] = [];
  let pos = 0;
  for (;;) {
    if (parts.length >= maxParts) throw new ProtocolError(`multipart/x-multi-encrypted body with more than ${maxParts} parts`);
    const { binEnd, ...part } = readPartPair(s, buf, pos, delim, protocol, (binStart) => nextDelimiter(binStart + 4));
    parts.push(part);
    const after = binEnd + delim.length;
    if (s.startsWith("--", after)) {
      if (!/^(\r?\n)?$/.test(s.slice(after + 2))) throw new ProtocolError("encrypted body: unexpected bytes after the final delimiter");
      return parts;
    }
    pos = binEnd;
  }
}

/**
 * After unsealing: the plaintext must be exactly OriginalContent's Length (MS-WSMV 2.2.9.1.1; pywinrm raises "message
 * has been tampered with"). Throws DecryptError.
 */
export function verifyOriginalLength(plaintext: Uint8Array, originalLength: number): void {
  if (plaintext.length !== originalLength) {
    throw new DecryptError(
      `decrypted message length ${plaintext.length} does not match the announced Length ${originalLength}`,
    );
  }
}

/** multipart/encrypted protocol of CredSSP (MS-WSMV 2.2.9.1.3): the seal is the CredSSP TLS session's records. */
export const CREDSSP_ENCRYPTED_PROTOCOL = "application/HTTP-CredSSP-session-encrypted";
/** CredSSP seals at most 16 KiB of plaintext per part; longer messages go as multipart/x-multi-encrypted. */
export const CREDSSP_CHUNK_BYTES = 16 * 1024;

/** The plaintext cut into CredSSP parts of CREDSSP_CHUNK_BYTES (the last one shorter); one empty part for "". */
export function credsspChunks(plaintext: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < plaintext.length; at += CREDSSP_CHUNK_BYTES) out.push(plaintext.subarray(at, at + CREDSSP_CHUNK_BYTES));
  return out.length > 0 ? out : [plaintext];
}

/**
 * Several sealed parts in one body (MS-WSMV 2.2.9.1.3, as Windows and pywinrm write it for CredSSP over 16 KiB):
 * each part pair as in multipart/encrypted with the OriginalContent Length of its own chunk, one closing delimiter.
 * A single part gives plain multipart/encrypted, byte for byte what encodeEncryptedBody writes.
 */
export function encodeMultiEncryptedBody(
  protocol: string,
  parts: ReadonlyArray<{ sealed: { header: Uint8Array; data: Uint8Array }; originalLength: number }>,
  originalType: string = DEFAULT_ORIGINAL_TYPE,
): { contentType: string; body: Buffer } {
  if (parts.length === 0) throw new RangeError("no parts");
  const closing = Buffer.from(`--${ENCRYPTED_BOUNDARY}--\r\n`, "latin1");
  const bodies = parts.map((p) => {
    const one = encodeEncryptedBody(protocol, p.sealed, p.originalLength, originalType).body;
    return one.subarray(0, one.length - closing.length);
  });
  const type = parts.length === 1 ? "multipart/encrypted" : "multipart/x-multi-encrypted";
  return {
    contentType: `${type};protocol="${protocol}";boundary="${ENCRYPTED_BOUNDARY}"`,
    body: Buffer.concat([...bodies, closing]),
  };
}
