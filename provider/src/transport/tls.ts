/**
 * TLS settings for https:// endpoints and https:// proxies, and readable TLS failures.
 *
 * Channel bindings (RFC 5929 4.1 tls-server-end-point, MS-NLMP 2.2.2.1 MsvAvChannelBindings) are taken from the host's
 * certificate once per socket, in http.ts.
 */
import type { Connection, ProxyTlsConfig } from "../connection.js";
import { isIP } from "node:net";

export interface TlsConnectOptions {
  ca?: string;
  servername?: string;
  rejectUnauthorized: boolean;
  /** Pin HTTP/1.1: WinRM (http.sys) and NTLM's per-connection context need it. */
  ALPNProtocols: string[];
}

export function tlsConnectOptions(conn: Connection): TlsConnectOptions {
  const host = new URL(conn.endpoint).hostname.replace(/^\[|\]$/g, "");
  const servername = conn.tls.serverName ?? (isIP(host) === 0 ? host : undefined);
  return {
    ...(conn.tls.ca !== undefined ? { ca: conn.tls.ca } : {}),
    ...(servername !== undefined ? { servername } : {}),
    rejectUnauthorized: conn.tls.rejectUnauthorized,
    ALPNProtocols: ["http/1.1"],
  };
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
