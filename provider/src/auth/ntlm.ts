/**
 * NTLM initiator (MS-NLMP 3.1), NTLMv2 only, as WinRM clients use it: raw NTLMSSP tokens under the `Negotiate`
 * HTTP scheme (MS-WSMV 2.2.9.1.1; pywinrm, WinRb and the Windows client all do this), Extended Session Security,
 * SIGN | SEAL | KEY_EXCH | 128 | 56 | VERSION, a MIC whenever the CHALLENGE carries MsvAvTimestamp, the SPN in
 * MsvAvTargetName and TLS channel bindings in MsvAvChannelBindings.
 */
import { randomBytes as nodeRandomBytes } from "node:crypto";
import { AuthenticationError, ProtocolError } from "../errors.js";
import { channelBindingsMd5 } from "../wire/channelBindings.js";
import {
  computeMic,
  computeNtlmv2Response,
  encryptSessionKey,
  fileTime,
  ntlmv2Temp,
  ntowfv2,
} from "../wire/ntlm/crypto.js";
import { NegotiateFlags, hasFlag } from "../wire/ntlm/flags.js";
import {
  AUTHENTICATE_MIC_OFFSET,
  type AvPair,
  AvFlags,
  AvId,
  type ChallengeMessage,
  DEFAULT_VERSION,
  avString,
  decodeChallenge,
  encodeAuthenticate,
  encodeAvPairs,
  encodeNegotiate,
  findAvPair,
} from "../wire/ntlm/messages.js";
import { NtlmSealing } from "../wire/ntlm/sealing.js";
import {
  type AuthMechanism,
  type Credentials,
  type MessageSealer,
  SPNEGO_ENCRYPTED_PROTOCOL,
  type StepInput,
  splitUsername,
} from "./mechanism.js";

export { SPNEGO_ENCRYPTED_PROTOCOL } from "./mechanism.js";

const F = NegotiateFlags;

/**
 * Our NEGOTIATE flags: the set pyspnego sends (0xE2088237), the Windows client's minus LM_KEY (MS-NLMP 2.2.2.5;
 * MS-NLMP 2.2.2.5). OEM is offered alongside UNICODE as Windows does; the server picks UNICODE.
 */
export const INITIATOR_FLAGS =
  (F.UNICODE |
    F.OEM |
    F.REQUEST_TARGET |
    F.SIGN |
    F.SEAL |
    F.NTLM |
    F.ALWAYS_SIGN |
    F.EXTENDED_SESSIONSECURITY |
    F.VERSION |
    F.NEGOTIATE_128 |
    F.KEY_EXCH |
    F.NEGOTIATE_56) >>>
  0;

/** Flags we may carry into AUTHENTICATE, when the server granted them (MS-NLMP 3.1.5.1.2). */
const AUTHENTICATE_MASK =
  (F.UNICODE |
    F.REQUEST_TARGET |
    F.SIGN |
    F.SEAL |
    F.NTLM |
    F.ALWAYS_SIGN |
    F.EXTENDED_SESSIONSECURITY |
    F.TARGET_INFO |
    F.VERSION |
    F.NEGOTIATE_128 |
    F.KEY_EXCH |
    F.NEGOTIATE_56) >>>
  0;

export interface NtlmMechanismOptions {
  credentials: Credentials;
  /** HTTP auth-scheme; default "Negotiate" (WinRM takes raw NTLMSSP under Negotiate). Proxies often use "NTLM". */
  scheme?: "Negotiate" | "NTLM";
  /** MsvAvTargetName, e.g. "HTTP/host.example.com" (the caller knows the host). Omitted when not given. */
  spn?: string;
  /** Workstation name sent in AUTHENTICATE; default empty (allowed by MS-NLMP 2.2.1.3). */
  workstation?: string;
  now?: () => Date;
  randomBytes?: (n: number) => Buffer;
  /**
   * Whether the context must be able to sign and seal (default true: WinRM seals messages with it). A proxy only
   * authenticates the connection, so the proxy layer passes false: MS-NLMP 3.1.5.1.2 requires the server's
   * MsvAvNbComputerName/MsvAvNbDomainName only "if either Integrity is TRUE or Confidentiality is TRUE", so an NTLMv2
   * response over an empty TargetInfo is allowed then (squid's ntlm_fake_auth sends no TargetInfo).
   */
  sessionSecurity?: boolean;
}

