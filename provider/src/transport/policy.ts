/**
 * The rules checked before any byte is sent. A refused configuration never opens a socket.
 *
 * Microsoft, "Proxy Servers and WinRM" (README "Through a proxy", rules 2 and 5, RFC 4559 6):
 * - rule 2: "if the proxy requires authentication, WinRM clients and servers must use HTTPS". Proxy credentials with
 *   an http:// endpoint are refused, whatever the proxy mode: over a forward proxy the credentials and the WinRM
 *   exchange share one cleartext link, and a proxy that authenticates users is one that inspects traffic.
 * - rule 5: never send unencrypted WinRM traffic over HTTP (through a proxy or not), and the server must enforce
 *   encryption (AllowUnencrypted=false, MS-WSMV 3.1.4.1.29.1 "MUST NOT accept"). So on http:// every SOAP message is
 *   sealed with the authentication context's keys (MS-WSMV 2.2.9.1); Basic cannot seal.
 * - forward proxying an https:// endpoint would mean the proxy speaks TLS for us (absolute-form "https://" request,
 *   RFC 9112 3.2.2) and sees every message in clear: refused; https:// always goes through a CONNECT tunnel.
 */
import type { Connection } from "../connection.js";
import type { MechanismName } from "../auth/mechanism.js";
import { ConfigurationError, InsecureProxyPathError } from "../errors.js";
import { decideProxy, type BypassReason, type ResolvedProxy } from "./proxyConfig.js";
import { isSocksProxy } from "./socks5.js";

export const RULE_NO_CLEARTEXT_OVER_HTTP = "never send an unencrypted WinRM message over HTTP";
export const RULE_PROXY_AUTH_NEEDS_HTTPS = "if the proxy requires authentication, the WinRM endpoint must be HTTPS";

const FIX_PROXY_AUTH =
  'use an https:// endpoint (port 5986) through the proxy, or a proxy that needs no authentication (proxy.auth "none")';

const FIX_CLEARTEXT =
  'use an https:// endpoint (port 5986), or auth.mechanism "negotiate"/"ntlm" with messageEncryption "auto" or "always"';

/** Mechanisms that can seal WinRM messages once authenticated (MS-WSMV 2.2.9.1.1-2.2.9.1.3). */
const CAN_SEAL: Record<MechanismName, boolean> = {
  negotiate: true,
  ntlm: true,
  kerberos: true,
  // CredSSP seals with its own TLS session's records (MS-WSMV 2.2.9.1.3, auth/credsspSealer.ts).
  credssp: true,
  basic: false,
  certificate: false,
};

export function mechanismCanSeal(m: MechanismName): boolean {
  return CAN_SEAL[m];
}

/** What the transport will do, decided from the configuration alone. */
export interface TransportPlan {
  readonly scheme: "http" | "https";
  /** Seal every SOAP message in multipart/encrypted. */
  readonly encrypt: boolean;
  readonly mechanism: MechanismName;
  /** The proxy this endpoint goes through; absent = direct. */
  readonly proxy?: ResolvedProxy;
  /** A proxy was configured but its bypass list / NO_PROXY sends this endpoint direct. */
  readonly bypassed?: BypassReason;
}

