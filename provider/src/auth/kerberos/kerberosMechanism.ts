/**
 * Kerberos initiator for WinRM (and for proxies), over the native GSSAPI addon (gssapi.ts, MIT krb5 underneath).
 *
 * - Credentials: the default ticket cache (KRB5CCNAME, e.g. after `kinit`) when no password is given; else a TGT
 *   acquired in-process with gss_acquire_cred_with_password into a MEMORY ccache owned by the handle: nothing is
 *   written to disk. The credential is shared by every context made with `fresh()` (one AS exchange per process and
 *   identity, not one per connection).
 * - Target: `HTTP/<host>` by default (the SPN of the WinRM service, MS-WSMV 2.2.9.1.2), given to GSS as the host-based
 *   service name `HTTP@host` (RFC 2743 4.1; the realm comes from krb5.conf [domain_realm]); an SPN with a realm
 *   (`HTTP/host@REALM`) goes as a principal name.
 * - Schemes (RFC 4559 4): "Kerberos" sends the raw krb5 InitialContextToken (OID 1.2.840.113554.1.2.2 + AP-REQ)
 *   and seals with protocol `application/HTTP-Kerberos-session-encrypted` (MS-WSMV 2.2.9.1.2.1); "Negotiate" wraps it
 *   in SPNEGO (RFC 4178, krb5 the only mech offered) and seals with `application/HTTP-SPNEGO-session-encrypted`.
 *   A "Kerberos" mechanism whose host offers only Negotiate moves to "Negotiate" once (withOfferedScheme).
 * - One round trip (MS-WSMV 2.2.9.1): AP-REQ with MUTUAL | REPLAY | SEQUENCE | CONF | INTEG on an empty body, then the
 *   AP-REP rides on the 200 (`WWW-Authenticate: <scheme> <AP-REP>`); the context is complete once the AP-REP is
 *   processed (the acceptor subkey is then known). A proxy context asks no mutual authentication: squid's
 *   negotiate_kerberos_auth sends no AP-REP with its 200 (test/peers/squid.ts).
 * - Channel bindings: the RFC 5929 tls-server-end-point application data over HTTPS (RFC 5929 4.1), which krb5
 *   puts (as the MD5 of gss_channel_bindings_struct) in the authenticator checksum's Bnd field.
 * - Sealing (MS-WSMV 2.2.9.1.2.2, MS-WSMV 2.2.9.1.2.2): gss_wrap_iov HEADER | DATA | PADDING; the header part of the
 *   multipart body is the IOV header (60 bytes for AES: RFC 4121 4.2.6.2 token with EC 0, RRC 28, then the rotated
 *   trailer and confounder), the data part the ciphertext (as long as the plaintext for AES).
 */
import { AuthenticationError, ConfigurationError } from "../../errors.js";
import {
  type AuthMechanism,
  type Credentials,
  KERBEROS_ENCRYPTED_PROTOCOL,
  type MessageSealer,
  SPNEGO_ENCRYPTED_PROTOCOL,
  type StepInput,
} from "../mechanism.js";
import { type ContextHandle, type CredHandle, GSS_FLAGS, type GssapiAddon, isGssError, loadGssapi } from "./gssapi.js";
import { gssIovSealer } from "./iovSealer.js";

export { KERBEROS_ENCRYPTED_PROTOCOL, SPNEGO_ENCRYPTED_PROTOCOL } from "../mechanism.js";

export interface KerberosMechanismOptions {
  /**
   * With a password: a ticket acquired in-process for `username` (see kerberosPrincipal). Without one (undefined or
   * empty password): the default ticket cache.
   */
  readonly credentials?: Credentials | undefined;
  /** "HTTP/host", "HTTP/host@REALM" or "HTTP@host". */
  readonly spn: string;
  /** "Kerberos": raw krb5 token (default); "Negotiate": SPNEGO. */
  readonly scheme?: "Kerberos" | "Negotiate";
  /** Ask for a forwarded TGT (GSS_C_DELEG_FLAG; the KDC must allow it: ok-as-delegate / a forwardable ticket). */
  readonly delegate?: boolean;
  /** Require the AP-REP (default true). A proxy context passes false. */
  readonly mutual?: boolean;
  /** Where errors point: "auth" for the target, "proxy.auth" for the proxy. */
  readonly field?: string;
}

/** One credential per identity, shared by a mechanism and all its `fresh()` copies. */
class CredentialSource {
  private pending: Promise<CredHandle | undefined> | undefined;

  constructor(private readonly credentials: Credentials | undefined) {}

  get usesPassword(): boolean {
    return this.credentials !== undefined && this.credentials.password !== "";
  }

  /** The principal we act as, for messages: the given one, or "the ticket cache". */
  describe(): string {
    return this.usesPassword && this.credentials ? kerberosPrincipal(this.credentials) : "the default ticket cache";
  }

  /** undefined = the default ticket cache (GSS_C_NO_CREDENTIAL). */
  get(g: GssapiAddon): Promise<CredHandle | undefined> {
    const c = this.credentials;
    if (c === undefined || c.password === "") return Promise.resolve(undefined);
    this.pending ??= g.acquireCredWithPassword(kerberosPrincipal(c), c.password);
    // A failure is not cached: the next connection asks the KDC again (it may have been unreachable for a moment).
    this.pending.catch(() => (this.pending = undefined));
    return this.pending;
  }

