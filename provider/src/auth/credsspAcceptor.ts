/**
 * The emulated host's CredSSP acceptor (MS-CSSP 3.2.5): TLS 1.2 in memory with the emulator's own certificate, the
 * inner exchange by NtlmAcceptor or, with the host's keytab, KerberosAcceptor (auth/credsspInnerAcceptor.ts), the
 * public-key binding of both generations (SHA-256 hashes with the client
 * nonce for 5+, the key and key+1 for 2-4), then TSCredentials decrypted and the password checked against the host's
 * users. Scenario knobs: `maxVersion` (4 makes the host an old one, unpatched for CVE-2018-0886: the client refuses it unless allowed), `bindOtherKey`
 * (the host answers with the binding of another key, as a man in the middle with its own certificate would) and
 * `tlsCiphers` (the suites its TLS end accepts). Over http:// `sealer()` is the host's side of the message encryption.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { AuthenticationError } from "../errors.js";
import { MemoryTls, subjectPublicKey } from "./credsspTls.js";
import { CredSSPRecordSealer } from "./credsspSealer.js";
import {
  bindingHash,
  CLIENT_TO_SERVER_HASH_MAGIC,
  SERVER_TO_CLIENT_HASH_MAGIC,
  STATUS_LOGON_FAILURE,
  takeTSRequest,
} from "./credssp.js";
import {
  CREDSSP_VERSION,
  CRED_TYPE_PASSWORD,
  decodeTSCredentials,
  decodeTSPasswordCreds,
  encodeTSRequest,
  type TSRequest,
} from "../wire/credssp/messages.js";
import { X509Certificate } from "node:crypto";
import type { NtlmAcceptorOptions, NtlmAcceptorUser } from "./ntlmAcceptor.js";
import { CredSSPInnerAcceptor } from "./credsspInnerAcceptor.js";
import { MAX_INNER_ROUNDS } from "./credsspInner.js";

export interface CredSSPAcceptorOptions {
  readonly ntlm: NtlmAcceptorOptions;
  /** The host's keytab: Kerberos (SPNEGO or raw krb5) is then accepted inside CredSSP as well as NTLM. */
  readonly keytab?: string | undefined;
  readonly certPem: string;
  readonly keyPem: string;
  /** Highest CredSSP version the host speaks; default 6. */
  readonly maxVersion?: number;
  /** Answer with the binding of another public key (a mismatched key, for the client's refusal). */
  readonly bindOtherKey?: boolean;
  /** OpenSSL cipher list of the host's CredSSP TLS end (e.g. CBC suites only, as older Schannel picks). */
  readonly tlsCiphers?: string;
}

export interface CredSSPAcceptResult {
  /** TLS records to send back (base64 in WWW-Authenticate). */
  readonly token?: Buffer;
  readonly complete: boolean;
  /** The host refused: send the token (if any) with a 401 and forget the context. */
  readonly failed?: string;
  /** "DOMAIN\\user", once complete. */
  readonly user?: string;
}

type State = "TLS" | "negoTokens" | "authInfo" | "complete";

export class CredSSPAcceptor {
  private state: State = "TLS";
  private readonly tls: MemoryTls;
  private readonly inner: CredSSPInnerAcceptor;
  private innerRounds = 0;
  private readonly version: number;
  private readonly key: Buffer;
  private buffered: Buffer = Buffer.alloc(0);
  private clientVersion = 0;
  private nonce: Uint8Array | undefined;
  private authenticatedUser: string | undefined;
  private records: CredSSPRecordSealer | undefined;
  /** The TSRequest fields the client sent so far (tests check that a refusing client sent no pubKeyAuth or authInfo). */
  readonly fieldsSeen = new Set<"negoTokens" | "pubKeyAuth" | "clientNonce" | "authInfo">();

  constructor(private readonly opts: CredSSPAcceptorOptions) {
    this.tls = new MemoryTls({ isServer: true, certPem: opts.certPem, keyPem: opts.keyPem, ...(opts.tlsCiphers !== undefined && { ciphers: opts.tlsCiphers }) });
    this.inner = new CredSSPInnerAcceptor({ ntlm: opts.ntlm, keytab: opts.keytab });
    this.key = subjectPublicKey(new X509Certificate(opts.certPem));
    this.version = opts.maxVersion ?? CREDSSP_VERSION;
  }

  get complete(): boolean {
    return this.state === "complete";
  }

  get user(): string | undefined {
    return this.authenticatedUser;
  }

