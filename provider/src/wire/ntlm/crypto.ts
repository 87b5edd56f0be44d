/**
 * NTLM key and response computations (MS-NLMP 3.3.1 NTLMv1 hash, 3.3.2 NTLMv2, 3.1.5.1.2 MIC and KEY_EXCH,
 * 3.4.5.2 SIGNKEY, 3.4.5.3 SEALKEY). Pure functions over bytes; nothing here logs or throws with a secret.
 */
import { createHash, createHmac } from "node:crypto";
import { NegotiateFlags, hasFlag } from "./flags.js";
import { md4 } from "./md4.js";
import { rc4k } from "./rc4.js";

export function hmacMd5(key: Uint8Array, ...data: Uint8Array[]): Buffer {
  const h = createHmac("md5", key);
  for (const d of data) h.update(d);
  return h.digest();
}

function md5(...data: Uint8Array[]): Buffer {
  const h = createHash("md5");
  for (const d of data) h.update(d);
  return h.digest();
}

/** NTOWFv1 = MD4(UNICODE(Password)) (MS-NLMP 3.3.1): the "NT hash". */
export function ntowfv1(password: string): Buffer {
  return md4(Buffer.from(password, "utf16le"));
}

/**
 * NTOWFv2 = HMAC_MD5(NTOWFv1, UNICODE(Uppercase(User) || UserDom)) (MS-NLMP 3.3.2). Only the user is upper-cased;
 * the domain keeps the case the client sends.
 */
export function ntowfv2(password: string, user: string, domain: string): Buffer {
  return ntowfv2FromHash(ntowfv1(password), user, domain);
}

export function ntowfv2FromHash(ntHash: Uint8Array, user: string, domain: string): Buffer {
  return hmacMd5(ntHash, Buffer.from(user.toUpperCase() + domain, "utf16le"));
}

/** FILETIME (100 ns intervals since 1601-01-01 UTC) as 8 little-endian bytes (MS-NLMP MsvAvTimestamp, 2.2.2.1). */
export function fileTime(date: Date): Buffer {
  const ticks = (BigInt(date.getTime()) + 11644473600000n) * 10000n;
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(ticks < 0n ? 0n : ticks);
  return out;
}

/** The inverse of fileTime (millisecond precision). */
export function fromFileTime(ft: Uint8Array): Date {
  const ticks = Buffer.from(ft.buffer, ft.byteOffset, ft.byteLength).readBigUInt64LE(0);
  return new Date(Number(ticks / 10000n - 11644473600000n));
}

/**
 * The NTLMv2_CLIENT_CHALLENGE "temp" blob (MS-NLMP 2.2.2.7, 3.3.2):
 * RespType 1 | HiRespType 1 | Reserved1 u16 | Reserved2 u32 | TimeStamp(8) | ChallengeFromClient(8) | Reserved3 u32 |
 * AvPairs (ending with MsvAvEOL) | 4 zero bytes.
 */
export function ntlmv2Temp(timestamp: Uint8Array, clientChallenge: Uint8Array, encodedAvPairs: Uint8Array): Buffer {
  if (timestamp.length !== 8 || clientChallenge.length !== 8) throw new RangeError("timestamp and client challenge are 8 bytes each");
  const head = Buffer.alloc(28);
  head[0] = 1;
  head[1] = 1;
  Buffer.from(timestamp).copy(head, 8);
  Buffer.from(clientChallenge).copy(head, 16);
  return Buffer.concat([head, encodedAvPairs, Buffer.alloc(4)]);
}

export interface Ntlmv2Response {
  readonly ntProofStr: Buffer;
  /** NTProofStr || temp */
  readonly ntChallengeResponse: Buffer;
  /** HMAC_MD5(NTOWFv2, ServerChallenge || ClientChallenge) || ClientChallenge */
  readonly lmChallengeResponse: Buffer;
  /** = KeyExchangeKey for NTLMv2 (MS-NLMP 3.4.5.1) */
  readonly sessionBaseKey: Buffer;
}

/** NTLMv2 responses and SessionBaseKey (MS-NLMP 3.3.2 ComputeResponse). */
export function computeNtlmv2Response(opts: {
  ntowfv2: Uint8Array;
  serverChallenge: Uint8Array;
  clientChallenge: Uint8Array;
  temp: Uint8Array;
}): Ntlmv2Response {
  const ntProofStr = hmacMd5(opts.ntowfv2, opts.serverChallenge, opts.temp);
  return {
    ntProofStr,
    ntChallengeResponse: Buffer.concat([ntProofStr, opts.temp]),
    lmChallengeResponse: lmv2Response(opts.ntowfv2, opts.serverChallenge, opts.clientChallenge),
    sessionBaseKey: hmacMd5(opts.ntowfv2, ntProofStr),
  };
}

export function lmv2Response(ntowfv2Key: Uint8Array, serverChallenge: Uint8Array, clientChallenge: Uint8Array): Buffer {
  return Buffer.concat([hmacMd5(ntowfv2Key, serverChallenge, clientChallenge), Buffer.from(clientChallenge)]);
}

/** NTProofStr over a received NTLMv2 response's temp, for the acceptor (MS-NLMP 3.3.2). */
export function ntProofStr(ntowfv2Key: Uint8Array, serverChallenge: Uint8Array, temp: Uint8Array): Buffer {
  return hmacMd5(ntowfv2Key, serverChallenge, temp);
}

/** EncryptedRandomSessionKey = RC4K(KeyExchangeKey, ExportedSessionKey) (MS-NLMP 3.1.5.1.2); RC4 is its own inverse. */
export function encryptSessionKey(keyExchangeKey: Uint8Array, exportedSessionKey: Uint8Array): Buffer {
  return rc4k(keyExchangeKey, exportedSessionKey);
}

export const decryptSessionKey = encryptSessionKey;

/** MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE || AUTHENTICATE with a zeroed MIC) (MS-NLMP 3.1.5.1.2). */
export function computeMic(exportedSessionKey: Uint8Array, negotiate: Uint8Array, challenge: Uint8Array, authenticateZeroedMic: Uint8Array): Buffer {
  return hmacMd5(exportedSessionKey, negotiate, challenge, authenticateZeroedMic);
}

export type Direction = "client-to-server" | "server-to-client";

/** SIGNKEY (MS-NLMP 3.4.5.2), with ESS: MD5(ExportedSessionKey || "session key to <dir> signing key magic constant\0"). */
export function signKey(exportedSessionKey: Uint8Array, direction: Direction): Buffer {
  return md5(exportedSessionKey, Buffer.from(`session key to ${direction} signing key magic constant\0`, "latin1"));
}

/**
 * SEALKEY (MS-NLMP 3.4.5.3), with ESS: MD5(K || "session key to <dir> sealing key magic constant\0") where K is the
 * whole ExportedSessionKey with NEGOTIATE_128, its first 7 bytes with NEGOTIATE_56, else its first 5 bytes.
 * (Without ESS NTLMv1-style sealing would apply; we never negotiate it.)
 */
export function sealKey(exportedSessionKey: Uint8Array, flags: number, direction: Direction): Buffer {
  let k: Uint8Array;
  if (hasFlag(flags, NegotiateFlags.NEGOTIATE_128)) k = exportedSessionKey;
  else if (hasFlag(flags, NegotiateFlags.NEGOTIATE_56)) k = exportedSessionKey.subarray(0, 7);
  else k = exportedSessionKey.subarray(0, 5);
  return md5(k, Buffer.from(`session key to ${direction} sealing key magic constant\0`, "latin1"));
}
