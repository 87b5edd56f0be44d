/**
 * What the transport saw on its way to the host, step by step, for `winrm-proxy probe` and for callers who want to
 * log the path. Events never carry a secret: no password, no token, no Authorization header, no proxy userinfo.
 */

/** A proxy as it may be shown: scheme, host and port only (never userinfo). */
export type ProxyLabel = string;

export type PathEvent =
  /** How the endpoint will be reached, decided before the first connect. */
  | {
      readonly type: "route";
      readonly route: "direct" | "tunnel" | "forward" | "auto";
      readonly target: string;
      readonly proxy?: ProxyLabel;
      readonly source?: "config" | "env";
      /** Why direct although a proxy was configured: the bypass list or NO_PROXY matched. */
      readonly bypassed?: "bypass" | "no_proxy";
    }
  /** TCP connection to the proxy (once per socket; after a 407 with Connection: close there is a second one). */
  | {
      readonly type: "proxy-connect";
      readonly proxy: ProxyLabel;
      readonly ok: boolean;
      readonly error?: string;
    }
  /**
   * TLS to an https:// proxy (before any CONNECT or forwarded request): the proxy's certificate, not the host's. Never
   * a source of channel bindings: those come from the WinRM host's certificate only (RFC 5929 4.1).
   */
  | {
      readonly type: "proxy-tls";
      readonly proxy: ProxyLabel;
      readonly protocol: string;
      readonly subject: string;
      readonly issuer: string;
      readonly validTo: string;
    }
  /** The outcome of one SOCKS5 CONNECT (RFC 1928, transport/socks5.ts). */
  | {
      readonly type: "socks";
      readonly proxy: ProxyLabel;
      readonly target: string;
      readonly ok: boolean;
      /** "username/password" (RFC 1929) or "none". */
      readonly auth: string;
      /** Who resolved the host name: this client (socks5://) or the proxy (socks5h://). */
      readonly resolvedBy: "client" | "proxy";
      /** The SOCKS5 reply code when the proxy refused (RFC 1928 6). */
      readonly reply?: number;
      readonly error?: string;
    }
  /** The outcome of one CONNECT exchange (RFC 9110 9.3.6), all its 407 legs included. */
  | {
      readonly type: "connect";
      readonly proxy: ProxyLabel;
      readonly target: string;
      /** Final status: 2xx = tunnel open. */
      readonly status: number;
      /** CONNECT requests written, the credential-less first one included. */
      readonly legs: number;
      /** Proxy auth scheme used ("Basic", "NTLM", "Negotiate"); undefined when the proxy asked for none. */
      readonly proxyAuth?: string;
      /** The proxy closed after the first 407 and we reconnected (MS-NTHT 4.2). */
      readonly reconnected: boolean;
    }
  /** auto mode: the proxy refused CONNECT to an http:// target, so requests go in absolute-form (RFC 9112 3.2.2). */
  | { readonly type: "forward-fallback"; readonly proxy: ProxyLabel; readonly target: string; readonly connectStatus: number }
  /** TLS to the WinRM listener (inside the tunnel when there is one). */
  | {
      readonly type: "tls";
      readonly protocol: string;
      readonly subject: string;
      readonly issuer: string;
      readonly validTo: string;
      readonly fingerprint256: string;
      /** RFC 5929 tls-server-end-point bindings could be computed, so NTLM sends MsvAvChannelBindings. */
      readonly channelBindings: boolean;
    }
  /** The WinRM authentication handshake finished. */
  | {
      readonly type: "target-auth";
      readonly mechanism: string;
      readonly scheme: string;
      /** HTTP requests of the handshake (NTLM: 2, Kerberos: 1). */
      readonly legs: number;
      readonly ok: boolean;
      /**
       * auth "negotiate": which mechanism it chose on this connection ("kerberos" or "ntlm") and why; auth "credssp": the
       * mechanism of its inner SPNEGO exchange.
       */
      readonly negotiated?: { readonly chose: "kerberos" | "ntlm"; readonly reason: string };
    }
  /** What protects the SOAP messages after the handshake. */
  | {
      readonly type: "encryption";
      /** Messages sealed with the auth context (MS-WSMV 2.2.9.1). */
      readonly sealed: boolean;
      readonly protocol?: string;
      /** The connection is TLS to the host. */
      readonly tls: boolean;
    }
  /**
   * Connection affinity: "ok" when the first sealed message after the handshake was accepted on the same connection
   * (forward mode), "by-construction" for a tunnel or direct connection, "broken" with what the proxy did.
   */
  | { readonly type: "affinity"; readonly verdict: "ok" | "by-construction" | "broken"; readonly detail: string };

export type PathObserver = (event: PathEvent) => void;

/** Call the observer; its own failures never disturb the transport. */
export function emit(observer: PathObserver | undefined, event: PathEvent): void {
  if (observer === undefined) return;
  try {
    observer(event);
  } catch {
    // an observer is a spectator
  }
}