  /** Forget the credential (its ticket expired): the next context acquires a new one. */
  reset(): void {
    this.pending = undefined;
  }
}

/**
 * The Kerberos principal for a user name as WinRM users write it: "user@realm" (a UPN: the realm part upper-cased,
 * as Windows maps a DNS domain to its realm), "DOMAIN\\user" -> "user@DOMAIN", a bare "user" -> "user" (the default
 * realm of krb5.conf). `domain` overrides the realm.
 */
export function kerberosPrincipal(c: Credentials): string {
  const at = c.username.lastIndexOf("@");
  const backslash = c.username.indexOf("\\");
  let user = c.username;
  let realm: string | undefined;
  if (backslash >= 0) {
    user = c.username.slice(backslash + 1);
    realm = c.username.slice(0, backslash);
  } else if (at > 0) {
    user = c.username.slice(0, at);
    realm = c.username.slice(at + 1);
  }
  if (c.domain !== undefined && c.domain !== "") realm = c.domain;
  return realm !== undefined && realm !== "" ? `${user}@${realm.toUpperCase()}` : user;
}

/** "HTTP/host" -> "HTTP@host" (GSS host-based service); "HTTP/host@REALM" and "HTTP@host" stay as they are. */
export function gssTargetName(spn: string): string {
  if (spn.includes("@")) return spn;
  const slash = spn.indexOf("/");
  if (slash <= 0) return spn;
  return `${spn.slice(0, slash)}@${spn.slice(slash + 1).replace(/:\d+$/, "")}`;
}

/**
 * krb5's "Server <principal> not found in Kerberos database" (or "Client ..."), found with indexOf on each line:
 * `/Server .* not found/` would rescan the rest of the line from every "Server " (quadratic in the message).
 */
function principalNotFound(text: string, who: "server" | "client"): boolean {
  for (const line of text.toLowerCase().split(/[\n\r\u2028\u2029]/)) {
    const at = line.indexOf(`${who} `);
    if (at >= 0 && line.indexOf(" not found in kerberos database", at + who.length + 1) >= 0) return true;
  }
  return false;
}

/**
 * Why Kerberos cannot even start, when the error happened before any token left (so Negotiate may use NTLM, as
 * Windows' Negotiate package does): no addon, no ticket and no password, a KDC that cannot be reached or found, an
 * SPN or client the KDC does not know. undefined for everything else (a wrong password, a bad AP-REP, ...), where
 * falling back would hide a real failure or lock an account out twice as fast.
 */
export function kerberosUnavailableReason(err: unknown): string | undefined {
  if (err instanceof ConfigurationError) return "the GSSAPI addon is not available";
  if (!isGssError(err) && !(err instanceof AuthenticationError)) return undefined;
  const text = err instanceof AuthenticationError && err.cause instanceof Error ? err.cause.message : err.message;
  if (/Preauthentication failed|Password incorrect|password has expired|revoked|locked/i.test(text)) return undefined;
  if (/Cannot contact any KDC|Cannot find KDC|Cannot resolve network address for KDC|Connection refused/i.test(text)) {
    return "no KDC could be reached";
  }
  if (principalNotFound(text, "server")) return "the KDC does not know the service principal";
  if (principalNotFound(text, "client")) return "the KDC does not know the user";
  if (/No Kerberos credentials available|No credentials cache found|Credential cache is empty|credentials? were not found/i.test(text)) {
    return "there is no Kerberos ticket";
  }
  if (/default realm|Cannot find realm|Configuration file does not specify/i.test(text)) return "Kerberos is not configured (no realm)";
  if (isGssError(err) && err.code === "GSS_S_NO_CRED") return "there is no Kerberos ticket";
  return undefined;
}

type Stage = "AP-REQ" | "AP-REP" | "complete";

/** The HTTP scheme of a mechanism and its fresh() copies (one client): may move from "Kerberos" to "Negotiate" once. */
interface SchemeChoice {
  scheme: "Kerberos" | "Negotiate";
}

export class KerberosMechanism implements AuthMechanism {
  readonly name = "kerberos" as const;
  readonly scheme: "Kerberos" | "Negotiate";
  readonly canSeal = true;
  readonly bindsChannelInFirstToken = true;
  private state: Stage = "AP-REQ";
  private ctx: ContextHandle | undefined;
  private messageSealer: MessageSealer | undefined;
  private readonly source: CredentialSource;
  private readonly field: string;

  private readonly schemeChoice: SchemeChoice;

  constructor(
    private readonly opts: KerberosMechanismOptions,
    source?: CredentialSource,
    schemeChoice?: SchemeChoice,
  ) {
    this.schemeChoice = schemeChoice ?? { scheme: opts.scheme ?? "Kerberos" };
    this.scheme = this.schemeChoice.scheme;
    this.field = opts.field ?? "auth";
    this.source = source ?? new CredentialSource(opts.credentials);
  }

