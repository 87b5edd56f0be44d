/**
 * NTLM acceptor (MS-NLMP 3.2) for the emulated Windows host: answers NEGOTIATE with a CHALLENGE shaped like Windows
 * Server's, verifies the NTLMv2 response, the MIC and (per CbtHardeningLevel, MS-WSMV 2.2.4.34) the channel bindings,
 * and seals with the acceptor-direction keys. NTLMv1 responses are refused, as a hardened Windows host does
 * (LmCompatibilityLevel 5).
 */
import { randomBytes as nodeRandomBytes, timingSafeEqual } from "node:crypto";
import type { ChannelBindings, MessageSealer } from "./mechanism.js";
import { sealerFrom } from "./ntlm.js";
import { AuthenticationError, ProtocolError } from "../errors.js";
import { channelBindingsMd5 } from "../wire/channelBindings.js";
import { computeMic, decryptSessionKey, fileTime, hmacMd5, ntProofStr, ntowfv2 } from "../wire/ntlm/crypto.js";
import { NegotiateFlags, hasFlag } from "../wire/ntlm/flags.js";
import {
  type AuthenticateMessage,
  type AvPair,
  AvFlags,
  AvId,
  DEFAULT_VERSION,
  MessageType,
  type NegotiateMessage,
  avString,
  decodeAuthenticate,
  decodeAvPairs,
  decodeNegotiate,
  encodeChallenge,
  findAvPair,
  ntlmMessageType,
  withZeroedMic,
} from "../wire/ntlm/messages.js";
import { NtlmSealing } from "../wire/ntlm/sealing.js";

const F = NegotiateFlags;

/** Flags a Windows acceptor echoes when the client asks for them (MS-NLMP 3.2.5.1.1). */
const ECHOED =
  (F.UNICODE |
    F.REQUEST_TARGET |
    F.SIGN |
    F.SEAL |
    F.ALWAYS_SIGN |
    F.EXTENDED_SESSIONSECURITY |
    F.VERSION |
    F.NEGOTIATE_128 |
    F.KEY_EXCH |
    F.NEGOTIATE_56 |
    F.IDENTIFY) >>>
  0;

export interface NtlmAcceptorUser {
  domain: string;
  user: string;
  password: string;
}

export interface NtlmAcceptorOptions {
  users: NtlmAcceptorUser[];
  netbiosDomain: string;
  netbiosComputer: string;
  dnsComputer: string;
  dnsDomain: string;
  /** The bindings of our own TLS certificate; undefined over plain HTTP (then CBT is never checked). */
  channelBindings?: ChannelBindings;
  /** winrm/config/service/auth CbtHardeningLevel (MS-WSMV 2.2.4.34); default "Relaxed" as on Windows. */
  cbtHardening?: "None" | "Relaxed" | "Strict";
  now?: () => Date;
  randomBytes?: (n: number) => Buffer;
}

export interface NtlmAcceptResult {
  token?: Buffer;
  complete: boolean;
  /** "DOMAIN\\user" as configured, once complete. */
  user?: string;
}

type State = "initial" | "challenged" | "complete";

export class NtlmAcceptor {
  private state: State = "initial";
  private negotiateToken: Buffer | undefined;
  private challengeToken: Buffer | undefined;
  private serverChallenge: Buffer | undefined;
  private challengeFlags = 0;
  private negotiatedFlags = 0;
  private sealing: NtlmSealing | undefined;
  private messageSealer: MessageSealer | undefined;
  private authenticatedUser: string | undefined;
  private readonly now: () => Date;
  private readonly random: (n: number) => Buffer;

  constructor(private readonly opts: NtlmAcceptorOptions) {
    this.now = opts.now ?? (() => new Date());
    this.random = opts.randomBytes ?? nodeRandomBytes;
  }

  get complete(): boolean {
    return this.state === "complete";
  }

  /** "DOMAIN\\user" once complete. */
  get user(): string | undefined {
    return this.authenticatedUser;
  }

  /** The flags of the AUTHENTICATE message, once complete. */
  get flags(): number | undefined {
    return this.sealing ? this.negotiatedFlags : undefined;
  }

  /**
   * Process one token. A NEGOTIATE (re)starts the context at any time, as http.sys lets a client re-authenticate on
   * the same connection; an AUTHENTICATE must follow our CHALLENGE. Throws AuthenticationError on any failure (and
   * forgets the half-made context).
   */
  step(token: Uint8Array): NtlmAcceptResult {
    const type = ntlmMessageType(token);
    try {
      if (type === MessageType.NEGOTIATE) return this.challenge(Buffer.from(token));
      if (type === MessageType.AUTHENTICATE) {
        if (this.state !== "challenged") throw this.fail("AUTHENTICATE", "AUTHENTICATE without a preceding CHALLENGE");
        return this.accept(Buffer.from(token));
      }
      throw this.fail("NEGOTIATE", type === undefined ? "the token is not an NTLMSSP message" : `unexpected NTLM message type ${type}`);
    } catch (e) {
      this.reset();
      if (e instanceof AuthenticationError) throw e;
      const stage = type === MessageType.AUTHENTICATE ? "AUTHENTICATE" : "NEGOTIATE";
      throw this.fail(stage, e instanceof ProtocolError ? e.message : "malformed NTLM message", e);
    }
  }

