/**
 * CredSSP initiator (MS-CSSP 3.1.5) for WinRM: a TLS 1.2 session held in memory whose records travel base64 under
 * the `CredSSP` HTTP scheme (MS-WSMV 2.2.9.1), inside it TSRequest messages (wire/credssp/messages.ts) carrying
 * an inner SPNEGO exchange that negotiates Kerberos or NTLM (auth/credsspInner.ts: Kerberos in SPNEGO when a ticket
 * can be had, raw NTLMSSP otherwise, as requests-credssp and pyspnego send it), then the public-key binding that
 * authenticates the host's TLS key, then the user's password (TSCredentials) encrypted with the inner context: the
 * host receives the password (credential delegation).
 *
 * Versions (MS-CSSP 2.2.1, 3.1.5): we send version 6. When the host answers 5 or more, pubKeyAuth is
 * Encrypt(SHA-256("CredSSP Client-To-Server Binding Hash\0" || clientNonce || SubjectPublicKey)) and the host proves
 * itself with the "Server-To-Client" hash; with 2-4 it is Encrypt(SubjectPublicKey) and the host answers the key with
 * its first byte incremented. "Encrypt" is GSS_WrapEx with the inner context: for NTLM the 16-byte signature followed
 * by the sealed bytes, for Kerberos an RFC 4121 Wrap token (auth/credsspInner.ts).
 *
 * The 2-4 binding is what CVE-2018-0886 exploited (MS-CSSP 3.1.5: version 5 added the nonce and the hashes to fix
 * it). As Windows' clients do since that update (the "Encryption Oracle Remediation" policy at its default,
 * "Mitigated"), a host answering below PATCHED_CREDSSP_VERSION is refused when its first TSRequest is read, before
 * any further token, pubKeyAuth or credential is sent, unless `allowUnpatchedHosts` (Windows' "Vulnerable").
 */
import { createHash, randomBytes as nodeRandomBytes, timingSafeEqual } from "node:crypto";
import { AuthenticationError, ProtocolError } from "../errors.js";
import {
  CREDSSP_VERSION,
  CRED_TYPE_PASSWORD,
  decodeTSRequest,
  encodeTSCredentials,
  encodeTSPasswordCreds,
  encodeTSRequest,
  MAX_TSREQUEST_BYTES,
  type TSRequest,
} from "../wire/credssp/messages.js";
import { completeElementLength } from "../wire/credssp/der.js";
import { MemoryTls, subjectPublicKey } from "./credsspTls.js";
import { innerChoice, innerUnwrap, innerWrap, MAX_INNER_ROUNDS } from "./credsspInner.js";
import { CredSSPRecordSealer } from "./credsspSealer.js";
import {
  type AuthMechanism,
  type Credentials,
  type MessageSealer,
  type NegotiateChoice,
  type StepInput,
  splitUsername,
} from "./mechanism.js";
import { NtlmMechanism } from "./ntlm.js";

export const CLIENT_TO_SERVER_HASH_MAGIC = "CredSSP Client-To-Server Binding Hash\0";
export const SERVER_TO_CLIENT_HASH_MAGIC = "CredSSP Server-To-Client Binding Hash\0";
/** NTSTATUS the host returns in TSRequest.errorCode for a bad user name or password (MS-ERREF 2.3.1). */
export const STATUS_LOGON_FAILURE = 0xc000006d;
/** The first CredSSP version with the CVE-2018-0886 fix (clientNonce and the SHA-256 binding, MS-CSSP 3.1.5). */
export const PATCHED_CREDSSP_VERSION = 5;

/** Why CredSSP refused: all are AuthenticationError (WINRM_AUTH_FAILED) with this `reason`. */
export type CredSSPFailure = "logon-failure" | "public-key-mismatch" | "version-mismatch" | "unpatched-host";

export class CredSSPError extends AuthenticationError {
  readonly reason: CredSSPFailure;
  constructor(reason: CredSSPFailure, stage: string, message: string, options?: { cause?: unknown }) {
    super("CredSSP", stage, message, options);
    this.reason = reason;
  }
}
/**
 * The host refused the user name or password (its TSRequest.errorCode), or the inner exchange failed (the KDC refused
 * the password, the host's AP-REP or NTLM CHALLENGE was refused).
 */
