/**
 * The MS-CSSP 2.2.1 structures (module TSPasswordCreds/TSRequest, DEFINITIONS EXPLICIT TAGS):
 *
 *   TSRequest ::= SEQUENCE { version [0] INTEGER, negoTokens [1] NegoData OPTIONAL, authInfo [2] OCTET STRING OPTIONAL,
 *                            pubKeyAuth [3] OCTET STRING OPTIONAL, errorCode [4] INTEGER OPTIONAL,
 *                            clientNonce [5] OCTET STRING OPTIONAL }
 *   NegoData ::= SEQUENCE OF SEQUENCE { negoToken [0] OCTET STRING }
 *   TSCredentials ::= SEQUENCE { credType [0] INTEGER, credentials [1] OCTET STRING }
 *   TSPasswordCreds ::= SEQUENCE { domainName [0] OCTET STRING, userName [1] OCTET STRING, password [2] OCTET STRING }
 *
 * TSPasswordCreds strings are UTF-16LE (MS-CSSP 2.2.1.2.1). Pure: encode and decode over bytes.
 */
import { ProtocolError } from "../../errors.js";
import {
  DerTag,
  concat,
  contextTag,
  decodeInteger,
  encodeInteger,
  encodeOctetString,
  explicit,
  readChildren,
  readOnly,
  tlv,
  type DerElement,
} from "./der.js";

/** The highest protocol version this implementation speaks (MS-CSSP 2.2.1: 6 adds clientNonce, 5+ the hash binding). */
export const CREDSSP_VERSION = 6;
/** Bound on a TSRequest a peer sends (a negoToken is an NTLM or Kerberos token: a few KiB). */
export const MAX_TSREQUEST_BYTES = 64 * 1024;
/** MS-CSSP 2.2.1.2: credType 1 = TSPasswordCreds. */
export const CRED_TYPE_PASSWORD = 1;

export interface TSRequest {
  readonly version: number;
  readonly negoTokens?: readonly Uint8Array[];
  readonly authInfo?: Uint8Array;
  readonly pubKeyAuth?: Uint8Array;
  readonly errorCode?: number;
  readonly clientNonce?: Uint8Array;
}

export interface TSPasswordCreds {
  readonly domainName: string;
  readonly userName: string;
  readonly password: string;
}

export interface TSCredentials {
  readonly credType: number;
  readonly credentials: Uint8Array;
}

export function encodeTSRequest(req: TSRequest): Uint8Array {
  const fields: Uint8Array[] = [explicit(0, encodeInteger(req.version))];
  if (req.negoTokens !== undefined && req.negoTokens.length > 0) {
    const items = req.negoTokens.map((t) => tlv(DerTag.SEQUENCE, explicit(0, encodeOctetString(t))));
    fields.push(explicit(1, tlv(DerTag.SEQUENCE, concat(items))));
  }
  if (req.authInfo !== undefined) fields.push(explicit(2, encodeOctetString(req.authInfo)));
  if (req.pubKeyAuth !== undefined) fields.push(explicit(3, encodeOctetString(req.pubKeyAuth)));
  if (req.errorCode !== undefined) fields.push(explicit(4, encodeInteger(req.errorCode)));
  if (req.clientNonce !== undefined) {
    if (req.clientNonce.length !== 32) throw new RangeError("CredSSP clientNonce must be 32 bytes (MS-CSSP 2.2.1)");
    fields.push(explicit(5, encodeOctetString(req.clientNonce)));
  }
  return tlv(DerTag.SEQUENCE, concat(fields));
}

/** Children of a SEQUENCE as [n] EXPLICIT fields in strictly increasing order; returns the inner element of each. */
function explicitFields(contents: Uint8Array, what: string, maxTag: number): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  let last = -1;
  for (const child of readChildren(contents, what)) {
    const n = child.tag ^ 0xa0;
    if (n < 0 || n > maxTag || child.tag !== contextTag(n)) {
      throw new ProtocolError(`CredSSP: ${what} has an unexpected field tag 0x${child.tag.toString(16)}`);
    }
    if (n <= last) throw new ProtocolError(`CredSSP: ${what} has field [${n}] out of order or twice`);
    last = n;
    out.set(n, child.contents);
  }
  return out;
}

function octets(inner: Uint8Array, what: string): Uint8Array {
  return readOnly(inner, DerTag.OCTET_STRING, what);
}