  sealer(): MessageSealer {
    if (this.state !== "complete" || !this.sealing) throw this.fail("AUTHENTICATE", "sealing requested before authentication completed");
    this.messageSealer ??= sealerFrom(this.sealing);
    return this.messageSealer;
  }

  private reset(): void {
    this.state = "initial";
    this.negotiateToken = undefined;
    this.challengeToken = undefined;
    this.serverChallenge = undefined;
    this.sealing = undefined;
    this.messageSealer = undefined;
    this.authenticatedUser = undefined;
  }

  private fail(stage: string, message: string, cause?: unknown): AuthenticationError {
    return new AuthenticationError("NTLM", stage, message, { httpStatus: 401, ...(cause !== undefined && { cause }) });
  }

  /** MS-NLMP 3.2.5.1.1: answer a NEGOTIATE with a CHALLENGE like Windows Server 2019 sends. */
  private challenge(token: Buffer): NtlmAcceptResult {
    this.reset();
    const negotiate: NegotiateMessage = decodeNegotiate(token);
    const nf = negotiate.flags;
    // UNICODE when offered, else OEM (MS-NLMP 3.2.5.1.1). python ntlm-auth (pywinrm) offers only OEM in NEGOTIATE.
    if (!hasFlag(nf, F.UNICODE) && !hasFlag(nf, F.OEM)) throw this.fail("NEGOTIATE", "the client offers neither Unicode nor OEM strings");
    if (!hasFlag(nf, F.EXTENDED_SESSIONSECURITY)) {
      throw this.fail("NEGOTIATE", "the client does not offer extended session security (NTLMv2 session security)");
    }
    const domainJoined = this.opts.netbiosDomain.toUpperCase() !== this.opts.netbiosComputer.toUpperCase();
    const flags =
      ((nf & ECHOED) |
        (hasFlag(nf, F.UNICODE) ? 0 : F.OEM) |
        F.NTLM |
        F.TARGET_INFO |
        F.VERSION |
        (domainJoined ? F.TARGET_TYPE_DOMAIN : F.TARGET_TYPE_SERVER)) >>>
      0;
    // TargetInfo in Windows' order: NbDomainName, NbComputerName, DnsDomainName, DnsComputerName, [DnsTreeName],
    // Timestamp, EOL (MS-NLMP 2.2.2.1; captures of Windows Server 2012+).
    const targetInfo: AvPair[] = [
      avString(AvId.NbDomainName, this.opts.netbiosDomain),
      avString(AvId.NbComputerName, this.opts.netbiosComputer),
      avString(AvId.DnsDomainName, this.opts.dnsDomain),
      avString(AvId.DnsComputerName, this.opts.dnsComputer),
      ...(domainJoined ? [avString(AvId.DnsTreeName, this.opts.dnsDomain)] : []),
      { id: AvId.Timestamp, value: fileTime(this.now()) },
    ];
    this.serverChallenge = this.random(8);
    this.challengeToken = encodeChallenge({
      flags,
      serverChallenge: this.serverChallenge,
      // TargetName is the domain for a domain member, else the computer (MS-NLMP 3.2.5.1.1).
      targetName: domainJoined ? this.opts.netbiosDomain : this.opts.netbiosComputer,
      targetInfo,
      version: DEFAULT_VERSION,
    });
    this.negotiateToken = token;
    this.challengeFlags = flags;
    this.state = "challenged";
    return { token: this.challengeToken, complete: false };
  }

  private findUser(auth: AuthenticateMessage): NtlmAcceptorUser | undefined {
    const eq = (a: string, b: string): boolean => a.toUpperCase() === b.toUpperCase();
    let name = auth.user;
    let domain = auth.domain;
    // A UPN (user@dns.domain) arrives as the user name with an empty domain (MS-NLMP 3.1.5.1.2 note).
    if (domain === "" && name.includes("@")) {
      const at = name.lastIndexOf("@");
      domain = name.slice(at + 1);
      name = name.slice(0, at);
    }
    const thisMachine = (d: string): boolean => d === "" || d === "." || eq(d, this.opts.netbiosComputer) || eq(d, this.opts.dnsComputer);
    const domainMatches = (u: NtlmAcceptorUser): boolean => {
      if (eq(domain, u.domain)) return true;
      // Empty or "." means "this machine / the default domain".
      if (domain === "" || domain === ".") return true;
      // A local account (configured without a domain, or under the computer name) is also named by the host's names.
      if ((u.domain === "" || eq(u.domain, this.opts.netbiosComputer)) && thisMachine(domain)) return true;
      // The DNS domain names the NetBIOS one.
      return eq(u.domain, this.opts.netbiosDomain) && eq(domain, this.opts.dnsDomain);
    };
    return this.opts.users.find((u) => eq(u.user, name) && domainMatches(u));
  }

