/**
 * One pinned HTTP/1.1 connection per WinRM session, on undici's `Client` (never a Pool: NTLM, Kerberos and CredSSP
 * authenticate the TCP connection, and the sealing state lives with it, protocol.md 2.3 and 4.3).
 *
 * - pipelining 1: one request at a time on the socket, so a response belongs to the request just written;
 * - `Accept-Encoding: identity`: WinRM bodies are never compressed at the HTTP level (pypsrp sends the same, IIS and
 *   Exchange fronts otherwise gzip, and a compressed multipart/encrypted body cannot be length-checked);
 * - `Content-Length` on every request, including 0 on the bodyless handshake POSTs: http.sys answers chunked shell
 *   verbs with wsman:InternalError (protocol.md 1.11-1.12, metasploit #6827);
 * - our own connector counts sockets and keeps the TLS socket for channel bindings; undici's `disconnect` event tells
 *   the session that the socket (and the security context bound to it) is gone.
 *
 * Three routes (protocol.md 4.1):
 * - direct: the socket goes to the endpoint;
 * - tunnel: the socket is a CONNECT tunnel through the proxy (proxyTunnel.ts, with the proxy's 407 handshake), TLS
 *   inside it for https://; one tunnel = one end-to-end connection, so connection-based auth keeps its affinity;
 * - forward: the socket goes to the proxy and every request is in absolute-form (`POST http://host:5985/wsman`,
 *   RFC 9112 3.2.2) with `Host` = the endpoint (RFC 9112 3.2); http:// endpoints only (policy.ts). Still one pinned
 *   client connection: whether the proxy pins its upstream connection to it is the session's affinity check.
 * An https:// proxy (protocol.md 4.2) adds TLS between us and the proxy on the tunnel and forward routes; that TLS is
 * the proxy's (proxy.tls), and channel bindings only ever come from the host's own TLS (`hostTls` below), never from
 * it: over an https:// proxy to an http:// host there are none, as with an http:// proxy.
 * auto = tunnel; for an http:// endpoint, when the proxy refuses CONNECT (403/405/501/400: squid allows CONNECT only
 * to SSL_ports by default), switch to forward for the life of the channel. A refused CONNECT sent no byte to the host,
 * so the request is simply sent again on the new route.
 */
import { Client, buildConnector } from "undici";
import type { X509Certificate } from "node:crypto";
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import type { ChannelBindings } from "../auth/mechanism.js";
import { AbortError, ConnectionError, ProxyAuthenticationError, ProxyError, TimeoutError, WinRMError } from "../errors.js";
import { offeredSchemes, PROXY_AUTH_HEADERS } from "./challenges.js";
import { emit, type PathObserver } from "./pathEvents.js";
import { effectivePort, proxyLabel, type ResolvedProxy } from "./proxyConfig.js";
import { ConnectRefusedError, openTunnel, proxyDialed, proxyDialFailed, type ProxyAuthCache } from "./proxyTunnel.js";
import { tlsServerEndPointBindings } from "../wire/channelBindings.js";
import { describeTlsError, type TlsConnectOptions } from "./tls.js";

export type Route = "direct" | "tunnel" | "forward";

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
  /** The socket that carried this response (1, 2, ... in the order the channel opened them). */
  readonly connectionId: number;
}

export interface HttpRequest {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  readonly signal?: AbortSignal | undefined;
}

export interface HttpChannelOptions {
  readonly endpoint: URL;
  readonly tls?: TlsConnectOptions | undefined;
  readonly connectMs: number;
  readonly readMs: number;
  /** The proxy for this endpoint (undefined = direct). */
  readonly proxy?: ResolvedProxy | undefined;
  readonly observer?: PathObserver | undefined;
  /** Why direct although a proxy was configured (for the route event). */
  readonly bypassed?: "bypass" | "no_proxy" | undefined;
}

interface CurrentSocket {
  readonly id: number;
  readonly socket: Socket;
  /** RFC 5929 bindings of the TLS session with the WinRM host (never of a TLS session with an https:// proxy). */
  readonly bindings: ChannelBindings | undefined;
}