type Stage = "NEGOTIATE" | "CHALLENGE" | "complete";

export class NtlmMechanism implements AuthMechanism {
  readonly name = "ntlm" as const;
  readonly scheme: string;
  private state: Stage = "NEGOTIATE";
  private negotiateToken: Buffer | undefined;
  private negotiatedFlags = 0;
  private exportedSessionKey: Buffer | undefined;
  private messageSealer: MessageSealer | undefined;
  private readonly now: () => Date;
  private readonly random: (n: number) => Buffer;

  constructor(private readonly opts: NtlmMechanismOptions) {
    this.scheme = opts.scheme ?? "Negotiate";
    this.now = opts.now ?? (() => new Date());
    this.random = opts.randomBytes ?? nodeRandomBytes;
  }

  get complete(): boolean {
    return this.state === "complete";
  }

  get stage(): string {
    return this.state;
  }

  /** True until a completed handshake turns out not to have SEAL (only then is sealing impossible). */
  get canSeal(): boolean {
    return this.state !== "complete" || hasFlag(this.negotiatedFlags, F.SEAL);
  }

  /** The flags carried in AUTHENTICATE (0 before then). */
  get flags(): number {
    return this.negotiatedFlags;
  }

  async step(input: StepInput): Promise<Uint8Array | undefined> {
    switch (this.state) {
      case "NEGOTIATE": {
        this.negotiateToken = encodeNegotiate({ flags: INITIATOR_FLAGS, version: DEFAULT_VERSION });
        this.state = "CHALLENGE";
        return this.negotiateToken;
      }
      case "CHALLENGE": {
        if (!input.token || input.token.length === 0) {
          throw this.fail("the server answered without an NTLM CHALLENGE token");
        }
        const token = this.authenticate(Buffer.from(input.token), input);
        this.state = "complete";
        return token;
      }
      case "complete":
        return undefined;
    }
  }

  sealer(): MessageSealer {
    if (this.state !== "complete" || !this.exportedSessionKey) {
      throw new AuthenticationError("NTLM", this.state, "message sealing requested before the handshake completed");
    }
    if (!hasFlag(this.negotiatedFlags, F.SEAL)) {
      throw new AuthenticationError("NTLM", "AUTHENTICATE", "the server did not agree to NTLM sealing (no NEGOTIATE_SEAL)");
    }
    // One sealer per context: both directions' RC4 keystreams and sequence numbers live in it (MS-NLMP 3.4.3).
    if (!this.messageSealer) {
      const sealing = new NtlmSealing({ exportedSessionKey: this.exportedSessionKey, flags: this.negotiatedFlags, role: "initiator" });
      this.messageSealer = sealerFrom(sealing);
    }
    return this.messageSealer;
  }

  fresh(): NtlmMechanism {
    return new NtlmMechanism(this.opts);
  }

  private fail(message: string, cause?: unknown): AuthenticationError {
    return new AuthenticationError("NTLM", "CHALLENGE", message, cause === undefined ? undefined : { cause });
  }

