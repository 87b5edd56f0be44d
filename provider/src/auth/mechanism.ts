/**
 * The one interface every authentication mechanism implements, for the WinRM target and for the proxy alike
 * (only the header pair differs: WWW-Authenticate/Authorization vs Proxy-Authenticate/Proxy-Authorization).
 *
 * A mechanism is one security context: it belongs to one TCP connection. A new connection needs `fresh()`.
 */

export type MechanismName = "basic" | "ntlm" | "negotiate" | "kerberos" | "credssp" | "certificate";

/** RFC 5929 tls-server-end-point channel bindings, given when the connection is TLS (MS-NLMP 2.2.2.1 MsvAvChannelBindings). */
export interface ChannelBindings {
  /** "tls-server-end-point:" || H(server certificate DER): the application_data of gss_channel_bindings_struct. */
  readonly applicationData: Uint8Array;
}

export interface StepInput {
  /** The token from the peer's challenge header, decoded from base64; undefined on the first step. */
  readonly token: Uint8Array | undefined;
  /** Present when the connection is TLS. */
  readonly channelBindings: ChannelBindings | undefined;
}

/** multipart/encrypted protocol for NTLM and Kerberos under the Negotiate scheme (MS-WSMV 2.2.9.1.1). */
export const SPNEGO_ENCRYPTED_PROTOCOL = "application/HTTP-SPNEGO-session-encrypted";
/** multipart/encrypted protocol for raw Kerberos under the Kerberos scheme (MS-WSMV 2.2.9.1.2.1). */
export const KERBEROS_ENCRYPTED_PROTOCOL = "application/HTTP-Kerberos-session-encrypted";

/** Seals and unseals WinRM messages (MS-WSMV 2.2.9.1) once the context is complete. */
export interface MessageSealer {
  /** The protocol string of multipart/encrypted, e.g. "application/HTTP-SPNEGO-session-encrypted". */
  readonly protocol: string;
  /** Seal one message. `header` goes after the LE32 length in the octet-stream part, `data` after it. */
  wrap(plaintext: Uint8Array): { header: Uint8Array; data: Uint8Array };
  /**
   * Unseal one message; throws DecryptError when the signature does not verify. It may decrypt `data` in place (NTLM
   * does): the caller gives the sealed bytes up.
   */
  unwrap(header: Uint8Array, data: Uint8Array): Uint8Array;
}

/**
 * A sealer whose seal is asynchronous and per part: CredSSP's TLS session (MS-WSMV 2.2.9.1.3), whose records come
 * from Node's TLS. Messages longer than `partBytes` go as several parts (multipart/x-multi-encrypted); auth/sealedBody.ts
 * does the framing for both kinds of sealer.
 */
export interface RecordSealer {
  readonly protocol: string;
  /** The most plaintext one sealed part carries (16 KiB for CredSSP). */
  readonly partBytes: number;
  /** Seal one part of at most `partBytes`. */
  wrap(plaintext: Uint8Array): Promise<{ header: Uint8Array; data: Uint8Array }>;
  /** Unseal one part whose OriginalContent Length is `originalLength`; rejects with DecryptError. */
  unwrap(header: Uint8Array, data: Uint8Array, originalLength: number): Promise<Uint8Array>;
}

export interface AuthMechanism {
  readonly name: MechanismName;
  /** The HTTP auth-scheme to write before the token: "Negotiate", "Kerberos", "Basic", "CredSSP", "NTLM". */
  readonly scheme: string;
  /** True once the context is established (for NTLM: after the AUTHENTICATE message was produced). */
  readonly complete: boolean;
  /** A short label of where the handshake is, for error messages: "NEGOTIATE", "AUTHENTICATE", ... */
  readonly stage: string;
  /** Whether this mechanism can seal messages once complete (NTLM with SEAL, Kerberos with CONF, CredSSP). */
  readonly canSeal: boolean;
  /**
   * Produce the next token to send. Returns undefined when there is nothing more to send.
   * For Basic the "token" is the raw `user:password` bytes; the HTTP layer base64-encodes every token.
   */
  step(input: StepInput): Promise<Uint8Array | undefined>;
  /** Available once `complete` when `canSeal`. */
  sealer(): MessageSealer;
  /** Mechanisms that seal asynchronously (CredSSP) give this instead of `sealer()`. Optional. */
  recordSealer?(): RecordSealer;
  /** A new, unstarted context with the same credentials and options, for a new connection. */
  fresh(): AuthMechanism;
  /**
   * Release native resources of this context now (its connection is gone). Optional: only mechanisms that hold
   * native handles (Kerberos) have it; their finalizers release them later otherwise.
   */
  dispose?(): void;
  /**
   * The first token already carries the channel bindings (a Kerberos AP-REQ's authenticator checksum), so over TLS
   * the connection must be open before the first step. NTLM binds in its last message and needs no such care.
   */
  readonly bindsChannelInFirstToken?: boolean;
  /**
   * A fresh context of the same mechanism under another HTTP scheme, when the server's 401 does not offer this
   * context's scheme but does offer one the mechanism can also speak (forced Kerberos: a host that lists only
   * `Negotiate` gets the krb5 token in SPNEGO). The switch sticks to the prototype and all its fresh() copies.
   * undefined when there is no such scheme. Optional: only Kerberos has it.
   */
  withOfferedScheme?(offered: readonly string[]): AuthMechanism | undefined;
  /**
   * Negotiate: which mechanism it used on this context and why; CredSSP: the same for its inner SPNEGO exchange (for
   * the probe and logs; never a secret).
   */
  readonly negotiated?: NegotiateChoice | undefined;
}

/** What Negotiate chose (MS-SPNG / Windows' Negotiate package: Kerberos when a ticket can be had, else NTLM). */
export interface NegotiateChoice {
  readonly chose: "kerberos" | "ntlm";
  /** Why, e.g. "a Kerberos ticket for HTTP/host was obtained" or "no KDC could be reached". */
  readonly reason: string;
}

/** Credentials as the user gives them. `username` may be "DOMAIN\\user" or "user@domain". */
export interface Credentials {
  readonly username: string;
  readonly password: string;
  /** Overrides the domain parsed from the username. */
  readonly domain?: string;
}

/**
 * Split a user name as NTLM needs it (MS-NLMP 3.1.5.1.2 hashes UPPER(user) || domain): "DOMAIN\\user" gives both
 * parts; a UPN "user@domain" stays whole as the user with an empty domain, as Windows sends it.
 */
export function splitUsername(username: string, domain?: string): { user: string; domain: string } {
  const backslash = username.indexOf("\\");
  if (backslash >= 0) return { user: username.slice(backslash + 1), domain: domain ?? username.slice(0, backslash) };
  return { user: username, domain: domain ?? "" };
}
