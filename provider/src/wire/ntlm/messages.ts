/**
 * Encode/decode of the three NTLM messages (MS-NLMP 2.2.1.1 NEGOTIATE, 2.2.1.2 CHALLENGE, 2.2.1.3 AUTHENTICATE),
 * AV_PAIRs (2.2.2.1) and VERSION (2.2.2.10). All integers little-endian; variable fields are 8-byte descriptors
 * `Len u16 | MaxLen u16 | Offset u32` with the offset counted from the start of the message.
 * Pure functions: malformed input throws ProtocolError (the caller maps it to an AuthenticationError with its stage).
 */
import { ProtocolError } from "../../errors.js";
import { NegotiateFlags, hasFlag } from "./flags.js";

/** "NTLMSSP\0" (MS-NLMP 2.2.1). */
export const NTLMSSP_SIGNATURE = Buffer.from("NTLMSSP\0", "latin1");

export const MessageType = { NEGOTIATE: 1, CHALLENGE: 2, AUTHENTICATE: 3 } as const;

/** AvId values (MS-NLMP 2.2.2.1). */
export const AvId = {
  EOL: 0x0000,
  NbComputerName: 0x0001,
  NbDomainName: 0x0002,
  DnsComputerName: 0x0003,
  DnsDomainName: 0x0004,
  DnsTreeName: 0x0005,
  Flags: 0x0006,
  Timestamp: 0x0007,
  SingleHost: 0x0008,
  TargetName: 0x0009,
  ChannelBindings: 0x000a,
} as const;

/** MsvAvFlags bits (MS-NLMP 2.2.2.1). */
export const AvFlags = { CONSTRAINED: 0x1, MIC_PRESENT: 0x2, UNTRUSTED_SPN: 0x4 } as const;

export interface AvPair {
  readonly id: number;
  readonly value: Buffer;
}

/** VERSION structure (MS-NLMP 2.2.2.10): revision is NTLMSSP_REVISION_W2K3 = 0x0F in every current peer. */
export interface NtlmVersion {
  readonly major: number;
  readonly minor: number;
  readonly build: number;
  readonly revision: number;
}

/** What we announce: Windows Server 2019 (10.0.17763), NTLMSSP revision 15. */
export const DEFAULT_VERSION: NtlmVersion = { major: 10, minor: 0, build: 17763, revision: 0x0f };

export interface NegotiateMessage {
  readonly flags: number;
  /** OEM-encoded in NEGOTIATE (MS-NLMP 2.2.1.1); only sent with NEGOTIATE_OEM_DOMAIN_SUPPLIED. */
  readonly domain?: string;
  readonly workstation?: string;
  readonly version?: NtlmVersion;
}

export interface ChallengeMessage {
  readonly flags: number;
  readonly serverChallenge: Buffer;
  readonly targetName?: string;
  /** Decoded AV_PAIRs without the terminating MsvAvEOL. */
  readonly targetInfo?: AvPair[];
  readonly version?: NtlmVersion;
}

export interface AuthenticateMessage {
  readonly flags: number;
  readonly lmChallengeResponse: Buffer;
  readonly ntChallengeResponse: Buffer;
  readonly domain: string;
  readonly user: string;
  readonly workstation: string;
  readonly encryptedRandomSessionKey: Buffer;
  readonly version?: NtlmVersion;
  /** 16 bytes at offset 72 when present (MS-NLMP 2.2.1.3). Encode: give 16 zero bytes to reserve the field. */
  readonly mic?: Buffer;
}

/** Offset of the MIC field in an AUTHENTICATE message (MS-NLMP 2.2.1.3). */
export const AUTHENTICATE_MIC_OFFSET = 72;

// ---------------------------------------------------------------------------------------------------------------

function utf16(s: string): Buffer {
  return Buffer.from(s, "utf16le");
}

function encodeString(s: string, unicode: boolean): Buffer {
  return unicode ? utf16(s) : Buffer.from(s, "latin1");
}

function decodeString(b: Buffer, unicode: boolean): string {
  return unicode ? b.toString("utf16le") : b.toString("latin1");
}

function encodeVersion(v: NtlmVersion | undefined): Buffer {
  const out = Buffer.alloc(8);
  if (v) {
    out.writeUInt8(v.major, 0);
    out.writeUInt8(v.minor, 1);
    out.writeUInt16LE(v.build, 2);
    out.writeUInt8(v.revision, 7);
  }
  return out;
}

