/**
 * One pinned HTTP/1.1 connection per WinRM session, on the project's own HTTP/1.1 client (http1Connection.ts; never
 * a pool: NTLM, Kerberos and CredSSP authenticate the TCP connection, and the sealing state lives with it, MS-WSMV
 * 2.2.9.1; RFC 4559 6).
 *
 * - one request at a time on the socket, no pipelining, so a response belongs to the request just written;
 * - `Accept-Encoding: identity`: WinRM bodies are never compressed at the HTTP level (pypsrp sends the same, IIS and
 *   Exchange fronts otherwise gzip, and a compressed multipart/encrypted body cannot be length-checked);
 * - `Content-Length` on every request, including 0 on the bodyless handshake POSTs: http.sys answers chunked shell
 *   verbs with wsman:InternalError (MS-WSMV 2.2.4.43; provider/src/testing/server.ts, metasploit #6827);
 * - the dial counts sockets and keeps the TLS socket for channel bindings; the socket's close tells the session that
 *   the socket (and the security context bound to it) is gone.
 *
 * Three routes (RFC 9110 9.3.6):
 * - direct: the socket goes to the endpoint;
 * - tunnel: the socket is a CONNECT tunnel through the proxy (proxyTunnel.ts, with the proxy's 407 handshake), TLS
 *   inside it for https://; one tunnel = one end-to-end connection, so connection-based auth keeps its affinity;
 * - forward: the socket goes to the proxy and every request is in absolute-form (`POST http://host:5985/wsman`,
 *   RFC 9112 3.2.2) with `Host` = the endpoint (RFC 9112 3.2); http:// endpoints only (policy.ts). Still one pinned
 *   client connection: whether the proxy pins its upstream connection to it is the session's affinity check.
 * An https:// proxy (RFC 9110 11.7) adds TLS between us and the proxy on the tunnel and forward routes; that TLS is
 * the proxy's (proxy.tls), and channel bindings only ever come from the host's own TLS (`hostTls` below), never from
 * it: over an https:// proxy to an http:// host there are none, as with an http:// proxy.
 * auto = tunnel; for an http:// endpoint, when the proxy refuses CONNECT (403/405/501/400: squid allows CONNECT only
 * to SSL_ports by default), switch to forward for the life of the channel. A refused CONNECT sent no byte to the host,
 * so the request is simply sent again on the new route.
 *
 * Bounds (everything a peer sends is bounded; the host or anything on the path may be hostile):
 * - dials: timeouts.connectMs per attempt, timeouts.connectAttempts attempts with backoff (dialRetry.ts);
 * - a total deadline per response (timeouts.readMs), from the moment the request is on a connected socket to the
 *   last body byte (an idle timer is one that a peer trickling a byte at a time never trips);
 * - the body: `maxBodyBytes` (the session derives it from the MaxEnvelopeSize we declare); a declared Content-Length
 *   over it fails before any body byte is read, a chunked or unframed body at the first byte over it;
 * - the head: MAX_HEADER_BYTES and MAX_HEADER_COUNT fields (http1Connection.ts).
 */
import { X509Certificate } from "node:crypto";
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import type { ChannelBindings } from "../auth/mechanism.js";
import {
  AbortError,
  ConnectionError,
  ConnectionLostError,
  ProxyAuthenticationError,
  ProxyError,
  TimeoutError,
  WinRMError,
} from "../errors.js";
import { dialWithRetries, type DialContext } from "./dialRetry.js";
import { isSocksProxy, openSocks5 } from "./socks5.js";
import { offeredSchemes, PROXY_AUTH_HEADERS } from "./challenges.js";
import { emit, type PathObserver } from "./pathEvents.js";
import { effectivePort, proxyLabel, type ResolvedProxy } from "./proxyConfig.js";
import { ConnectRefusedError, openTunnel, proxyDialed, proxyDialFailed, type ProxyAuthCache } from "./proxyTunnel.js";
import { tlsServerEndPointBindings } from "../wire/channelBindings.js";
import { MalformedResponseError } from "../wire/http1.js";
import { Http1Connection, MAX_HEADER_BYTES, MAX_HEADER_COUNT } from "./http1Connection.js";
import { dialSocket } from "./socketDial.js";
import {
  clientCertificateDialError,
  hostAskedForClientCertificate,
  HostRenegotiationWatch,
  verifyHostPin,
  type TlsConnectOptions,
} from "./tls.js";