  get complete(): boolean {
    return this.state === "complete";
  }

  get stage(): string {
    return this.state;
  }

  /** The protocol string for this scheme (MS-WSMV 2.2.9.1: it must match the scheme, OpenWEC checks). */
  get protocol(): string {
    return this.scheme === "Kerberos" ? KERBEROS_ENCRYPTED_PROTOCOL : SPNEGO_ENCRYPTED_PROTOCOL;
  }

  async step(input: StepInput): Promise<Uint8Array | undefined> {
    const g = loadGssapi(this.field);
    if (this.state === "complete") return undefined;
    if (this.state === "AP-REQ") {
      let cred: CredHandle | undefined;
      try {
        cred = await this.source.get(g);
      } catch (err) {
        throw new AuthenticationError(
          "kerberos",
          "AS-REQ",
          `could not get a Kerberos ticket for ${this.source.describe()}: ${gssText(err)}`,
          { cause: err },
        );
      }
      let flags = GSS_FLAGS.REPLAY | GSS_FLAGS.SEQUENCE | GSS_FLAGS.CONF | GSS_FLAGS.INTEG;
      if (this.opts.mutual !== false) flags |= GSS_FLAGS.MUTUAL;
      if (this.opts.delegate === true) flags |= GSS_FLAGS.DELEG;
      const target = gssTargetName(this.opts.spn);
      let r;
      try {
        r = await g.initSecContext({
          target,
          mech: this.scheme === "Negotiate" ? "spnego" : "krb5",
          flags,
          ...(cred !== undefined ? { cred } : {}),
          ...(input.channelBindings !== undefined ? { channelBindings: input.channelBindings.applicationData } : {}),
        });
      } catch (err) {
        if (cred !== undefined && isGssError(err) && /expired/i.test(err.message)) this.source.reset();
        const from = cred !== undefined ? `ticket of ${this.source.describe()}` : this.source.describe();
        throw new AuthenticationError(
          "kerberos",
          "AP-REQ",
          `could not get a service ticket for ${this.opts.spn} with the ${from}: ${gssText(err)}`,
          { cause: err },
        );
      }
      this.ctx = r.ctx;
      this.state = r.complete ? "complete" : "AP-REP";
      return r.token;
    }
    // AP-REP (or SPNEGO negTokenResp carrying it): completes mutual authentication and gives the acceptor subkey.
    if (input.token === undefined || this.ctx === undefined) {
      throw new AuthenticationError("kerberos", "AP-REP", "the server sent no AP-REP (mutual authentication is required)");
    }
    try {
      const r = await g.initSecContext({ ctx: this.ctx, input: input.token });
      if (!r.complete) {
        throw new AuthenticationError("kerberos", "AP-REP", "the server's token did not complete the Kerberos context");
      }
      this.state = "complete";
      return r.token.length > 0 ? r.token : undefined;
    } catch (err) {
      if (err instanceof AuthenticationError) throw err;
      throw new AuthenticationError(
        "kerberos",
        "AP-REP",
        `the server's mutual-authentication token was refused: ${gssText(err)}`,
        { cause: err },
      );
    }
  }

  sealer(): MessageSealer {
    if (this.state !== "complete" || this.ctx === undefined) {
      throw new AuthenticationError("kerberos", this.state, "the Kerberos context is not complete; nothing can be sealed yet");
    }
    this.messageSealer ??= gssIovSealer(loadGssapi(this.field), this.ctx, this.protocol);
    return this.messageSealer;
  }

  fresh(): KerberosMechanism {
    return new KerberosMechanism(this.opts, this.source, this.schemeChoice);
  }

  /**
   * Forced Kerberos against a host that offers only `Negotiate` (Service/Auth lists no `Kerberos` scheme): send the
   * same krb5 token in SPNEGO under Negotiate (krb5 the only mech offered: still no NTLM), as pywinrm /
   * requests-kerberos do and Windows accepts; sealing then uses application/HTTP-SPNEGO-session-encrypted (MS-WSMV
   * 2.2.9.1.1). Only Kerberos -> Negotiate, so a caller can never alternate; the choice is kept for this client's later
   * connections (the shared SchemeChoice).
   */
  withOfferedScheme(offered: readonly string[]): KerberosMechanism | undefined {
    const has = (s: string) => offered.some((o) => o.toLowerCase() === s.toLowerCase());
    if (this.scheme !== "Kerberos" || has("Kerberos") || !has("Negotiate")) return undefined;
    this.schemeChoice.scheme = "Negotiate";
    return new KerberosMechanism(this.opts, this.source, this.schemeChoice);
  }

  /** Release the GSS context now (the connection it belonged to is gone); the finalizer would do it later. */
  dispose(): void {
    if (this.ctx === undefined) return;
    try {
      loadGssapi(this.field).release(this.ctx);
    } catch {
      // busy (an init in flight) or already released: the finalizer takes it
    }
    this.ctx = undefined;
    this.messageSealer = undefined;
    if (this.state !== "complete") this.state = "AP-REQ";
  }
}

/** The library's text of a GSS failure (never a secret: the addon's messages hold none). */
function gssText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