function decodeVersion(b: Buffer, offset: number): NtlmVersion {
  return { major: b.readUInt8(offset), minor: b.readUInt8(offset + 1), build: b.readUInt16LE(offset + 2), revision: b.readUInt8(offset + 7) };
}

/** Lays out variable fields after a fixed header and writes their descriptors. */
class PayloadWriter {
  private readonly parts: Buffer[] = [];
  private offset: number;
  constructor(
    private readonly header: Buffer,
    payloadOffset: number,
  ) {
    this.offset = payloadOffset;
  }
  field(descriptorOffset: number, data: Buffer): void {
    if (data.length > 0xffff) throw new ProtocolError("NTLM field longer than 65535 bytes");
    this.header.writeUInt16LE(data.length, descriptorOffset);
    this.header.writeUInt16LE(data.length, descriptorOffset + 2);
    this.header.writeUInt32LE(this.offset, descriptorOffset + 4);
    this.parts.push(data);
    this.offset += data.length;
  }
  finish(): Buffer {
    return Buffer.concat([this.header, ...this.parts]);
  }
}

function readField(msg: Buffer, descriptorOffset: number, what: string): Buffer {
  if (descriptorOffset + 8 > msg.length) throw new ProtocolError(`NTLM message too short for the ${what} field`);
  const len = msg.readUInt16LE(descriptorOffset);
  const off = msg.readUInt32LE(descriptorOffset + 4);
  if (len === 0) return Buffer.alloc(0);
  if (off + len > msg.length) throw new ProtocolError(`NTLM ${what} field points outside the message`);
  return Buffer.from(msg.subarray(off, off + len));
}

function fieldOffset(msg: Buffer, descriptorOffset: number): number | undefined {
  return msg.readUInt16LE(descriptorOffset) === 0 ? undefined : msg.readUInt32LE(descriptorOffset + 4);
}

function checkHeader(token: Uint8Array, type: number, minLength: number): Buffer {
  const msg = Buffer.from(token.buffer, token.byteOffset, token.byteLength);
  if (msg.length < 12 || !msg.subarray(0, 8).equals(NTLMSSP_SIGNATURE)) throw new ProtocolError("not an NTLMSSP message");
  const actual = msg.readUInt32LE(8);
  if (actual !== type) throw new ProtocolError(`expected NTLM message type ${type}, got ${actual}`);
  if (msg.length < minLength) throw new ProtocolError(`NTLM message type ${type} too short (${msg.length} bytes)`);
  return msg;
}

/** The NTLM message type of a token (1, 2, 3), or undefined when it is not NTLMSSP (e.g. SPNEGO or Kerberos). */
export function ntlmMessageType(token: Uint8Array): number | undefined {
  if (token.length < 12) return undefined;
  const msg = Buffer.from(token.buffer, token.byteOffset, token.byteLength);
  if (!msg.subarray(0, 8).equals(NTLMSSP_SIGNATURE)) return undefined;
  return msg.readUInt32LE(8);
}

// --- AV_PAIRs (MS-NLMP 2.2.2.1) ---------------------------------------------------------------------------------