export class HttpChannel {
  private client: Client;
  private current: CurrentSocket | undefined;
  private socketSeq = 0;
  private readonly disconnectListeners = new Set<(connectionId: number) => void>();
  private closed = false;
  private routeValue: Route;
  private routeAnnounced = false;
  private readonly proxyAuthCache: ProxyAuthCache = {};
  private lastBindings: ChannelBindings | undefined;
  /** HTTP requests written (every leg of a handshake counts). */
  requests = 0;

  constructor(private readonly opts: HttpChannelOptions) {
    const proxy = opts.proxy;
    this.routeValue = proxy === undefined ? "direct" : proxy.mode === "forward" ? "forward" : "tunnel";
    this.client = this.makeClient();
  }

  /** How requests travel now (auto mode may move from tunnel to forward once). */
  get route(): Route {
    return this.routeValue;
  }

  /** Sockets opened so far. */
  get connections(): number {
    return this.socketSeq;
  }

  /** Id of the open socket, if any. */
  get connectionId(): number | undefined {
    return this.current?.id;
  }

  /** RFC 5929 bindings of the open TLS socket; undefined over http:// or before the first connect. */
  channelBindings(): ChannelBindings | undefined {
    return this.current?.bindings;
  }

  /**
   * The bindings of the open TLS socket, else of the last one (tls-server-end-point depends on the server
   * certificate only, RFC 5929 4.1, so they hold for the next connection to the same listener). Kerberos needs them
   * for its first token, which may be made while no socket is open (the server closed after its anonymous 401).
   */
  knownChannelBindings(): ChannelBindings | undefined {
    return this.channelBindings() ?? this.lastBindings;
  }

  onDisconnect(listener: (connectionId: number) => void): () => void {
    this.disconnectListeners.add(listener);
    return () => this.disconnectListeners.delete(listener);
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    if (this.closed) throw new ConnectionError("the WinRM session is closed");
    if (req.signal?.aborted) throw abortReason(req.signal);
    this.announceRoute();
    try {
      return await this.requestOnce(req);
    } catch (err) {
      if (!(err instanceof ConnectRefusedError) || !this.mayFallBack()) throw err;
      // auto mode, http:// endpoint, CONNECT refused: nothing reached the host; forward from now on.
      const proxy = this.opts.proxy as ResolvedProxy;
      emit(this.opts.observer, {
        type: "forward-fallback",
        proxy: proxyLabel(proxy.url),
        target: this.targetAuthority(),
        connectStatus: err.httpStatus ?? 0,
      });
      this.requests--;
      this.routeValue = "forward";
      await this.reset();
      return this.requestOnce(req);
    }
  }

  private mayFallBack(): boolean {
    return this.routeValue === "tunnel" && this.opts.proxy?.mode === "auto" && this.opts.endpoint.protocol === "http:";
  }

  private targetAuthority(): string {
    return `${this.opts.endpoint.hostname}:${effectivePort(this.opts.endpoint)}`;
  }

  private announceRoute(): void {
    if (this.routeAnnounced) return;
    this.routeAnnounced = true;
    const proxy = this.opts.proxy;
    emit(this.opts.observer, {
      type: "route",
      route: this.routeValue,
      target: this.targetAuthority(),
      ...(proxy !== undefined ? { proxy: proxyLabel(proxy.url), source: proxy.source, mode: proxy.mode } : {}),
      ...(this.opts.bypassed !== undefined ? { bypassed: this.opts.bypassed } : {}),
    });
  }

  private async requestOnce(req: HttpRequest): Promise<HttpResponse> {
    this.requests++;
    const url = this.opts.endpoint;
    const forward = this.routeValue === "forward";
    try {
      const res = await this.client.request({
        // RFC 9112 3.2.2: a request to a forward proxy names the target in absolute-form.
        path: forward ? url.origin + url.pathname + url.search : url.pathname + url.search,
        method: "POST",
        headers: {
          ...req.headers,
          ...(forward ? { host: url.host } : {}),
          "accept-encoding": "identity",
          "content-length": String(req.body.length),
        },
        body: req.body.length > 0 ? Buffer.from(req.body.buffer, req.body.byteOffset, req.body.length) : null,
        signal: req.signal,
        headersTimeout: this.opts.readMs,
        bodyTimeout: this.opts.readMs,
      });
      // Read the socket id when the head arrives: with "Connection: close" the socket may be gone after the body.
      const connectionId = this.current?.id ?? this.socketSeq;
      const body = Buffer.from(await res.body.arrayBuffer());
      if (forward) this.checkForwardStatus(res.statusCode, res.headers);
      return { status: res.statusCode, headers: res.headers, body, connectionId };
    } catch (err) {
      throw this.mapError(err, req.signal);
    }
  }

