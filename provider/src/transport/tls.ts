/**
 * TLS settings for https:// endpoints and https:// proxies, and readable TLS failures.
 *
 * Channel bindings (RFC 5929 4.1 tls-server-end-point, MS-NLMP 2.2.2.1 MsvAvChannelBindings) are taken from the host's
 * certificate once per socket, in http.ts.
 */
import type { Connection, ProxyTlsConfig } from "../connection.js";
import { isIP } from "node:net";
import type { X509Certificate } from "node:crypto";
import { ClientCertificateNegotiationError, ConfigurationError, ProtocolError, TlsPinMismatchError } from "../errors.js";

export interface TlsConnectOptions {
  ca?: string;
  servername?: string;
  rejectUnauthorized: boolean;
  /** Pin HTTP/1.1: WinRM (http.sys) and NTLM's per-connection context need it. */
  ALPNProtocols: string[];
  /**
   * The host's certificate pin (tls.thumbprint), checked by verifyHostPin after every handshake with the host. Not a
   * Node TLS option: the dial site takes it out before handing the rest to tls.connect.
   */
  pin?: HostPin;
  /** TLS client authentication (auth.mechanism "certificate", the WS-Man https/mutual profile). */
  cert?: string;
  key?: string;
  passphrase?: string;
  /** TLSv1.2 with a client certificate (see tlsConnectOptions). */
  maxVersion?: "TLSv1.2";
}

/** A normalised tls.thumbprint: lower-case hex without separators; SHA-256 (64 digits) or SHA-1 (40 digits). */
export interface HostPin {
  readonly algorithm: "sha256" | "sha1";
  readonly hex: string;
}

/**
 * Parse tls.thumbprint: hex digits, with colons, spaces or tabs between them ignored (Windows' certificate dialog and
 * `Get-ChildItem Cert:\` print SHA-1 without or with spaces; openssl prints colons), any case. The length picks the
 * hash: 64 digits SHA-256, 40 SHA-1. A linear scan, no regular expression on user data.
 */
export function parseThumbprint(value: string, field = "tls.thumbprint"): HostPin {
  let hex = "";
  for (const ch of value) {
    if (ch === ":" || ch === " " || ch === "\t") continue;
    const c = ch.toLowerCase();
    if (!((c >= "0" && c <= "9") || (c >= "a" && c <= "f"))) {
      throw new ConfigurationError(field, `holds a character that is not a hex digit; ${THUMBPRINT_FIX}`);
    }
    hex += c;
    if (hex.length > 64) break;
  }
  if (hex.length === 64) return { algorithm: "sha256", hex };
  if (hex.length === 40) return { algorithm: "sha1", hex };
  throw new ConfigurationError(field, `has ${hex.length > 64 ? "more than 64" : hex.length} hex digits; ${THUMBPRINT_FIX}`);
}

export const THUMBPRINT_FIX =
  "give the SHA-256 (64 hex digits) or SHA-1 (40 hex digits) fingerprint of the host's certificate, " +
  "e.g. from `openssl x509 -noout -fingerprint -sha256` or the Thumbprint column of `Get-ChildItem Cert:\\LocalMachine\\My`";

/**
 * TLS to the WinRM host. Verification (docs/tls.md):
 * - tls.thumbprint alone: the pin replaces CA and name validation (a self-signed listener, as `winrm quickconfig
 *   -transport:https` makes, or one reached by IP address); the certificate must be exactly the pinned one.
 * - tls.thumbprint with tls.ca: both must hold (chain to that CA, the name, and the pin).
 * - no thumbprint: CA validation (tls.ca or the system CAs) and the name. rejectUnauthorized: false is accepted only
 *   with a thumbprint (connection.ts refuses "neither"), where it is the same as the thumbprint alone.
 *
 * With a client certificate (auth.mechanism "certificate") TLS is capped at 1.2: http.sys asks for the certificate
 * after the request arrives unless its binding has clientcertnegotiation=enable, by renegotiation in TLS 1.2 and by
 * post-handshake authentication in TLS 1.3 (RFC 8446 4.6.2), which Node's TLS client cannot offer (it has no switch
 * for OpenSSL's SSL_set_post_handshake_auth). TLS 1.2 works with both kinds of binding (docs/tls.md).
 */