  async step(records: Uint8Array): Promise<CredSSPAcceptResult> {
    let out = await this.tls.exchange(records);
    if (!this.tls.secure) return { token: out, complete: false };
    this.buffered = Buffer.concat([this.buffered, this.tls.takePlaintext()]);
    if (this.state === "TLS") this.state = "negoTokens";
    const got = takeTSRequest(this.buffered);
    if (!got) return { token: out, complete: false };
    this.buffered = got.rest;
    const req = got.request;
    try {
      const reply = this.process(req);
      if (reply) out = Buffer.concat([out, await this.tls.exchange(undefined, encodeTSRequest(reply))]);
      return { token: out, complete: this.complete, ...(this.authenticatedUser !== undefined && { user: this.authenticatedUser }) };
    } catch (e) {
      const why = e instanceof AuthenticationError ? e.message : String(e);
      // MS-CSSP 3.1.5 (version 3+): the server returns the NTSTATUS in TSRequest.errorCode.
      const error = await this.tls.exchange(undefined, encodeTSRequest({ version: this.version, errorCode: STATUS_LOGON_FAILURE | 0 }));
      this.state = "TLS";
      return { token: Buffer.concat([out, error]), complete: false, failed: why };
    }
  }

  private process(req: TSRequest): TSRequest | undefined {
    this.clientVersion = req.version;
    for (const field of ["negoTokens", "pubKeyAuth", "clientNonce", "authInfo"] as const) if (req[field] !== undefined) this.fieldsSeen.add(field);
    const version = Math.min(this.version, req.version);
    switch (this.state) {
      case "negoTokens": {
        // NTLM: NEGOTIATE -> CHALLENGE, then AUTHENTICATE with pubKeyAuth. Kerberos: AP-REQ -> AP-REP (complete), then
        // pubKeyAuth alone (MS-CSSP 3.1.5).
        const token = req.negoTokens?.[0];
        let innerToken: Buffer = Buffer.alloc(0);
        if (token !== undefined && token.length > 0 && !this.inner.complete) {
          if (++this.innerRounds > MAX_INNER_ROUNDS) throw new AuthenticationError("CredSSP", this.state, "too many negoTokens round trips");
          innerToken = this.inner.step(token).token;
        } else if (!this.inner.complete) {
          throw new AuthenticationError("CredSSP", this.state, "no inner authentication token in negoTokens");
        }
        if (!req.pubKeyAuth) {
          if (innerToken.length === 0) throw new AuthenticationError("CredSSP", this.state, "no pubKeyAuth");
          return { version: this.version, negoTokens: [innerToken] };
        }
        if (!this.inner.complete) throw new AuthenticationError("CredSSP", this.state, `pubKeyAuth before the inner ${this.inner.mechanism ?? ""} exchange completed`);
        const got = this.inner.unwrap(req.pubKeyAuth);
        const key = this.opts.bindOtherKey ? Buffer.from(createHash("sha256").update(this.key).digest()) : this.key;
        let expected: Buffer;
        let answer: Buffer;
        if (version >= 5) {
          if (!req.clientNonce) throw new AuthenticationError("CredSSP", this.state, "version 5+ without clientNonce");
          this.nonce = req.clientNonce;
          expected = bindingHash(CLIENT_TO_SERVER_HASH_MAGIC, this.nonce, this.key);
          answer = bindingHash(SERVER_TO_CLIENT_HASH_MAGIC, this.nonce, key);
        } else {
          expected = this.key;
          answer = Buffer.from(key);
          answer[0] = (answer[0]! + 1) & 0xff;
        }
        if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
          throw new AuthenticationError("CredSSP", this.state, "the client's pubKeyAuth does not bind our TLS key");
        }
        this.state = "authInfo";
        return { version: this.version, ...(innerToken.length > 0 && { negoTokens: [innerToken] }), pubKeyAuth: this.inner.wrap(answer) };
      }
      case "authInfo": {
        if (!req.authInfo) throw new AuthenticationError("CredSSP", this.state, "no authInfo");
        const plain = this.inner.unwrap(req.authInfo);
        const creds = decodeTSCredentials(plain);
        if (creds.credType !== CRED_TYPE_PASSWORD) throw new AuthenticationError("CredSSP", this.state, "only password credentials");
        const pw = decodeTSPasswordCreds(creds.credentials);
        const known = this.findUser(pw.userName, pw.domainName);
        if (!known || known.password !== pw.password) {
          throw new AuthenticationError("CredSSP", this.state, "the delegated credentials do not match a user of this host");
        }
        if (this.inner.mechanism === "kerberos" && !sameKerberosUser(this.inner.user, pw.userName, pw.domainName)) {
          throw new AuthenticationError("CredSSP", this.state, "the delegated credentials are not those of the Kerberos principal that logged on");
        }
        this.authenticatedUser = this.inner.user;
        this.state = "complete";
        return undefined;
      }
      default:
        throw new AuthenticationError("CredSSP", this.state, "unexpected TSRequest");
    }
  }

  private findUser(user: string, domain: string): NtlmAcceptorUser | undefined {
    // A UPN ("user@realm") with no domain: the realm part names the domain.
    const at = user.lastIndexOf("@");
    if (domain === "" && at > 0) return this.findUser(user.slice(0, at), user.slice(at + 1));
    return this.opts.ntlm.users.find(
      (u) => u.user.toLowerCase() === user.toLowerCase() && (domain === "" || domain === "." || u.domain.toLowerCase() === domain.toLowerCase()),
    );
  }

  /** The host's side of the message encryption over http:// (MS-WSMV 2.2.9.1.3), once complete. */
  sealer(): CredSSPRecordSealer {
    if (!this.complete) throw new AuthenticationError("CredSSP", this.state, "the CredSSP context is not complete");
    // The host holds clients to the trailer length Windows writes (wire/credsspRecords.ts), so a client that
    // computes it differently (pywinrm does it from the suite name) is caught here.
    return (this.records ??= new CredSSPRecordSealer(this.tls, { checkTrailer: true }));
  }

  /** The version the client announced. */
  get peerVersion(): number {
    return this.clientVersion;
  }

  dispose(): void {
    this.tls.destroy();
    this.inner.dispose();
  }
}