  /** MS-NLMP 3.2.5.1.2: verify the AUTHENTICATE message. */
  private accept(token: Buffer): NtlmAcceptResult {
    const auth = decodeAuthenticate(token);
    const serverChallenge = this.serverChallenge as Buffer;
    // Errors say "unknown user name or bad password" for both cases, as Windows does (no user enumeration).
    const logonFailure = "unknown user name or bad password";
    if (auth.ntChallengeResponse.length <= 24) {
      throw this.fail("AUTHENTICATE", auth.ntChallengeResponse.length === 0 ? "anonymous NTLM is not allowed" : "NTLMv1 responses are refused; use NTLMv2");
    }
    if (!hasFlag(auth.flags, F.EXTENDED_SESSIONSECURITY)) throw this.fail("AUTHENTICATE", "extended session security was dropped");
    const user = this.findUser(auth);
    if (!user) throw this.fail("AUTHENTICATE", logonFailure);

    const proof = auth.ntChallengeResponse.subarray(0, 16);
    const temp = auth.ntChallengeResponse.subarray(16);
    if (temp.length < 32 || temp[0] !== 1 || temp[1] !== 1) throw this.fail("AUTHENTICATE", "malformed NTLMv2 response");
    // The hash uses the user and domain exactly as the client sent them (MS-NLMP 3.3.2).
    const key = ntowfv2(user.password, auth.user, auth.domain);
    const expected = ntProofStr(key, serverChallenge, temp);
    if (!timingSafeEqual(expected, proof)) throw this.fail("AUTHENTICATE", logonFailure);

    const pairs = decodeAvPairs(temp.subarray(28));
    const sessionBaseKey = hmacMd5(key, proof);
    const flags = (auth.flags & this.challengeFlags) >>> 0;
    let exported = sessionBaseKey;
    if (hasFlag(flags, F.KEY_EXCH)) {
      if (auth.encryptedRandomSessionKey.length !== 16) throw this.fail("AUTHENTICATE", "KEY_EXCH without a 16-byte EncryptedRandomSessionKey");
      exported = decryptSessionKey(sessionBaseKey, auth.encryptedRandomSessionKey);
    }

    // MIC (MS-NLMP 3.2.5.1.2): required when MsvAvFlags says it is present; the AV_PAIRs are covered by NTProofStr,
    // so a man in the middle cannot strip the flag.
    const avFlags = findAvPair(pairs, AvId.Flags);
    const micPresent = avFlags !== undefined && avFlags.length === 4 && (avFlags.readUInt32LE(0) & AvFlags.MIC_PRESENT) !== 0;
    if (micPresent) {
      if (!auth.mic) throw this.fail("AUTHENTICATE", "MsvAvFlags announces a MIC but the message has none");
      const mic = computeMic(exported, this.negotiateToken as Buffer, this.challengeToken as Buffer, withZeroedMic(token));
      if (!timingSafeEqual(mic, auth.mic)) throw this.fail("AUTHENTICATE", "the MIC does not verify: the handshake messages were altered");
    }

    this.checkChannelBindings(findAvPair(pairs, AvId.ChannelBindings));

    this.negotiatedFlags = flags;
    if (hasFlag(flags, F.SEAL) || hasFlag(flags, F.SIGN)) {
      this.sealing = new NtlmSealing({ exportedSessionKey: exported, flags, role: "acceptor" });
    } else {
      this.sealing = undefined;
    }
    this.authenticatedUser = `${user.domain || this.opts.netbiosComputer}\\${user.user}`;
    this.state = "complete";
    return { complete: true, user: this.authenticatedUser };
  }

  /**
   * Extended Protection (MS-WSMV 2.2.4.34 CbtHardeningLevel): None ignores bindings; Relaxed checks them when the
   * client sent some (16 zero bytes or none = "not supplied"); Strict requires them. Over HTTP there is nothing to bind.
   */
  private checkChannelBindings(clientHash: Buffer | undefined): void {
    const level = this.opts.cbtHardening ?? "Relaxed";
    const ours = this.opts.channelBindings;
    if (level === "None" || !ours) return;
    const supplied = clientHash !== undefined && clientHash.length === 16 && !clientHash.equals(Buffer.alloc(16));
    if (!supplied) {
      if (level === "Strict") throw this.fail("AUTHENTICATE", "channel binding token required (CbtHardeningLevel=Strict) but the client sent none");
      return;
    }
    if (!clientHash.equals(channelBindingsMd5(ours))) {
      throw this.fail("AUTHENTICATE", "channel binding token does not match this TLS channel");
    }
  }
}