export function tlsConnectOptions(conn: Connection): TlsConnectOptions {
  const host = new URL(conn.endpoint).hostname.replace(/^\[|\]$/g, "");
  const servername = conn.tls.serverName ?? (isIP(host) === 0 ? host : undefined);
  const pin = conn.tls.thumbprint !== undefined ? parseThumbprint(conn.tls.thumbprint) : undefined;
  const caValidation = conn.tls.rejectUnauthorized && (pin === undefined || conn.tls.ca !== undefined);
  return {
    ...(conn.tls.ca !== undefined ? { ca: conn.tls.ca } : {}),
    ...(servername !== undefined ? { servername } : {}),
    rejectUnauthorized: caValidation,
    ALPNProtocols: ["http/1.1"],
    ...(pin !== undefined ? { pin } : {}),
    // The client certificate goes to the host only: proxyTlsConnectOptions never carries it to an https:// proxy.
    ...(conn.tls.clientCertificate !== undefined ? { cert: conn.tls.clientCertificate } : {}),
    ...(conn.tls.clientKey !== undefined ? { key: conn.tls.clientKey } : {}),
    ...(conn.tls.clientKeyPassphrase !== undefined ? { passphrase: conn.tls.clientKeyPassphrase } : {}),
    ...(conn.tls.clientCertificate !== undefined ? { maxVersion: CLIENT_CERTIFICATE_MAX_TLS } : {}),
  };
}

/** The highest TLS version offered with a client certificate (see tlsConnectOptions). */
export const CLIENT_CERTIFICATE_MAX_TLS = "TLSv1.2";

/** The certificate's fingerprint in the pin's hash, lower-case hex without separators. */
export function certificateFingerprint(cert: X509Certificate, algorithm: HostPin["algorithm"]): string {
  const printed = algorithm === "sha256" ? cert.fingerprint256 : cert.fingerprint;
  return printed.replaceAll(":", "").toLowerCase();
}

/**
 * Check the host's certificate (the leaf it presented on this TLS session: never an https:// proxy's) against the pin.
 * Returns the error to fail the dial with, or undefined when it matches or nothing is pinned.
 */
export function verifyHostPin(pin: HostPin | undefined, cert: X509Certificate | undefined): TlsPinMismatchError | undefined {
  if (pin === undefined) return undefined;
  const presented = cert !== undefined ? certificateFingerprint(cert, pin.algorithm) : undefined;
  if (presented === pin.hex) return undefined;
  return new TlsPinMismatchError(pin.algorithm, pin.hex, presented);
}

/**
 * TLS to an https:// proxy: its own trust anchors and name (proxy.tls), never the host's (tls); ALPN http/1.1 because
 * we speak HTTP/1.1 (CONNECT or absolute-form) to it. Default: system CAs, SNI = the proxy host name.
 */
export function proxyTlsConnectOptions(url: URL, cfg: ProxyTlsConfig | undefined): TlsConnectOptions {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const servername = cfg?.serverName ?? (isIP(host) === 0 ? host : undefined);
  return {
    ...(cfg?.ca !== undefined ? { ca: cfg.ca } : {}),
    ...(servername !== undefined ? { servername } : {}),
    rejectUnauthorized: cfg?.rejectUnauthorized ?? true,
    ALPNProtocols: ["http/1.1"],
  };
}

/**
 * Turn Node's certificate failure codes into a sentence a person can act on. `field` names the settings to fix:
 * "tls" for the WinRM host, "proxy.tls" for an https:// proxy.
 */