function integer(inner: Uint8Array, what: string): number {
  return decodeInteger(readOnly(inner, DerTag.INTEGER, what), what);
}

export function decodeTSRequest(input: Uint8Array): TSRequest {
  if (input.length > MAX_TSREQUEST_BYTES) throw new ProtocolError(`CredSSP: TSRequest of ${input.length} bytes is over ${MAX_TSREQUEST_BYTES}`);
  const fields = explicitFields(readOnly(input, DerTag.SEQUENCE, "TSRequest"), "TSRequest", 5);
  const version = fields.get(0);
  if (version === undefined) throw new ProtocolError("CredSSP: TSRequest has no version");
  const out: { -readonly [K in keyof TSRequest]: TSRequest[K] } = { version: integer(version, "TSRequest.version") };
  const nego = fields.get(1);
  if (nego !== undefined) {
    const items = readChildren(readOnly(nego, DerTag.SEQUENCE, "TSRequest.negoTokens"), "TSRequest.negoTokens", 4);
    out.negoTokens = items.map((item: DerElement, i) => {
      const what = `TSRequest.negoTokens[${i}]`;
      if (item.tag !== DerTag.SEQUENCE) throw new ProtocolError(`CredSSP: ${what} is not a SEQUENCE`);
      const f = explicitFields(item.contents, what, 0).get(0);
      if (f === undefined) throw new ProtocolError(`CredSSP: ${what} has no negoToken`);
      return octets(f, `${what}.negoToken`);
    });
  }
  const authInfo = fields.get(2);
  if (authInfo !== undefined) out.authInfo = octets(authInfo, "TSRequest.authInfo");
  const pubKeyAuth = fields.get(3);
  if (pubKeyAuth !== undefined) out.pubKeyAuth = octets(pubKeyAuth, "TSRequest.pubKeyAuth");
  const errorCode = fields.get(4);
  if (errorCode !== undefined) out.errorCode = integer(errorCode, "TSRequest.errorCode");
  const nonce = fields.get(5);
  if (nonce !== undefined) {
    out.clientNonce = octets(nonce, "TSRequest.clientNonce");
    if (out.clientNonce.length !== 32) throw new ProtocolError("CredSSP: TSRequest.clientNonce is not 32 bytes");
  }
  return out;
}

export function encodeTSPasswordCreds(creds: TSPasswordCreds): Uint8Array {
  const s = (v: string): Uint8Array => encodeOctetString(Buffer.from(v, "utf16le"));
  return tlv(DerTag.SEQUENCE, concat([explicit(0, s(creds.domainName)), explicit(1, s(creds.userName)), explicit(2, s(creds.password))]));
}

function utf16(bytes: Uint8Array, what: string): string {
  if (bytes.length % 2 !== 0) throw new ProtocolError(`CredSSP: ${what} is not UTF-16LE (odd length)`);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("utf16le");
}

export function decodeTSPasswordCreds(input: Uint8Array): TSPasswordCreds {
  const f = explicitFields(readOnly(input, DerTag.SEQUENCE, "TSPasswordCreds"), "TSPasswordCreds", 2);
  const get = (n: number, name: string): string => {
    const inner = f.get(n);
    if (inner === undefined) throw new ProtocolError(`CredSSP: TSPasswordCreds has no ${name}`);
    return utf16(octets(inner, `TSPasswordCreds.${name}`), `TSPasswordCreds.${name}`);
  };
  return { domainName: get(0, "domainName"), userName: get(1, "userName"), password: get(2, "password") };
}

export function encodeTSCredentials(creds: TSCredentials): Uint8Array {
  return tlv(DerTag.SEQUENCE, concat([explicit(0, encodeInteger(creds.credType)), explicit(1, encodeOctetString(creds.credentials))]));
}

export function decodeTSCredentials(input: Uint8Array): TSCredentials {
  const f = explicitFields(readOnly(input, DerTag.SEQUENCE, "TSCredentials"), "TSCredentials", 1);
  const t = f.get(0);
  const c = f.get(1);
  if (t === undefined || c === undefined) throw new ProtocolError("CredSSP: TSCredentials lacks credType or credentials");
  return { credType: integer(t, "TSCredentials.credType"), credentials: octets(c, "TSCredentials.credentials") };
}