  /** Throw the socket away (its security context is unusable, e.g. after a decrypt failure); the next request reconnects. */
  async reset(): Promise<void> {
    const old = this.client;
    this.current = undefined;
    this.client = this.makeClient();
    await old.destroy().catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.current = undefined;
    await this.client.close().catch(() => this.client.destroy());
  }

  /**
   * Statuses that come from the forward proxy, not the host: 407 (we never send proxy credentials on this route:
   * policy rule 2) and the gateway errors. Never retried, so never a 407 loop.
   */
  private checkForwardStatus(status: number, headers: Readonly<Record<string, string | string[] | undefined>>): void {
    const proxy = this.opts.proxy;
    if (proxy === undefined) return;
    const label = proxyLabel(proxy.url);
    if (status === PROXY_AUTH_HEADERS.status) {
      const offered = offeredSchemes(headers[PROXY_AUTH_HEADERS.challenge]);
      throw new ProxyAuthenticationError(
        "none",
        "request",
        `the forward proxy ${label} requires authentication (it offers: ${offered.join(", ") || "nothing"}); ` +
          "proxy authentication requires an https:// endpoint (through a CONNECT tunnel)",
      );
    }
    if (status === 502 || status === 504) {
      throw new ProxyError(`the proxy ${label} could not reach ${this.targetAuthority()} (HTTP ${status})`, {
        httpStatus: status,
      });
    }
  }