export function describeTlsError(err: unknown, field: "tls" | "proxy.tls" = "tls"): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return undefined;
  switch (code) {
    case "SELF_SIGNED_CERT_IN_CHAIN":
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "UNABLE_TO_GET_ISSUER_CERT_LOCALLY":
    case "UNABLE_TO_GET_ISSUER_CERT":
      return `the ${what(field)} certificate is not trusted (${code}); pass the issuing CA as ${field}.ca (PEM)`;
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return `the ${what(field)} certificate does not name this host; set ${field}.serverName to a name in the certificate`;
    case "CERT_HAS_EXPIRED":
    case "CERT_NOT_YET_VALID":
      return `the ${what(field)} certificate is not valid now (${code})`;
    default:
      return undefined;
  }
}

function what(field: "tls" | "proxy.tls"): string {
  return field === "tls" ? "server" : "proxy's";
}

/**
 * A failed TLS handshake with the host, seen by the dial: with a client certificate, a protocol-version alert (TLS
 * alert 70, RFC 8446 6.2) means the host refused the TLS 1.2 cap (tlsConnectOptions), which has a fix on the host.
 */
export function clientCertificateDialError(err: Error, opts: Pick<TlsConnectOptions, "cert">): Error {
  const code = (err as { code?: unknown }).code;
  if (opts.cert !== undefined && (code === "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION" || code === "ERR_SSL_UNSUPPORTED_PROTOCOL")) {
    return new ClientCertificateNegotiationError("tls-version", { cause: err });
  }
  return err;
}

/**
 * Whether the host asked this TLS session for a client certificate: OpenSSL fills a client's shared signature
 * algorithms only from a CertificateRequest (RFC 5246 7.4.4, RFC 8446 4.3.2; the handshake's or a renegotiation's),
 * so an empty list means none came. undefined when the socket is gone.
 */
export function hostAskedForClientCertificate(socket: { getSharedSigalgs(): string[] | null | undefined }): boolean | undefined {
  try {
    const algs = socket.getSharedSigalgs();
    return Array.isArray(algs) ? algs.length > 0 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * At most this many renegotiations per connection to the host. http.sys renegotiates once, to ask for the client
 * certificate (RFC 5246 7.4.1.1 HelloRequest); Node's TLS client accepts a server's HelloRequest without any limit
 * (its renegotiation limit guards servers only), so a host that renegotiates forever would hold the request forever.
 */
export const MAX_HOST_RENEGOTIATIONS = 4;

/**
 * The host's TLS renegotiations on one connection, watched from the end of its first handshake: the keylog event
 * marks each one (one CLIENT_RANDOM line per TLS 1.2 handshake; TLS 1.3 has no renegotiation and logs none). A
 * renegotiation may not change the host's certificate (the pin, the CA check and the channel bindings were all
 * decided on the first one; BoringSSL refuses such a change for the same reason) and may happen at most
 * MAX_HOST_RENEGOTIATIONS times. The keylog line fires once the new handshake's keys exist, after the host's
 * Certificate and before the Finished messages: refusing there sends nothing under it.
 */
export class HostRenegotiationWatch {
  private renegotiations = 0;
  constructor(private readonly firstFingerprint256: string | undefined) {}

  /** One keylog line (its label only is read; the key material is not kept): an Error when the connection must end. */
  onKeylog(line: Buffer, presentedFingerprint256: () => string | undefined): Error | undefined {
    if (!line.subarray(0, CLIENT_RANDOM_LABEL.length).equals(CLIENT_RANDOM_LABEL)) return undefined;
    this.renegotiations++;
    if (this.renegotiations > MAX_HOST_RENEGOTIATIONS) {
      return new ProtocolError(
        `the host renegotiated TLS more than ${MAX_HOST_RENEGOTIATIONS} times on one connection (a client certificate ` +
          "needs one renegotiation); the connection is closed",
      );
    }
    const presented = presentedFingerprint256();
    if (presented !== this.firstFingerprint256) {
      return new ProtocolError(
        "the host presented another certificate when it renegotiated TLS than in the connection's first handshake " +
          `(${this.firstFingerprint256 ?? "none"}, then ${presented ?? "none"}); tls.thumbprint and the CA check ` +
          "verified the first one, so the connection is closed",
      );
    }
    return undefined;
  }
}

const CLIENT_RANDOM_LABEL = Buffer.from("CLIENT_RANDOM ", "latin1");