export type Route = "direct" | "tunnel" | "forward";

/**
 * Response head bounds. WinRM heads are small (a 401 with one Negotiate token of a few KiB is the largest); http.sys
 * itself refuses request heads over 16 KiB (MaxRequestBytes). 64 KiB leaves room for large Kerberos tokens.
 */
export { MAX_HEADER_BYTES, MAX_HEADER_COUNT };

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
  /** Dial attempts (timeouts.connectAttempts, 1 = no retry); default 1. */
  readonly connectAttempts?: number | undefined;
  /** Total deadline of one response, head and body (timeouts.readMs). */
  readonly readMs: number;
  /** Largest response body accepted, in bytes (default: no cap; the session always sets one). */
  readonly maxBodyBytes?: number | undefined;
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
  /** The open connection, if any (closed or not reusable ones are replaced on the next request). */
  private conn: Http1Connection | undefined;
  private current: CurrentSocket | undefined;
  private socketSeq = 0;
  private readonly disconnectListeners = new Set<(connectionId: number) => void>();
  private closed = false;
  private routeValue: Route;
  private routeAnnounced = false;
  private readonly proxyAuthCache: ProxyAuthCache = {};
  private lastBindings: ChannelBindings | undefined;
  /** Ends the backoff waits of the current dials (on reset and close). */
  private dialStop = new AbortController();
  /** Bumped by reset() and close(): a dial that completes for an older generation is thrown away. */
  private generation = 0;
  /** HTTP requests written (every leg of a handshake counts). */
  requests = 0;
  /** Dials that failed and were tried again (timeouts.connectAttempts). */
  dialRetries = 0;

  constructor(private readonly opts: HttpChannelOptions) {
    const proxy = opts.proxy;
    this.routeValue = proxy === undefined ? "direct" : proxy.mode === "forward" ? "forward" : "tunnel";
  }

  /** How requests travel now (auto mode may move from tunnel to forward once). */
  get route(): Route {
    return this.routeValue;
  }

  /** The last TLS session with the host itself, and whether it asked for a client certificate when it ended. */
  private hostTls: TLSSocket | undefined;
  private certificateAsked: boolean | undefined;

  /**
   * Whether the host had asked the TLS session of the last response for a client certificate, in the handshake or
   * by renegotiation (tls.ts hostAskedForClientCertificate); undefined when not known.
   */
  clientCertificateRequested(): boolean | undefined {
    return this.certificateAsked;
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
    const deadline = new ResponseDeadline(this.opts.readMs, this.targetAuthority());
    // The deadline counts from a connected socket: dials have their own bounds (connectMs x connectAttempts).
    let connected = false;
    const signal = req.signal !== undefined ? AbortSignal.any([req.signal, deadline.signal]) : deadline.signal;
    // The caller gave up (abort, timeoutMs): no more dial attempts for this request.
    const stopDialing = (): void => this.dialStop.abort();
    req.signal?.addEventListener("abort", stopDialing, { once: true });
    try {
      const conn = this.conn?.reusable === true ? this.conn : await this.dial(req.signal);
      connected = true;
      deadline.start();
      const connectionId = this.current?.id ?? this.socketSeq;
      const res = await conn.request({
        method: "POST",
        // RFC 9112 3.2.2: a request to a forward proxy names the target in absolute-form.
        target: forward ? url.origin + url.pathname + url.search : url.pathname + url.search,
        headers: {
          // RFC 9112 3.2: Host is the endpoint on every route (the forward proxy reads it too).
          host: url.host,
          ...withoutFraming(req.headers),
          "accept-encoding": "identity",
          // Persistence is HTTP/1.1's default (RFC 9112 9.3); said anyway for HTTP/1.0 intermediaries, as pywinrm
          // (requests) does.
          connection: "keep-alive",
          "content-length": String(req.body.length),
        },
        body: req.body,
        signal,
        maxBodyBytes: this.opts.maxBodyBytes,
        peer: this.targetAuthority(),
        // Whether the host asked for a client certificate: read while the TLS handle is still there (with
        // "Connection: close" the socket is gone after the body).
        onHead: () => {
          if (this.hostTls !== undefined && !this.hostTls.destroyed) this.certificateAsked = hostAskedForClientCertificate(this.hostTls);
        },
      });
      if (forward) this.checkForwardStatus(res.status, res.headers);
      return { status: res.status, headers: res.headers, body: res.body, connectionId };
    } catch (err) {
      if (deadline.expired !== undefined && req.signal?.aborted !== true) throw deadline.expired;
      throw this.mapError(err, req.signal, connected);
    } finally {
      deadline.clear();
      req.signal?.removeEventListener("abort", stopDialing);
      // Later requests dial with retries again.
      if (this.dialStop.signal.aborted && !this.closed) this.dialStop = new AbortController();
    }
  }

  /** A new connection for the current route, with retries (dialRetry.ts); the caller's abort ends the wait. */
  private async dial(signal: AbortSignal | undefined): Promise<Http1Connection> {
    const old = this.conn;
    this.conn = undefined;
    if (old !== undefined) void old.destroy();
    const generation = this.generation;
    const dialCtx: DialContext = {
      target: this.targetAuthority(),
      connectMs: this.opts.connectMs,
      attempts: this.opts.connectAttempts ?? 1,
    };
    const dialing = dialWithRetries(
      async () => this.adopt(...(await this.openSocket())),
      dialCtx,
      this.dialStop.signal,
      () => this.dialRetries++,
    ).then((conn) => {
      if (generation !== this.generation || this.closed) {
        void conn.destroy();
        throw new ConnectionError("the WinRM session is closed");
      }
      this.conn = conn;
      return conn;
    });
    if (signal === undefined) return dialing;
    // An abort during the dial settles the request at once; the dial ends by its own bounds (its socket is kept).
    dialing.catch(() => undefined);
    return new Promise<Http1Connection>((resolve, reject) => {
      const onAbort = (): void => reject(abortReason(signal));
      if (signal.aborted) onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      dialing.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  /** Throw the socket away (its security context is unusable, e.g. after a decrypt failure); the next request reconnects. */
  async reset(): Promise<void> {
    const old = this.conn;
    this.conn = undefined;
    this.current = undefined;
    this.generation++;
    this.dialStop.abort();
    this.dialStop = new AbortController();
    await old?.destroy();
  }

  /** Stop retrying dials (the session is closing): a dial in progress ends with its current attempt. */
  stopDialing(): void {
    this.dialStop.abort();
  }

  /**
   * Close the connection. Always settles: a graceful close gets CLOSE_GRACE_MS, then the socket is destroyed (the
   * session closes only after its last request settled, so nothing is lost).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.generation++;
    this.current = undefined;
    this.dialStop.abort();
    const conn = this.conn;
    this.conn = undefined;
    await conn?.close(CLOSE_GRACE_MS);
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

  /**
   * Open one socket for the current route: to the host (direct), to the proxy (forward), or through the proxy (a
   * CONNECT or SOCKS5 tunnel, with TLS to the host inside it for https://). `hostTls`: whether the socket is TLS with
   * the WinRM host itself (a socket to an https:// proxy is TLS too, but with the proxy: its certificate must never
   * feed channel bindings, the pin check or the host's "tls" event).
   */
  private async openSocket(): Promise<[socket: Socket, hostTls: boolean]> {
    const { endpoint, tls: tlsWithPin, connectMs, proxy } = this.opts;
    const { pin: _pin, ...tls } = tlsWithPin ?? {};
    const hostTls = endpoint.protocol === "https:" ? tls : undefined;
    const host = bare(endpoint.hostname);
    const port = effectivePort(endpoint);
    const route = this.routeValue;
    if (route === "direct" || proxy === undefined) {
      try {
        return [await dialSocket({ host, port, tls: hostTls, timeoutMs: connectMs }), true];
      } catch (err) {
        throw clientCertificateDialError(err as Error, tls);
      }
    }
    if (route === "forward") {
      // The socket goes to the proxy (forward is for http:// endpoints only): plain TCP to an http:// proxy, TLS to
      // an https:// one, with the absolute-form requests inside that TLS.
      const proxyTls = proxy.tls;
      const label = proxyLabel(proxy.url);
      let socket: Socket;
      try {
        socket = await dialSocket({
          host: bare(proxy.url.hostname),
          port: effectivePort(proxy.url),
          tls: proxyTls,
          timeoutMs: connectMs,
        });
      } catch (err) {
        throw proxyDialFailed(this.opts.observer, label, err, proxyTls !== undefined);
      }
      proxyDialed(this.opts.observer, label, socket);
      return [socket, false];
    }
    const leg = { proxy, targetHost: endpoint.hostname, targetPort: port, connectMs, observer: this.opts.observer };
    // A SOCKS5 proxy gives the same end-to-end socket as a CONNECT tunnel (transport/socks5.ts).
    const tunnel = await (isSocksProxy(proxy.url) ? openSocks5(leg) : openTunnel({ ...leg, cache: this.proxyAuthCache }));
    if (hostTls === undefined) return [tunnel.socket, false];
    // TLS to the listener inside the tunnel; over an https:// proxy this is TLS inside the proxy's TLS, and the
    // bindings are this inner session's.
    try {
      return [await dialSocket({ host, port, tls: hostTls, over: tunnel.socket, timeoutMs: connectMs }), true];
    } catch (err) {
      tunnel.socket.destroy();
      throw clientCertificateDialError(err as Error, tls);
    }
  }

  /** Take a new socket as the channel's connection: pin check, bindings, the "tls" event, the close watch. */
  private adopt(socket: Socket, hostTls: boolean): Http1Connection {
    const pin = this.opts.tls?.pin;
    const id = ++this.socketSeq;
    const tlsSocket = hostTls && socket instanceof TLSSocket ? socket : undefined;
    // Read once per connection, for the pin, the bindings and the "tls" event. From getPeerCertificate's DER, not
    // getPeerX509Certificate: Node 20's client takes that one out of the session's chain (a second call, or a
    // renegotiation that resumes the session, then sees no certificate at all), and HostRenegotiationWatch
    // reads it again at each renegotiation.
    const cert = tlsSocket !== undefined ? peerCertificate(tlsSocket) : undefined;
    // tls.thumbprint: the host's own certificate, on every connection and route (tls.ts verifyHostPin).
    const pinError = tlsSocket !== undefined ? verifyHostPin(pin, cert) : undefined;
    if (pinError !== undefined) {
      socket.destroy();
      throw pinError;
    }
    const bindings = cert !== undefined ? tlsServerEndPointBindings(cert.raw) : undefined;
    if (bindings !== undefined) this.lastBindings = bindings;
    this.current = { id, socket, bindings };
    const conn = new Http1Connection(socket);
    socket.once("close", () => {
      if (this.current?.id === id) this.current = undefined;
      if (this.conn === conn) this.conn = undefined;
      // The security context (and its sealing sequence numbers) died with the socket (MS-WSMV 2.2.9.1).
      for (const l of this.disconnectListeners) l(id);
    });
    if (tlsSocket !== undefined) {
      this.announceTls(tlsSocket, cert, bindings);
      this.hostTls = tlsSocket;
      this.certificateAsked = hostAskedForClientCertificate(tlsSocket);
      // A renegotiation (the host asking for the client certificate after the request) derives new keys, and the
      // keylog event marks it, after its Certificate and CertificateRequest were read: the same certificate, at
      // most MAX_HOST_RENEGOTIATIONS times (tls.ts HostRenegotiationWatch). The line (key material) is never kept.
      // A refusal destroys the socket with it: the request in flight fails with that error (http1Connection.ts).
      const watch = new HostRenegotiationWatch(cert?.fingerprint256);
      tlsSocket.on("keylog", (line: Buffer) => {
        const refused = watch.onKeylog(line, () => peerCertificate(tlsSocket)?.fingerprint256);
        if (refused !== undefined) {
          tlsSocket.destroy(refused);
          return;
        }
        if (this.opts.tls?.cert !== undefined && this.hostTls === tlsSocket) {
          this.certificateAsked = hostAskedForClientCertificate(tlsSocket);
        }
      });
    }
    return conn;
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

  /**
   * A failure of one request, named by its step: dial failures arrive as WinRMErrors from the connector (phase
   * "connect": nothing was sent); once the socket was connected the request may have reached the host, so a broken
   * connection is a ConnectionLostError ("exchange"), never "cannot reach".
   */
  private mapError(err: unknown, signal: AbortSignal | undefined, connected: boolean): Error {
    if (signal?.aborted) return abortReason(signal);
    if (err instanceof WinRMError) return err;
    const code = (err as { code?: unknown } | null)?.code;
    const target = this.targetAuthority();
    if (err instanceof MalformedResponseError) {
      return new ConnectionLostError(
        `${target} sent a response that is not valid HTTP/1.1 (${err.message}); the host may have received the request`,
        { cause: err },
      );
    }
    const what = typeof code === "string" ? code : err instanceof Error ? err.message : String(err);
    if (!connected) return new ConnectionError(`connecting to ${target} failed: ${what}`, { cause: err, phase: "connect" });
    return new ConnectionLostError(
      `the connection to ${target} broke after the request was sent, before the complete response (${what}); ` +
        "the host may have received it",
      { cause: err },
    );
  }
}

/** How long close() lets a graceful close take before it destroys the socket. */
const CLOSE_GRACE_MS = 1_000;

/**
 * timeouts.readMs as a total deadline for one response (head and body), started when the request has a connected
 * socket. Its signal aborts the request (which destroys the socket); `expired` is the error to report.
 */
class ResponseDeadline {
  private readonly ctl = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  expired: TimeoutError | undefined;

  constructor(
    private readonly ms: number,
    private readonly target: string,
  ) {}

  get signal(): AbortSignal {
    return this.ctl.signal;
  }

  /** Start the deadline, or start it over (a new socket for the same request). */
  start(): void {
    if (this.expired !== undefined) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.expired = new TimeoutError(
        `${this.target} did not send a complete response within timeouts.readMs (${this.ms} ms); the request had ` +
          "been sent, so the host may have received it",
      );
      this.ctl.abort(this.expired);
    }, this.ms);
  }

  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}

/** A host name as sockets take it (an IPv6 literal without its URL brackets). */
function bare(hostname: string): string {
  return hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
}

/** The caller's fields without the framing ones the channel sets itself. */
function withoutFraming(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const n = name.toLowerCase();
    if (n === "host" || n === "content-length" || n === "transfer-encoding" || n === "accept-encoding" || n === "connection") continue;
    out[name] = value;
  }
  return out;
}

/** The caller's abort reason when it is one of ours (TimeoutError from timeoutMs), else AbortError. */
export function abortReason(signal: AbortSignal): WinRMError {
  const reason: unknown = signal.reason;
  if (reason instanceof WinRMError) return reason;
  return new AbortError({ cause: reason });
}

/** The host's certificate on this TLS connection, as its session holds it now (see adopt). */
function peerCertificate(socket: TLSSocket): X509Certificate | undefined {
  const raw = socket.getPeerCertificate(false)?.raw;
  return raw !== undefined && raw.length > 0 ? new X509Certificate(raw) : undefined;
}