  private makeClient(): Client {
    const { endpoint, tls, connectMs, readMs, proxy } = this.opts;
    const base = buildConnector({
      ...(tls ?? {}),
      timeout: connectMs,
      // A resumed TLS session presents the same certificate, but keep it simple: a full handshake per socket.
      maxCachedSessions: 0,
    });
    const route = this.routeValue;
    type ConnectOptions = Parameters<typeof base>[0];
    type ConnectCallback = Parameters<typeof base>[1];
    // hostTls: whether `socket` is TLS with the WinRM host itself (a socket to an https:// proxy is TLS too, but
    // with the proxy: its certificate must never feed channel bindings or the host's "tls" event).
    const adopt = (socket: Socket, hostTls: boolean, callback: ConnectCallback): void => {
      const id = ++this.socketSeq;
      const tlsSocket = hostTls && socket instanceof TLSSocket ? socket : undefined;
      // Node hands out the peer X509Certificate once per socket (a second getPeerX509Certificate() gives undefined):
      // read it here, once per connection, for both the bindings and the "tls" event.
      const cert = tlsSocket?.getPeerX509Certificate();
      const bindings = cert !== undefined ? tlsServerEndPointBindings(cert.raw) : undefined;
      if (bindings !== undefined) this.lastBindings = bindings;
      this.current = { id, socket, bindings };
      socket.once("close", () => {
        if (this.current?.id === id) this.current = undefined;
      });
      if (tlsSocket !== undefined) this.announceTls(tlsSocket, cert, bindings);
      callback(null, socket);
    };
    let connect: (options: ConnectOptions, callback: ConnectCallback) => void;
    if (route === "direct" || proxy === undefined) {
      connect = (options, callback) => {
        base(options, (err, socket) => {
          if (err !== null) callback(err, null);
          else adopt(socket, true, callback);
        });
      };
    } else if (route === "forward") {
      // The socket goes to the proxy (forward is for http:// endpoints only): plain TCP to an http:// proxy, TLS to
      // an https:// one, with the absolute-form requests inside that TLS.
      const proxyTls = proxy.tls;
      const toProxy = buildConnector({ ...(proxyTls ?? {}), timeout: connectMs, maxCachedSessions: 0 });
      const label = proxyLabel(proxy.url);
      connect = (_options, callback) => {
        toProxy(
          {
            hostname: proxy.url.hostname,
            host: proxy.url.host,
            protocol: proxyTls !== undefined ? "https:" : "http:",
            port: String(effectivePort(proxy.url)),
            ...(proxyTls?.servername !== undefined ? { servername: proxyTls.servername } : {}),
          },
          (err, socket) => {
            if (err !== null) callback(proxyDialFailed(this.opts.observer, label, err, proxyTls !== undefined), null);
            else {
              proxyDialed(this.opts.observer, label, socket);
              adopt(socket, false, callback);
            }
          },
        );
      };
    } else {
      connect = (options, callback) => {
        openTunnel({
          proxy,
          targetHost: endpoint.hostname,
          targetPort: effectivePort(endpoint),
          connectMs,
          observer: this.opts.observer,
          cache: this.proxyAuthCache,
        }).then(
          (tunnel) => {
            if (endpoint.protocol !== "https:") {
              adopt(tunnel.socket, false, callback);
              return;
            }
            // TLS to the listener inside the tunnel (undici's ProxyAgent does the same with httpSocket); over an
            // https:// proxy this is TLS inside the proxy's TLS, and the bindings are this inner session's.
            base({ ...options, httpSocket: tunnel.socket }, (err, socket) => {
              if (err !== null) {
                tunnel.socket.destroy();
                callback(err, null);
              } else adopt(socket, true, callback);
            });
          },
          (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), null),
        );
      };
    }
    const client = new Client(route === "forward" && proxy !== undefined ? proxy.url.origin : endpoint.origin, {
      pipelining: 1,
      headersTimeout: readMs,
      bodyTimeout: readMs,
      connect,
    });
    // Client holds at most one socket: the one 'connect' announced is the one 'disconnect' reports.
    let connectedId = 0;
    client.on("connect", () => {
      connectedId = this.socketSeq;
    });
    client.on("disconnect", () => {
      const gone = connectedId;
      if (this.current?.id === gone) this.current = undefined;
      // The security context (and its sealing sequence numbers) died with the socket (protocol.md 2.3).
      for (const l of this.disconnectListeners) l(gone);
    });
    return client;
  }

  private announceTls(
    socket: TLSSocket,
    cert: X509Certificate | undefined,
    bindings: ChannelBindings | undefined,
  ): void {
    if (this.opts.observer === undefined) return;
    emit(this.opts.observer, {
      type: "tls",
      protocol: socket.getProtocol() ?? "unknown",
      subject: cert?.subject.replace(/\n/g, ", ") ?? "",
      issuer: cert?.issuer.replace(/\n/g, ", ") ?? "",
      validTo: cert?.validTo ?? "",
      fingerprint256: cert?.fingerprint256 ?? "",
      channelBindings: bindings !== undefined,
    });
  }

  private mapError(err: unknown, signal: AbortSignal | undefined): Error {
    if (signal?.aborted) return abortReason(signal);
    if (err instanceof WinRMError) return err;
    const code = (err as { code?: unknown } | null)?.code;
    const target = this.targetAuthority();
    switch (code) {
      case "UND_ERR_CONNECT_TIMEOUT":
        return new TimeoutError(`connecting to ${target} took longer than timeouts.connectMs (${this.opts.connectMs} ms)`, {
          cause: err,
        });
      case "UND_ERR_HEADERS_TIMEOUT":
      case "UND_ERR_BODY_TIMEOUT":
        return new TimeoutError(`${target} sent no response within timeouts.readMs (${this.opts.readMs} ms)`, { cause: err });
      case "UND_ERR_ABORTED":
        return new AbortError({ cause: err });
      case "UND_ERR_SOCKET":
        return new ConnectionError(`the connection to ${target} closed before a response arrived`, { cause: err });
      case "ECONNREFUSED":
      case "ECONNRESET":
      case "EHOSTUNREACH":
      case "ENETUNREACH":
      case "ENOTFOUND":
      case "EAI_AGAIN":
      case "EPIPE":
        return new ConnectionError(`cannot reach ${target}: ${code}`, { cause: err });
      default: {
        const tlsText = describeTlsError(err);
        if (tlsText !== undefined) return new ConnectionError(`TLS to ${target} failed: ${tlsText}`, { cause: err });
        const msg = err instanceof Error ? err.message : String(err);
        return new ConnectionError(`request to ${target} failed: ${msg}`, { cause: err });
      }
    }
  }
}

/** The caller's abort reason when it is one of ours (TimeoutError from timeoutMs), else AbortError. */
export function abortReason(signal: AbortSignal): WinRMError {
  const reason: unknown = signal.reason;
  if (reason instanceof WinRMError) return reason;
  return new AbortError({ cause: reason });
}
