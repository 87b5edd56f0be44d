/**
 * A minimal DER (ITU-T X.690) reader and writer for the few ASN.1 types of MS-CSSP 2.2.1: SEQUENCE, INTEGER,
 * OCTET STRING and context-specific EXPLICIT tags [0]..[5]. Hand-written rather than an npm ASN.1 library because
 * the five types need about a hundred lines, every length a peer sends must be bounded against the bytes actually
 * present (a generic decoder accepts far more than TSRequest needs), and the project keeps its dependencies few.
 * Pure: no I/O. Definite lengths only (DER, X.690 8.1.3); a peer's indefinite or over-long length is refused.
 */
import { ProtocolError } from "../../errors.js";

export const DerTag = {
  INTEGER: 0x02,
  OCTET_STRING: 0x04,
  SEQUENCE: 0x30,
} as const;

/** Context-specific, constructed tag [n] (X.690 8.1.2): 0xa0 | n. */
export function contextTag(n: number): number {
  return 0xa0 | n;
}

/** One TLV as read: its tag and the bytes of its contents (a view into the input). */
export interface DerElement {
  readonly tag: number;
  readonly contents: Uint8Array;
}

function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** One TLV with the given contents. */
export function tlv(tag: number, contents: Uint8Array): Uint8Array {
  const length = encodeLength(contents.length);
  const out = new Uint8Array(1 + length.length + contents.length);
  out[0] = tag;
  out.set(length, 1);
  out.set(contents, 1 + length.length);
  return out;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** DER INTEGER contents for a non-negative or negative 32-bit value: two's complement, minimal octets (X.690 8.3). */
export function integerContents(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0xffffffff) {
    throw new RangeError(`DER INTEGER out of range: ${value}`);
  }
  const bytes: number[] = [];
  let v = BigInt(value);
  for (;;) {
    bytes.unshift(Number(BigInt.asUintN(8, v)));
    v >>= 8n;
    const top = bytes[0]! & 0x80;
    if ((v === 0n && top === 0) || (v === -1n && top !== 0)) break;
  }
  return Uint8Array.from(bytes);
}

export function encodeInteger(value: number): Uint8Array {
  return tlv(DerTag.INTEGER, integerContents(value));
}

export function encodeOctetString(value: Uint8Array): Uint8Array {
  return tlv(DerTag.OCTET_STRING, value);
}

/** [n] EXPLICIT wrapping of one encoded element. */
export function explicit(n: number, inner: Uint8Array): Uint8Array {
  return tlv(contextTag(n), inner);
}

/** Read one TLV at `offset` of `input`; the element must lie wholly inside `input`. */
export function readElement(input: Uint8Array, offset: number, what: string): { element: DerElement; next: number } {
  if (offset + 2 > input.length) throw new ProtocolError(`CredSSP: ${what} is truncated (no tag and length)`);
  const tag = input[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new ProtocolError(`CredSSP: ${what} uses a multi-byte tag, which MS-CSSP never does`);
  let at = offset + 1;
  const first = input[at++]!;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    const count = first & 0x7f;
    // 0x80 is BER's indefinite form (not DER); more than 4 length octets exceed any message this client accepts.
    if (count === 0 || count > 4) throw new ProtocolError(`CredSSP: ${what} has an indefinite or over-long DER length`);
    if (at + count > input.length) throw new ProtocolError(`CredSSP: ${what} is truncated (in its length)`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + input[at++]!;
    if (length < 0x80 || (count > 1 && input[at - count] === 0)) {
      throw new ProtocolError(`CredSSP: ${what} has a non-minimal DER length`);
    }
  }
  if (length > input.length - at) throw new ProtocolError(`CredSSP: ${what} claims ${length} bytes, more than remain`);
  return { element: { tag, contents: input.subarray(at, at + length) }, next: at + length };
}

/** All TLVs of a constructed element's contents, in order; at most `maxCount`. */
export function readChildren(contents: Uint8Array, what: string, maxCount = 16): DerElement[] {
  const out: DerElement[] = [];
  let at = 0;
  while (at < contents.length) {
    if (out.length >= maxCount) throw new ProtocolError(`CredSSP: ${what} has more than ${maxCount} elements`);
    const { element, next } = readElement(contents, at, what);
    out.push(element);
    at = next;
  }
  return out;
}

/** Read exactly one element of `tag` filling `input`. */
export function readOnly(input: Uint8Array, tag: number, what: string): Uint8Array {
  const { element, next } = readElement(input, 0, what);
  if (element.tag !== tag) throw new ProtocolError(`CredSSP: ${what} has tag 0x${element.tag.toString(16)}, expected 0x${tag.toString(16)}`);
  if (next !== input.length) throw new ProtocolError(`CredSSP: ${what} is followed by ${input.length - next} stray bytes`);
  return element.contents;
}

/** A DER INTEGER's value (at most 4 octets, as every MS-CSSP INTEGER is). */
export function decodeInteger(contents: Uint8Array, what: string): number {
  if (contents.length === 0 || contents.length > 5) throw new ProtocolError(`CredSSP: ${what} is not a 32-bit INTEGER`);
  let v = BigInt.asIntN(8, BigInt(contents[0]!));
  for (let i = 1; i < contents.length; i++) v = (v << 8n) | BigInt(contents[i]!);
  if (v < -0x80000000n || v > 0xffffffffn) throw new ProtocolError(`CredSSP: ${what} is not a 32-bit INTEGER`);
  return Number(v);
}

/**
 * The total length (tag + length + contents) of the DER element starting `input`, or undefined while too few bytes
 * have arrived to tell or to hold it all; for reassembling a TSRequest that spans TLS records.
 */
export function completeElementLength(input: Uint8Array): number | undefined {
  if (input.length < 2) return undefined;
  const first = input[1]!;
  if (first < 0x80) return input.length >= 2 + first ? 2 + first : undefined;
  const count = first & 0x7f;
  if (count === 0 || count > 4) throw new ProtocolError("CredSSP: TSRequest has an indefinite or over-long DER length");
  if (input.length < 2 + count) return undefined;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + input[2 + i]!;
  const total = 2 + count + length;
  return input.length >= total ? total : undefined;
}