export interface PolicyOptions {
  /** Environment for proxy "env" (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

/** Throws InsecureProxyPathError / ConfigurationError when the configuration would break a rule. */
export function checkPolicy(conn: Connection, opts: PolicyOptions = {}): TransportPlan {
  const endpoint = new URL(conn.endpoint);
  const scheme = endpoint.protocol === "https:" ? "https" : "http";
  const mechanism = conn.auth.mechanism;
  const canSeal = mechanismCanSeal(mechanism);

  if (conn.messageEncryption === "always" && !canSeal) {
    throw new ConfigurationError(
      "messageEncryption",
      `"always" needs a mechanism that can seal messages, and ${mechanism} cannot; use auth.mechanism ` +
        `"negotiate" or "ntlm", or messageEncryption "auto" over https://`,
    );
  }
  if (scheme === "http") {
    if (mechanism === "certificate") {
      // The https/mutual profile is TLS client authentication: there is no TLS on http:// to carry it.
      throw new ConfigurationError("auth.mechanism", '"certificate" needs an https:// endpoint (TLS client authentication); use https:// (port 5986)');
    }
    if (mechanism === "basic") {
      throw new InsecureProxyPathError(
        RULE_NO_CLEARTEXT_OVER_HTTP,
        "auth.mechanism",
        `basic over http:// would send the password and every message in clear (rule: ` +
          `${RULE_NO_CLEARTEXT_OVER_HTTP}); fix: ${FIX_CLEARTEXT}`,
      );
    }
    if (conn.messageEncryption === "never") {
      throw new InsecureProxyPathError(
        RULE_NO_CLEARTEXT_OVER_HTTP,
        "messageEncryption",
        `"never" over http:// would send every message in clear (rule: ${RULE_NO_CLEARTEXT_OVER_HTTP}); fix: ${FIX_CLEARTEXT}`,
      );
    }
  }
  if (conn.tls.ca !== undefined && scheme === "http") {
    throw new ConfigurationError("tls.ca", "applies only to https:// endpoints; remove it or use https://");
  }
  const decision = decideProxy(endpoint, conn.proxy, opts.env);
  const proxy = decision.proxy;
  if (proxy !== undefined) {
    checkSocksProxy(proxy, scheme);
    if (proxy.auth !== "none" && scheme === "http") {
      const field = proxy.source === "env" ? proxy.field : "proxy.auth";
      const what =
        proxy.source === "env"
          ? `${proxy.field} carries proxy credentials`
          : `proxy.auth "${proxy.auth}" sends proxy credentials`;
      throw new InsecureProxyPathError(
        RULE_PROXY_AUTH_NEEDS_HTTPS,
        field,
        `${what} for an http:// endpoint (rule: ${RULE_PROXY_AUTH_NEEDS_HTTPS}); fix: ${FIX_PROXY_AUTH}`,
      );
    }
    if (proxy.mode === "forward" && scheme === "https") {
      throw new InsecureProxyPathError(
        RULE_NO_CLEARTEXT_OVER_HTTP,
        "proxy.mode",
        `"forward" with an https:// endpoint would let the proxy do the TLS and see every message in clear ` +
          `(rule: ${RULE_NO_CLEARTEXT_OVER_HTTP}); fix: use proxy.mode "auto" or "tunnel" (CONNECT) for https://`,
      );
    }
  }
  const encrypt = conn.messageEncryption === "always" || (conn.messageEncryption === "auto" && scheme === "http");
  return {
    scheme,
    encrypt,
    mechanism,
    ...(proxy !== undefined ? { proxy } : {}),
    ...(decision.bypassed !== undefined ? { bypassed: decision.bypassed } : {}),
  };
}

/**
 * SOCKS5 (transport/socks5.ts) under the same rules as an HTTP proxy: its username/password (RFC 1929) crosses the
 * network in clear, so it needs an https:// endpoint (RULE_PROXY_AUTH_NEEDS_HTTPS); it only tunnels, and it
 * knows no HTTP authentication scheme.
 */
function checkSocksProxy(proxy: ResolvedProxy, scheme: "http" | "https"): void {
  if (!isSocksProxy(proxy.url)) return;
  if (proxy.credentials !== undefined && scheme === "http") {
    throw new InsecureProxyPathError(
      RULE_PROXY_AUTH_NEEDS_HTTPS,
      proxy.source === "env" ? proxy.field : "proxy.username",
      `SOCKS5 username/password (RFC 1929) crosses the network in clear and an http:// endpoint ` +
        `(rule: ${RULE_PROXY_AUTH_NEEDS_HTTPS}); fix: ${FIX_PROXY_AUTH}`,
    );
  }
  if (proxy.mode === "forward") {
    throw new ConfigurationError("proxy.mode", 'a SOCKS5 proxy only tunnels; use proxy.mode "auto" or "tunnel"');
  }
  if (proxy.auth !== "none" && proxy.auth !== "basic") {
    throw new ConfigurationError(
      "proxy.auth",
      `a SOCKS5 proxy has no ${proxy.auth}; give proxy.username and proxy.password (RFC 1929), proxy.auth "none" or "basic"`,
    );
  }
}