  /** MS-NLMP 3.1.5.1.2: process the CHALLENGE and build the AUTHENTICATE message. */
  private authenticate(challengeToken: Buffer, input: StepInput): Buffer {
    let challenge: ChallengeMessage;
    try {
      challenge = decodeChallenge(challengeToken);
    } catch (e) {
      throw this.fail(`malformed CHALLENGE message: ${e instanceof ProtocolError ? e.message : String(e)}`, e);
    }
    const cf = challenge.flags;
    if (!hasFlag(cf, F.UNICODE)) throw this.fail("the server does not support Unicode NTLM (NEGOTIATE_UNICODE)");
    // NTLMv2 needs the server's TargetInfo (MS-NLMP 3.1.5.1.2); without ESS the session security would be NTLMv1-style.
    const sessionSecurity = this.opts.sessionSecurity ?? true;
    if (sessionSecurity && (!hasFlag(cf, F.TARGET_INFO) || !challenge.targetInfo)) {
      throw this.fail("the server's CHALLENGE has no TargetInfo, so it does not support NTLMv2; refusing NTLMv1");
    }
    const targetInfo = challenge.targetInfo ?? [];
    if (!hasFlag(cf, F.EXTENDED_SESSIONSECURITY)) {
      throw this.fail("the server refused NTLM extended session security (NEGOTIATE_EXTENDED_SESSIONSECURITY)");
    }
    const flags = (cf & AUTHENTICATE_MASK & (INITIATOR_FLAGS | F.TARGET_INFO)) >>> 0;

    const { user, domain } = splitUsername(this.opts.credentials.username, this.opts.credentials.domain);
    const serverTimestamp = findAvPair(targetInfo, AvId.Timestamp);
    const sendMic = serverTimestamp !== undefined && serverTimestamp.length === 8;

    // temp's AV_PAIRs: the server's, plus MsvAvFlags(MIC), MsvAvChannelBindings, MsvAvTargetName (MS-NLMP 3.1.5.1.2).
    const pairs: AvPair[] = [];
    let avFlags = 0;
    for (const p of targetInfo) {
      if (p.id === AvId.Flags && p.value.length === 4) avFlags = p.value.readUInt32LE(0);
      else if (p.id !== AvId.ChannelBindings && p.id !== AvId.TargetName) pairs.push(p);
    }
    if (sendMic) avFlags |= AvFlags.MIC_PRESENT;
    if (avFlags !== 0) {
      const v = Buffer.alloc(4);
      v.writeUInt32LE(avFlags >>> 0);
      pairs.push({ id: AvId.Flags, value: v });
    }
    // Windows clients always send the binding hash, 16 zeros without TLS ("no bindings").
    pairs.push({ id: AvId.ChannelBindings, value: channelBindingsMd5(input.channelBindings) });
    if (this.opts.spn !== undefined) pairs.push(avString(AvId.TargetName, this.opts.spn));

    const timestamp = sendMic ? serverTimestamp : fileTime(this.now());
    const clientChallenge = this.random(8);
    const ntowf = ntowfv2(this.opts.credentials.password, user, domain);
    const temp = ntlmv2Temp(timestamp, clientChallenge, encodeAvPairs(pairs));
    const resp = computeNtlmv2Response({ ntowfv2: ntowf, serverChallenge: challenge.serverChallenge, clientChallenge, temp });

    // KeyExchangeKey = SessionBaseKey for NTLMv2 (MS-NLMP 3.4.5.1).
    let exported: Buffer = resp.sessionBaseKey;
    let encryptedKey: Buffer = Buffer.alloc(0);
    if (hasFlag(flags, F.KEY_EXCH)) {
      exported = this.random(16);
      encryptedKey = encryptSessionKey(resp.sessionBaseKey, exported);
    }

    const message = encodeAuthenticate({
      flags,
      // With a MIC the LMv2 response is 24 zero bytes (MS-NLMP 3.1.5.1.2).
      lmChallengeResponse: sendMic ? Buffer.alloc(24) : resp.lmChallengeResponse,
      ntChallengeResponse: resp.ntChallengeResponse,
      domain,
      user,
      workstation: this.opts.workstation ?? "",
      encryptedRandomSessionKey: encryptedKey,
      ...(hasFlag(flags, F.VERSION) && { version: DEFAULT_VERSION }),
      ...(sendMic && { mic: Buffer.alloc(16) }),
    });
    if (sendMic) {
      const mic = computeMic(exported, this.negotiateToken ?? Buffer.alloc(0), challengeToken, message);
      mic.copy(message, AUTHENTICATE_MIC_OFFSET);
    }
    this.negotiatedFlags = flags;
    this.exportedSessionKey = exported;
    return message;
  }
}

/** Adapts NtlmSealing to the MessageSealer of MS-WSMV 2.2.9.1.1: header = 16-byte signature, data = sealed bytes. */
export function sealerFrom(sealing: NtlmSealing): MessageSealer {
  return {
    protocol: SPNEGO_ENCRYPTED_PROTOCOL,
    wrap(plaintext: Uint8Array) {
      const { signature, sealed } = sealing.seal(plaintext);
      return { header: signature, data: sealed };
    },
    // In place: `data` is the sealed part of a body nobody reads again (wire/multipart.ts hands out views), so the
    // plaintext needs no buffer of its own.
    unwrap(header: Uint8Array, data: Uint8Array) {
      return sealing.unseal(header, data, data);
    },
  };
}