export class CredSSPLogonError extends CredSSPError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("logon-failure", "negoTokens", message, options);
  }
}
/** The host's pubKeyAuth does not bind the TLS key this client saw: a different host, or someone in the middle. */
export class CredSSPPublicKeyError extends CredSSPError {
  constructor(message: string) {
    super("public-key-mismatch", "pubKeyAuth", message);
  }
}
/**
 * The host speaks a CredSSP version this client does not (below 2, `version-mismatch`), or one without the
 * CVE-2018-0886 fix (2-4, `unpatched-host`) while `auth.credsspAllowUnpatchedHosts` is not set.
 */
export class CredSSPVersionError extends CredSSPError {
  /** The version the host's TSRequest announced. */
  readonly hostVersion: number;
  constructor(message: string, hostVersion: number, reason: "version-mismatch" | "unpatched-host" = "version-mismatch") {
    super(reason, "version", message);
    this.hostVersion = hostVersion;
  }
}

export interface CredSSPMechanismOptions {
  credentials: Credentials;
  /** Name sent in the TLS SNI of the inner session (the host name). */
  servername?: string;
  spn?: string;
  randomBytes?: (n: number) => Buffer;
  /** Highest version to announce; default 6. Tests lower it to exercise the 2-4 binding. */
  version?: number;
  /**
   * Accept a host below version 5 and use the 2-4 binding CVE-2018-0886 exploited (auth.credsspAllowUnpatchedHosts;
   * Windows' "Encryption Oracle Remediation" policy at "Vulnerable"). Default false: such a host is refused.
   */
  allowUnpatchedHosts?: boolean;
  /**
   * The inner context's prototype (each CredSSP context uses a `fresh()` copy): auth/index.ts gives a
   * NegotiateMechanism (Kerberos or NTLM, auth/credsspInner.ts). Default: NTLM alone.
   */
  inner?: AuthMechanism;
}

type Stage = "TLS" | "negoTokens" | "pubKeyAuth" | "complete";

/** Read one whole DER TSRequest from buffered TLS plaintext; undefined while it is still incomplete. */
export function takeTSRequest(buffered: Buffer): { request: TSRequest; rest: Buffer } | undefined {
  if (buffered.length > MAX_TSREQUEST_BYTES) throw new ProtocolError(`CredSSP: TSRequest over ${MAX_TSREQUEST_BYTES} bytes`);
  const total = completeElementLength(buffered);
  if (total === undefined) return undefined;
  return { request: decodeTSRequest(buffered.subarray(0, total)), rest: buffered.subarray(total) };
}

export function bindingHash(magic: string, nonce: Uint8Array, key: Uint8Array): Buffer {
  return createHash("sha256").update(magic, "latin1").update(nonce).update(key).digest();
}

/** "Kerberos" / "NTLM" for the inner mechanism's name, for messages. */
function mechanismTitle(name: string): string {
  return name === "kerberos" ? "Kerberos" : name === "ntlm" ? "NTLM" : "SPNEGO";
}

export class CredSSPMechanism implements AuthMechanism {
  readonly name = "credssp" as const;
  readonly scheme = "CredSSP";
  /** Seals with its TLS session over http:// (MS-WSMV 2.2.9.1.3): recordSealer(), auth/credsspSealer.ts. */
  readonly canSeal = true;
  private records: CredSSPRecordSealer | undefined;
  private state: Stage = "TLS";
  private readonly tls: MemoryTls;
  private readonly inner: AuthMechanism;
  private innerRounds = 0;
  private readonly random: (n: number) => Buffer;
  private readonly version: number;
  private buffered: Buffer = Buffer.alloc(0);
  private serverVersion = 0;
  private nonce: Buffer | undefined;
  private hostKey: Buffer | undefined;

  constructor(private readonly opts: CredSSPMechanismOptions) {
    this.random = opts.randomBytes ?? nodeRandomBytes;
    this.version = opts.version ?? CREDSSP_VERSION;
    this.tls = new MemoryTls({ isServer: false, ...(opts.servername !== undefined && { servername: opts.servername }) });
    this.inner =
      opts.inner?.fresh() ??
      new NtlmMechanism({
        credentials: opts.credentials,
        ...(opts.spn !== undefined && { spn: opts.spn }),
        ...(opts.randomBytes !== undefined && { randomBytes: opts.randomBytes }),
      });
  }

  get complete(): boolean {
    return this.state === "complete";
  }

  get stage(): string {
    return this.state;
  }