/** Encode AV_PAIRs, appending MsvAvEOL (any EOL given in `pairs` is dropped: it must come last, once). */
export function encodeAvPairs(pairs: readonly AvPair[]): Buffer {
  const parts: Buffer[] = [];
  for (const p of pairs) {
    if (p.id === AvId.EOL) continue;
    const h = Buffer.alloc(4);
    h.writeUInt16LE(p.id, 0);
    h.writeUInt16LE(p.value.length, 2);
    parts.push(h, p.value);
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

/** Decode AV_PAIRs up to MsvAvEOL (not included in the result). Throws ProtocolError without EOL or on overrun. */
export function decodeAvPairs(buf: Uint8Array): AvPair[] {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: AvPair[] = [];
  let off = 0;
  for (;;) {
    if (off + 4 > b.length) throw new ProtocolError("NTLM AV_PAIR list has no MsvAvEOL");
    const id = b.readUInt16LE(off);
    const len = b.readUInt16LE(off + 2);
    off += 4;
    if (id === AvId.EOL) return out;
    if (off + len > b.length) throw new ProtocolError("NTLM AV_PAIR runs past the end of its list");
    out.push({ id, value: Buffer.from(b.subarray(off, off + len)) });
    off += len;
  }
}

export function findAvPair(pairs: readonly AvPair[] | undefined, id: number): Buffer | undefined {
  return pairs?.find((p) => p.id === id)?.value;
}

/** An AV_PAIR holding a UTF-16LE string (NbComputerName, DnsDomainName, TargetName, ...). */
export function avString(id: number, value: string): AvPair {
  return { id, value: utf16(value) };
}

export function avPairString(pairs: readonly AvPair[] | undefined, id: number): string | undefined {
  return findAvPair(pairs, id)?.toString("utf16le");
}

// --- NEGOTIATE (MS-NLMP 2.2.1.1) ----------------------------------------------------------------------------------

export function encodeNegotiate(m: NegotiateMessage): Buffer {
  const header = Buffer.alloc(40);
  NTLMSSP_SIGNATURE.copy(header, 0);
  header.writeUInt32LE(MessageType.NEGOTIATE, 8);
  let flags = m.flags;
  if (m.domain) flags |= NegotiateFlags.OEM_DOMAIN_SUPPLIED;
  if (m.workstation) flags |= NegotiateFlags.OEM_WORKSTATION_SUPPLIED;
  header.writeUInt32LE(flags >>> 0, 12);
  encodeVersion(m.version).copy(header, 32);
  const w = new PayloadWriter(header, 40);
  // Domain and workstation are OEM strings in NEGOTIATE whatever the UNICODE flag says (MS-NLMP 2.2.1.1).
  w.field(16, Buffer.from(m.domain ?? "", "latin1"));
  w.field(24, Buffer.from(m.workstation ?? "", "latin1"));
  return w.finish();
}

export function decodeNegotiate(token: Uint8Array): NegotiateMessage {
  // Old clients send a 16-byte NEGOTIATE without the field descriptors; only the flags are needed then.
  const msg = checkHeader(token, MessageType.NEGOTIATE, 16);
  const flags = msg.readUInt32LE(12);
  if (msg.length < 32) return { flags };
  const domain = hasFlag(flags, NegotiateFlags.OEM_DOMAIN_SUPPLIED) ? readField(msg, 16, "DomainName").toString("latin1") : undefined;
  const workstation = hasFlag(flags, NegotiateFlags.OEM_WORKSTATION_SUPPLIED)
    ? readField(msg, 24, "Workstation").toString("latin1")
    : undefined;
  const version = hasFlag(flags, NegotiateFlags.VERSION) && msg.length >= 40 ? decodeVersion(msg, 32) : undefined;
  return { flags, ...(domain !== undefined && { domain }), ...(workstation !== undefined && { workstation }), ...(version && { version }) };
}

// --- CHALLENGE (MS-NLMP 2.2.1.2) ----------------------------------------------------------------------------------

export function encodeChallenge(m: ChallengeMessage): Buffer {
  if (m.serverChallenge.length !== 8) throw new ProtocolError("ServerChallenge must be 8 bytes");
  const unicode = hasFlag(m.flags, NegotiateFlags.UNICODE);
  const header = Buffer.alloc(56);
  NTLMSSP_SIGNATURE.copy(header, 0);
  header.writeUInt32LE(MessageType.CHALLENGE, 8);
  header.writeUInt32LE(m.flags >>> 0, 20);
  m.serverChallenge.copy(header, 24);
  encodeVersion(m.version).copy(header, 48);
  const w = new PayloadWriter(header, 56);
  // Payload order as Windows writes it (MS-NLMP 4.2.4.3): TargetName, then TargetInfo.
  w.field(12, encodeString(m.targetName ?? "", unicode));
  w.field(40, m.targetInfo ? encodeAvPairs(m.targetInfo) : Buffer.alloc(0));
  return w.finish();
}

export function decodeChallenge(token: Uint8Array): ChallengeMessage {
  const msg = checkHeader(token, MessageType.CHALLENGE, 32);
  const flags = msg.readUInt32LE(20);
  const unicode = hasFlag(flags, NegotiateFlags.UNICODE);
  const serverChallenge = Buffer.from(msg.subarray(24, 32));
  // TargetName is informational to an NTLMv2 client (MS-NLMP 2.2.1.2); squid's ntlm_fake_auth leaves its offset
  // uninitialised, so a field pointing outside the message reads as empty instead of failing the handshake.
  let targetNameBytes: Buffer;
  try {
    targetNameBytes = readField(msg, 12, "TargetName");
  } catch {
    targetNameBytes = Buffer.alloc(0);
  }
  let targetInfo: AvPair[] | undefined;
  // MS-NLMP 2.2.1.2: TargetInfoFields are meaningful only with NEGOTIATE_TARGET_INFO; older servers end the header at
  // 40 and put the payload there (ntlm_fake_auth does), so without the flag the bytes at 40 are not a descriptor.
  if (msg.length >= 48 && hasFlag(flags, NegotiateFlags.TARGET_INFO)) {
    const ti = readField(msg, 40, "TargetInfo");
    if (ti.length > 0) targetInfo = decodeAvPairs(ti);
  }
  // The Version field exists only when the payload starts at 56 or later (older servers end the header at 48).
  const payloadStart = Math.min(fieldOffset(msg, 12) ?? msg.length, msg.length >= 48 ? (fieldOffset(msg, 40) ?? msg.length) : msg.length);
  const version = hasFlag(flags, NegotiateFlags.VERSION) && payloadStart >= 56 && msg.length >= 56 ? decodeVersion(msg, 48) : undefined;
  return {
    flags,
    serverChallenge,
    targetName: decodeString(targetNameBytes, unicode),
    ...(targetInfo && { targetInfo }),
    ...(version && { version }),
  };
}

// --- AUTHENTICATE (MS-NLMP 2.2.1.3) -------------------------------------------------------------------------------

export function encodeAuthenticate(m: AuthenticateMessage): Buffer {
  const unicode = hasFlag(m.flags, NegotiateFlags.UNICODE);
  if (m.mic && m.mic.length !== 16) throw new ProtocolError("MIC must be 16 bytes");
  const headerLength = m.mic ? 88 : 72;
  const header = Buffer.alloc(headerLength);
  NTLMSSP_SIGNATURE.copy(header, 0);
  header.writeUInt32LE(MessageType.AUTHENTICATE, 8);
  header.writeUInt32LE(m.flags >>> 0, 60);
  encodeVersion(m.version).copy(header, 64);
  if (m.mic) m.mic.copy(header, AUTHENTICATE_MIC_OFFSET);
  const w = new PayloadWriter(header, headerLength);
  // Payload order as Windows writes it (MS-NLMP 4.2.4.3): Domain, User, Workstation, Lm, Nt, EncryptedRandomSessionKey.
  const domain = encodeString(m.domain, unicode);
  const user = encodeString(m.user, unicode);
  const workstation = encodeString(m.workstation, unicode);
  const fields: [number, Buffer][] = [
    [28, domain],
    [36, user],
    [44, workstation],
    [12, m.lmChallengeResponse],
    [20, m.ntChallengeResponse],
    [52, m.encryptedRandomSessionKey],
  ];
  for (const [desc, data] of fields) w.field(desc, data);
  return w.finish();
}

export function decodeAuthenticate(token: Uint8Array): AuthenticateMessage {
  const msg = checkHeader(token, MessageType.AUTHENTICATE, 64);
  const flags = msg.readUInt32LE(60);
  const unicode = hasFlag(flags, NegotiateFlags.UNICODE);
  const lm = readField(msg, 12, "LmChallengeResponse");
  const nt = readField(msg, 20, "NtChallengeResponse");
  const domain = decodeString(readField(msg, 28, "DomainName"), unicode);
  const user = decodeString(readField(msg, 36, "UserName"), unicode);
  const workstation = decodeString(readField(msg, 44, "Workstation"), unicode);
  const key = readField(msg, 52, "EncryptedRandomSessionKey");
  // The header length is implicit: Version (8) at 64 and MIC (16) at 72 exist only when the payload starts after them.
  const offsets = [12, 20, 28, 36, 44, 52].map((d) => fieldOffset(msg, d)).filter((o): o is number => o !== undefined);
  const payloadStart = Math.min(msg.length, ...offsets);
  const version = payloadStart >= 72 && hasFlag(flags, NegotiateFlags.VERSION) ? decodeVersion(msg, 64) : undefined;
  const mic = payloadStart >= 88 ? Buffer.from(msg.subarray(72, 88)) : undefined;
  return {
    flags,
    lmChallengeResponse: lm,
    ntChallengeResponse: nt,
    domain,
    user,
    workstation,
    encryptedRandomSessionKey: key,
    ...(version && { version }),
    ...(mic && { mic }),
  };
}

/** A copy of an encoded AUTHENTICATE with the MIC field zeroed, as the MIC is computed over (MS-NLMP 3.1.5.1.2). */
export function withZeroedMic(authenticate: Uint8Array): Buffer {
  const copy = Buffer.from(authenticate);
  if (copy.length >= AUTHENTICATE_MIC_OFFSET + 16) copy.fill(0, AUTHENTICATE_MIC_OFFSET, AUTHENTICATE_MIC_OFFSET + 16);
  return copy;
}
