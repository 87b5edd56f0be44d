/** NTLM NegotiateFlags (MS-NLMP 2.2.2.5). Values are the u32 bit masks as they appear (little-endian) on the wire. */
export const NegotiateFlags = {
  UNICODE: 0x00000001,
  OEM: 0x00000002,
  REQUEST_TARGET: 0x00000004,
  SIGN: 0x00000010,
  SEAL: 0x00000020,
  DATAGRAM: 0x00000040,
  LM_KEY: 0x00000080,
  NTLM: 0x00000200,
  ANONYMOUS: 0x00000800,
  OEM_DOMAIN_SUPPLIED: 0x00001000,
  OEM_WORKSTATION_SUPPLIED: 0x00002000,
  ALWAYS_SIGN: 0x00008000,
  TARGET_TYPE_DOMAIN: 0x00010000,
  TARGET_TYPE_SERVER: 0x00020000,
  /** NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY (ESS). */
  EXTENDED_SESSIONSECURITY: 0x00080000,
  IDENTIFY: 0x00100000,
  REQUEST_NON_NT_SESSION_KEY: 0x00400000,
  TARGET_INFO: 0x00800000,
  VERSION: 0x02000000,
  NEGOTIATE_128: 0x20000000,
  KEY_EXCH: 0x40000000,
  NEGOTIATE_56: 0x80000000,
} as const;

export type NegotiateFlagName = keyof typeof NegotiateFlags;

/** True when every bit of `flag` is set in `flags` (works for the 0x80000000 bit too). */
export function hasFlag(flags: number, flag: number): boolean {
  return ((flags & flag) >>> 0) === flag >>> 0;
}

/** Names of the set flags, for diagnostics ("UNICODE|SIGN|..."). */
export function describeFlags(flags: number): string {
  const names: string[] = [];
  for (const [name, value] of Object.entries(NegotiateFlags)) if (hasFlag(flags, value)) names.push(name);
  return names.join("|");
}