  /** The inner mechanism used on this context and why (Kerberos or NTLM; undefined before it started). */
  get negotiated(): NegotiateChoice | undefined {
    return this.inner.complete || this.innerRounds > 0 ? innerChoice(this.inner) : undefined;
  }

  /** The version the host announced (0 before its first TSRequest). */
  get negotiatedVersion(): number {
    return this.serverVersion;
  }

  async step(input: StepInput): Promise<Uint8Array | undefined> {
    switch (this.state) {
      case "TLS": {
        const out = await this.tls.exchange(input.token);
        if (!this.tls.secure) return out;
        const cert = this.tls.peerCertificate();
        if (!cert) throw new CredSSPPublicKeyError("the host's TLS session presented no certificate");
        this.hostKey = subjectPublicKey(cert);
        this.state = "negoTokens";
        const first = await this.innerStep(undefined);
        if (!first) throw new AuthenticationError("CredSSP", this.state, "the inner mechanism produced no first token");
        const more = await this.send({ version: this.version, negoTokens: [first] });
        return Buffer.concat([out, more]);
      }
      case "negoTokens": {
        const reply = await this.receive(input.token);
        this.checkVersion(reply);
        const token = reply.negoTokens?.[0];
        if (!token) throw new AuthenticationError("CredSSP", this.state, `the host's TSRequest carries no ${this.innerName} token`);
        // NTLM: CHALLENGE -> AUTHENTICATE (sent with pubKeyAuth). Kerberos: AP-REP -> complete, nothing more to send.
        const next = await this.innerStep(token);
        if (!this.inner.complete) {
          if (!next) throw new AuthenticationError("CredSSP", this.state, `the inner ${this.innerName} exchange stalled`);
          if (this.innerRounds >= MAX_INNER_ROUNDS) {
            throw new AuthenticationError("CredSSP", this.state, `the inner ${this.innerName} exchange took over ${MAX_INNER_ROUNDS} round trips`);
          }
          return this.send({ version: this.version, negoTokens: [next] });
        }
        const key = this.hostKey!;
        let binding: Buffer;
        if (Math.min(this.version, this.serverVersion) >= 5) {
          this.nonce = this.random(32);
          binding = bindingHash(CLIENT_TO_SERVER_HASH_MAGIC, this.nonce, key);
        } else {
          binding = key;
        }
        this.state = "pubKeyAuth";
        return this.send({
          version: this.version,
          ...(next !== undefined && next.length > 0 && { negoTokens: [next] }),
          pubKeyAuth: this.wrap(binding),
          ...(this.nonce !== undefined && { clientNonce: this.nonce }),
        });
      }
      case "pubKeyAuth": {
        const reply = await this.receive(input.token);
        this.checkVersion(reply);
        if (!reply.pubKeyAuth) throw new CredSSPPublicKeyError("the host answered without its pubKeyAuth");
        let got: Buffer;
        try {
          got = this.unwrap(reply.pubKeyAuth);
        } catch (e) {
          throw new CredSSPPublicKeyError(`the host's pubKeyAuth does not decrypt with the ${this.innerName} context (${(e as Error).message})`);
        }
        const key = this.hostKey!;
        let expected: Buffer;
        if (this.nonce !== undefined) {
          expected = bindingHash(SERVER_TO_CLIENT_HASH_MAGIC, this.nonce, key);
        } else {
          expected = Buffer.from(key);
          expected[0] = (expected[0]! + 1) & 0xff;
        }
        if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
          throw new CredSSPPublicKeyError(
            "the host's pubKeyAuth does not bind the TLS public key this client saw (MS-CSSP 3.1.5): another host or a man in the middle",
          );
        }
        const { user, domain } = splitUsername(this.opts.credentials.username, this.opts.credentials.domain);
        const creds = encodeTSCredentials({
          credType: CRED_TYPE_PASSWORD,
          credentials: encodeTSPasswordCreds({ domainName: domain, userName: user, password: this.opts.credentials.password }),
        });
        this.state = "complete";
        return this.send({ version: this.version, authInfo: this.wrap(creds) });
      }
      case "complete":
        return undefined;
    }
  }

  private checkVersion(reply: TSRequest): void {
    if (reply.errorCode !== undefined) {
      const status = (reply.errorCode >>> 0).toString(16).padStart(8, "0");
      if (reply.errorCode >>> 0 === STATUS_LOGON_FAILURE) throw new CredSSPLogonError("the host refused the user name or password (STATUS_LOGON_FAILURE)");
      throw new CredSSPLogonError(`the host refused the CredSSP logon (NTSTATUS 0x${status})`);
    }
    if (reply.version < 2) throw new CredSSPVersionError(`the host speaks CredSSP version ${reply.version}; this client needs 2 to 6`, reply.version);
    if (this.serverVersion !== 0 && reply.version !== this.serverVersion) {
      throw new CredSSPVersionError(`the host changed its CredSSP version from ${this.serverVersion} to ${reply.version} mid-handshake`, reply.version);
    }
    const effective = Math.min(this.version, reply.version);
    if (effective < PATCHED_CREDSSP_VERSION && this.opts.allowUnpatchedHosts !== true) {
      // Checked on the host's first TSRequest: nothing more (no AUTHENTICATE, pubKeyAuth or TSCredentials) is sent.
      const announced = effective < reply.version ? `; this client announced ${this.version}, so version ${effective} would be used` : "";
      throw new CredSSPVersionError(
        `the host speaks CredSSP version ${reply.version}${announced}: below ${PATCHED_CREDSSP_VERSION}, without the fix for ` +
          "CVE-2018-0886, whose public-key binding can be exploited, so nothing more was sent (as Windows' clients refuse it " +
          'under the "Encryption Oracle Remediation" policy\'s default, "Mitigated"); update the host, or turn on ' +
          "auth.credsspAllowUnpatchedHosts to accept it anyway (docs/credssp.md)",
        reply.version,
        "unpatched-host",
      );
    }
    this.serverVersion = reply.version;
  }

  /** "Kerberos" or "NTLM" once the inner context started, for messages. */
  private get innerName(): string {
    return mechanismTitle(this.inner.name);
  }

  /** One inner step; its refusals (the KDC refused the password, the AP-REP was refused) are CredSSPLogonError. */
  private async innerStep(token: Uint8Array | undefined): Promise<Uint8Array | undefined> {
    this.innerRounds++;
    try {
      return await this.inner.step({ token, channelBindings: undefined });
    } catch (e) {
      if (!(e instanceof AuthenticationError)) throw e;
      // Before the first step succeeds the inner Negotiate has no mechanism yet: the failing one names itself.
      const name = this.inner.name === "negotiate" ? mechanismTitle(e.mechanism) : this.innerName;
      throw new CredSSPLogonError(`the inner ${name} logon failed: ${e.message}`, { cause: e });
    }
  }

  private wrap(plain: Uint8Array): Buffer {
    return innerWrap(this.inner, plain);
  }

  private unwrap(sealed: Uint8Array): Buffer {
    return innerUnwrap(this.inner, sealed);
  }

  private async send(req: TSRequest): Promise<Buffer> {
    return this.tls.exchange(undefined, encodeTSRequest(req));
  }

  private async receive(records: Uint8Array | undefined): Promise<TSRequest> {
    if (!records || records.length === 0) {
      throw new CredSSPLogonError(`the host ended the CredSSP exchange at ${this.state} without a reply (it refused the logon)`);
    }
    await this.tls.exchange(records);
    this.buffered = Buffer.concat([this.buffered, this.tls.takePlaintext()]);
    const got = takeTSRequest(this.buffered);
    if (!got) throw new ProtocolError(`CredSSP: the host's TSRequest at ${this.state} is incomplete`);
    this.buffered = got.rest;
    return got.request;
  }

  /** CredSSP seals asynchronously (Node's TLS): its sealer is recordSealer(). */
  sealer(): MessageSealer {
    throw new AuthenticationError("CredSSP", this.state, "CredSSP seals with TLS records: use recordSealer()");
  }

  /** Sealing over http:// (MS-WSMV 2.2.9.1.3): TLS application data of this session, once complete. */
  recordSealer(): CredSSPRecordSealer {
    if (!this.complete) throw new AuthenticationError("CredSSP", this.state, "the CredSSP context is not complete: nothing to seal with");
    return (this.records ??= new CredSSPRecordSealer(this.tls));
  }

  /** The in-memory TLS session, for message sealing. */
  get session(): MemoryTls {
    return this.tls;
  }

  fresh(): CredSSPMechanism {
    return new CredSSPMechanism(this.opts);
  }

  dispose(): void {
    this.tls.destroy();
    this.inner.dispose?.();
  }
}