/**
 * Whether delegated TSPasswordCreds name the Kerberos principal ("user@REALM") that authenticated: the user part
 * equal, the domain empty, "." or the realm (case-insensitive; a UPN user name carries the realm itself).
 */
export function sameKerberosUser(principal: string | undefined, userName: string, domainName: string): boolean {
  if (principal === undefined) return false;
  const at = principal.lastIndexOf("@");
  const user = (at >= 0 ? principal.slice(0, at) : principal).toLowerCase();
  const realm = (at >= 0 ? principal.slice(at + 1) : "").toLowerCase();
  const upnAt = userName.lastIndexOf("@");
  const [u, d] = domainName === "" && upnAt > 0 ? [userName.slice(0, upnAt), userName.slice(upnAt + 1)] : [userName, domainName];
  if (u.toLowerCase() !== user) return false;
  const dom = d.toLowerCase();
  return dom === "" || dom === "." || dom === realm;
}

/** Scenario knobs of the emulated host's CredSSP (WinRMEmulatorOptions.credssp). */
export interface CredSSPScenario {
  readonly maxVersion?: number;
  readonly bindOtherKey?: boolean;
  readonly tlsCiphers?: string;
}

/** What server.ts keeps per connection and passes in; one CredSSP context per TCP connection. */
export interface CredSSPConnection {
  credssp?: CredSSPAcceptor;
}

/**
 * One `Authorization: CredSSP <b64>` leg for server.ts: returns the 401 challenge to send while the handshake runs or
 * failed, or `{ user }` once the TSCredentials were accepted (the request then goes on as authenticated).
 */
export async function stepCredSSPLeg(
  conn: CredSSPConnection,
  token: Buffer,
  make: () => CredSSPAcceptor,
): Promise<{ challenge: string; failed?: string } | { user: string }> {
  // A ClientHello (a TLS handshake record, content type 22, whose first message is type 1) starts a new context.
  if (!conn.credssp || (token[0] === 22 && token[5] === 1)) {
    conn.credssp?.dispose();
    conn.credssp = make();
  }
  let r: CredSSPAcceptResult;
  try {
    r = await conn.credssp.step(token);
  } catch (e) {
    conn.credssp.dispose();
    delete conn.credssp;
    return { challenge: "CredSSP", failed: e instanceof Error ? e.message : "malformed CredSSP token" };
  }
  const challenge = r.token && r.token.length > 0 ? `CredSSP ${r.token.toString("base64")}` : "CredSSP";
  if (r.failed !== undefined) {
    conn.credssp.dispose();
    delete conn.credssp;
    return { challenge, failed: r.failed };
  }
  if (r.complete) return { user: r.user ?? "" };
  return { challenge };
}
