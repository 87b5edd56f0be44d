/**
 * CredSSP's inner authentication (MS-CSSP 3.1.5): the SPNEGO exchange that runs in TSRequest.negoTokens inside the
 * TLS channel may negotiate Kerberos or NTLM, and the negotiated context then encrypts pubKeyAuth and authInfo with
 * GSS_WrapEx (confidentiality on).
 *
 * - Initiator: the inner context is an AuthMechanism; auth/index.ts gives CredSSP a NegotiateMechanism
 *   (auth/negotiate.ts): Kerberos in SPNEGO (krb5 the only mech offered) when a ticket can be had, raw NTLMSSP
 *   otherwise, with the same fallback rules, reasons and "Kerberos cannot start" memory as `auth.mechanism:
 *   "negotiate"`. No channel bindings inside: CredSSP binds the TLS channel itself with pubKeyAuth.
 * - One wrap token per field, the whole GSS_WrapEx output: for NTLM the 16-byte signature then the sealed bytes
 *   (MS-NLMP 3.4.3); for Kerberos an RFC 4121 4.2.6.2 Wrap token. Ours (gss_wrap_iov HEADER | DATA | PADDING,
 *   concatenated) carry RRC 28, as Windows' SSPI writes them; a peer using plain gss_wrap (pyspnego on MIT) sends
 *   RRC 0, which `splitKerberosWrapToken` rotates into the same layout (RFC 4121 4.2.5: receivers handle any RRC).
 */
import { ProtocolError } from "../errors.js";
import type { AuthMechanism, NegotiateChoice } from "./mechanism.js";

/** At most this many negoTokens round trips before the inner context must be complete (NTLM: 2, Kerberos: 1). */
export const MAX_INNER_ROUNDS = 4;

/** RFC 4121 4.2.6.2: TOK_ID of a Wrap token. */
const WRAP_TOKEN_ID = 0x0504;
/** RFC 4121 4.2.2 Flags: bit 1 Sealed (confidentiality). */
const FLAG_SEALED = 0x02;
const TOKEN_HEADER_BYTES = 16;
/** RFC 3961 confounder of the AES enctypes (their cipher block size). */
const CONFOUNDER_BYTES = 16;
/**
 * HMAC length of the AES-SHA1 enctypes (RFC 3962: 96 bits), the ones Active Directory and MIT issue by default. Only
 * needed to rotate an RRC 0 token; a token of another enctype then fails its integrity check, it is never misread.
 */
const AES_SHA1_CHECKSUM_BYTES = 12;

/**
 * An RFC 4121 sealed Wrap token as the addon's gss_unwrap_iov takes it (HEADER | DATA, the trailer rotated into the
 * header: MS-WSMV 2.2.9.1.2.2's layout). Accepts RRC = the trailer length (Windows, our own tokens) and RRC 0 (plain
 * gss_wrap), rotating the latter; refuses anything that is not a sealed Wrap token or whose RRC exceeds it.
 */
export function splitKerberosWrapToken(token: Uint8Array): { header: Buffer; data: Buffer } {
  const t = Buffer.from(token);
  if (t.length < TOKEN_HEADER_BYTES) throw new ProtocolError("CredSSP: a Kerberos wrap token shorter than its 16-byte header");
  if (t.readUInt16BE(0) !== WRAP_TOKEN_ID) {
    throw new ProtocolError(`CredSSP: not an RFC 4121 Wrap token (TOK_ID 0x${t.readUInt16BE(0).toString(16).padStart(4, "0")})`);
  }
  if ((t[2]! & FLAG_SEALED) === 0) throw new ProtocolError("CredSSP: the Kerberos wrap token is not encrypted (MS-CSSP 3.1.5 requires confidentiality)");
  const ec = t.readUInt16BE(4);
  let rrc = t.readUInt16BE(6);
  const body = t.subarray(TOKEN_HEADER_BYTES);
  let rotated: Buffer = t;
  if (rrc === 0) {
    // Rotate right by the trailer (filler, encrypted header copy, checksum) so it sits after the token header.
    rrc = ec + TOKEN_HEADER_BYTES + AES_SHA1_CHECKSUM_BYTES;
    if (rrc + CONFOUNDER_BYTES > body.length) throw new ProtocolError("CredSSP: the Kerberos wrap token is shorter than its trailer");
    const head = Buffer.from(t.subarray(0, TOKEN_HEADER_BYTES));
    head.writeUInt16BE(rrc, 6);
    rotated = Buffer.concat([head, body.subarray(body.length - rrc), body.subarray(0, body.length - rrc)]);
  } else if (rrc + CONFOUNDER_BYTES > body.length) {
    throw new ProtocolError(`CredSSP: the Kerberos wrap token's RRC ${rrc} exceeds its ${body.length} bytes`);
  }
  const headerLength = TOKEN_HEADER_BYTES + rrc + CONFOUNDER_BYTES;
  return { header: rotated.subarray(0, headerLength), data: rotated.subarray(headerLength) };
}

/** The inner mechanism's GSS_WrapEx output as one byte string (pubKeyAuth, authInfo). */
export function innerWrap(inner: AuthMechanism, plaintext: Uint8Array): Buffer {
  const { header, data } = inner.sealer().wrap(plaintext);
  return Buffer.concat([header, data]);
}

/** GSS_UnwrapEx of a pubKeyAuth / authInfo with the inner mechanism; a ProtocolError or DecryptError when it fails. */
export function innerUnwrap(inner: AuthMechanism, token: Uint8Array): Buffer {
  if (inner.name === "kerberos") {
    const { header, data } = splitKerberosWrapToken(token);
    return Buffer.from(inner.sealer().unwrap(header, data));
  }
  if (token.length < 16) throw new ProtocolError("CredSSP: an NTLM wrap token shorter than its 16-byte signature");
  return Buffer.from(inner.sealer().unwrap(token.subarray(0, 16), token.subarray(16)));
}

/**
 * Which inner mechanism ran and why, for the target-auth path event and `winrm-proxy probe` (never a secret): the
 * Negotiate choice when the inner context is a NegotiateMechanism, else the mechanism given.
 */
export function innerChoice(inner: AuthMechanism): NegotiateChoice | undefined {
  if (inner.negotiated !== undefined) return inner.negotiated;
  if (inner.name === "ntlm") return { chose: "ntlm", reason: "NTLM is the inner mechanism this client was given" };
  if (inner.name === "kerberos") return { chose: "kerberos", reason: "Kerberos is the inner mechanism this client was given" };
  return undefined;
}
