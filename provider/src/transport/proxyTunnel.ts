/**
 * CONNECT tunnels through an HTTP proxy, with the proxy's own authentication (the piece undici's ProxyAgent lacks: it
 * sends one static Proxy-Authorization and turns a 407 into an error, so multi-leg NTLM to a proxy needs this).
 *
 * - RFC 9110 9.3.6 / RFC 9112 3.2.3: `CONNECT host:port HTTP/1.1` in authority-form with `Host: host:port`; any 2xx
 *   opens the tunnel and the proxy sends no body (we ignore Content-Length/Transfer-Encoding on it); from then on the
 *   TCP pipe is ours end to end: TLS to the listener for https://, plain HTTP for http://.
 * - RFC 9110 11.7.1-11.7.2 / 15.5.8: a 407 carries Proxy-Authenticate; we answer with Proxy-Authorization through the
 *   same AuthMechanism the target uses (only the header pair differs, see auth/index.ts createProxyMechanism).
 *   Proxy-Authorization is hop-by-hop and goes on CONNECT requests only, never inside the tunnel.
 * - MS-NTHT 4.2 and the ISA/TMG capture in MS-GRVHENC 4.6: the proxy may answer the first, credential-less CONNECT
 *   with 407 + `Connection: close` / `Proxy-Connection: close`; we reconnect once and run the NTLM legs on the new
 *   connection. A close in the middle of the NTLM legs loses the context (it belongs to the connection): an error.
 * - Never loop: at most one reconnect, and MAX_LEGS credentials headers counted by the one 401/407 driver
 *   (authDriver.ts); a 407 to our final token is a rejection.
 * - `Proxy-Connection` is non-standard and RFC 7230 A.1.2 asks clients not to send it; we send `Connection: keep-alive`
 *   (for HTTP/1.0 proxies) and honour either header in responses.
 * - No credential ever appears in an error or an event: the proxy is named by host:port only.
 * - An https:// proxy (RFC 9110 11.7): TLS to the proxy first, verified against proxy.tls (never the host's tls
 *   settings), then the CONNECT exchange inside it, so Proxy-Authorization never crosses the network in clear; TLS to
 *   an https:// host then runs inside that TLS (TLS in TLS), and its channel bindings are the host's.
 */
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect, TLSSocket } from "node:tls";
import { createProxyMechanism } from "../auth/index.js";
import type { AuthMechanism } from "../auth/mechanism.js";
import {
  AbortError,
  ConnectionError,
  ProxyAuthenticationError,
  ProxyError,
  TimeoutError,
  WinRMError,
} from "../errors.js";
import { AuthDriver, type DriverAction, proxySide } from "./authDriver.js";
import { offeredSchemes, PROXY_AUTH_HEADERS } from "./challenges.js";
import { emit, type PathObserver } from "./pathEvents.js";
import { effectivePort, proxyLabel, type ResolvedProxy } from "./proxyConfig.js";
import { describeTlsError } from "./tls.js";
import { ConnectResponseDecoder, MalformedResponseError, type ResponseHead } from "../wire/http1.js";

/**
 * Credentials headers per tunnel, enforced by the driver: Basic and Kerberos need 1, NTLM 2 (NEGOTIATE,
 * AUTHENTICATE) after the credential-less CONNECT; anything longer is broken.
 */
const MAX_LEGS = 4;
// What a proxy may send in reply to one CONNECT is bounded by wire/http1.ts HTTP1_LIMITS (and the time by connectMs).
/** Statuses by which a proxy says "no CONNECT to there" (squid: 403 for ports outside SSL_ports; 405/501 elsewhere). */
const REFUSAL_STATUSES: ReadonlySet<number> = new Set([400, 403, 405, 501]);

/** The proxy refused the CONNECT itself (policy, not a failure to reach the target): auto mode may forward instead. */
export class ConnectRefusedError extends ProxyError {}

/** The proxy closed the connection before it answered CONNECT (a reset one hop away: dialRetry.ts retries it). */
export class ProxyClosedError extends ProxyError {}

/** Shared between the tunnels of one channel: Basic is stateless, so later tunnels send it pre-emptively (RFC 7617 2.2). */
export interface ProxyAuthCache {
  basicHeader?: string;
}

export interface TunnelOptions {
  readonly proxy: ResolvedProxy;
  /** host and port of the WinRM endpoint; IPv6 literals in brackets, as URL.hostname gives them. */
  readonly targetHost: string;
  readonly targetPort: number;
  readonly connectMs: number;
  readonly signal?: AbortSignal | undefined;
  readonly observer?: PathObserver | undefined;
  readonly cache?: ProxyAuthCache;
}

export interface Tunnel {
  readonly socket: Socket;
  readonly status: number;
  /** CONNECT requests written. */
  readonly legs: number;
  readonly proxyAuth: string | undefined;
  readonly reconnected: boolean;
}

type ProxyResponse = ResponseHead;

export async function openTunnel(opts: TunnelOptions): Promise<Tunnel> {
  const label = proxyLabel(opts.proxy.url);
  const authority = `${opts.targetHost}:${opts.targetPort}`;
  const deadline = new Deadline(opts.connectMs, opts.signal, label);
  let conn: Conn | undefined;
  try {
    conn = await dial(opts, label, deadline);
    let reconnected = false;
    let mech: AuthMechanism | undefined;
    let driver: AuthDriver | undefined;
    let header = opts.proxy.auth === "basic" ? opts.cache?.basicHeader : undefined;
    const preemptive = header !== undefined;
    // The CONNECTs written: the first (no credentials, or the cached Basic header), then one per credentials header
    // of the driver, which alone counts them against the leg limit (MAX_LEGS) and so ends any 407 loop.
    const connects = (): number => 1 + (driver?.legs ?? 0);
    for (;;) {
      const sentToken = header !== undefined;
      conn.socket.write(connectRequest(authority, header));
      const legs = connects();
      const res = await deadline.race(conn.reader.readResponse());
      if (res.status >= 200 && res.status < 300) {
        if (mech?.name === "basic" && header !== undefined && opts.cache !== undefined) opts.cache.basicHeader = header;
        const proxyAuth = mech?.scheme ?? (preemptive ? "Basic" : undefined);
        emit(opts.observer, {
          type: "connect",
          proxy: label,
          target: authority,
          status: res.status,
          legs,
          ...(proxyAuth !== undefined ? { proxyAuth } : {}),
          reconnected,
        });
        const socket = conn.reader.detach();
        deadline.clear();
        return { socket, status: res.status, legs, proxyAuth, reconnected };
      }
      if (res.status !== PROXY_AUTH_HEADERS.status) {
        emit(opts.observer, { type: "connect", proxy: label, target: authority, status: res.status, legs, reconnected });
        const Err = REFUSAL_STATUSES.has(res.status) ? ConnectRefusedError : ProxyError;
        throw new Err(
          `the proxy ${label} answered CONNECT ${authority} with HTTP ${res.status}${res.reason ? ` ${res.reason}` : ""}` +
            (REFUSAL_STATUSES.has(res.status)
              ? " (it does not allow tunnels to that port; squid allows only SSL_ports by default)"
              : res.status === 502 || res.status === 503 || res.status === 504
                ? " (the proxy could not reach the WinRM endpoint)"
                : ""),
          { httpStatus: res.status },
        );
      }
      // 407 Proxy Authentication Required.
      const challenges = res.headers[PROXY_AUTH_HEADERS.challenge];
      const offered = offeredSchemes(challenges);
      const offeredText = offered.length > 0 ? offered.join(", ") : "nothing";
      // Kerberos (and Kerberos-first Negotiate) may run on the ticket cache without credentials.
      const ticketCache = opts.proxy.auth === "kerberos" || opts.proxy.auth === "negotiate";
      if (opts.proxy.auth === "none" || (opts.proxy.credentials === undefined && !ticketCache)) {
        emit(opts.observer, { type: "connect", proxy: label, target: authority, status: 407, legs, reconnected });
        throw new ProxyAuthenticationError(
          "none",
          "CONNECT",
          `the proxy ${label} requires authentication (it offers: ${offeredText}); set proxy.auth and the proxy ` +
            "credentials (proxy authentication requires an https:// endpoint)",
        );
      }
      if (mech === undefined && preemptive && sentToken) {
        emit(opts.observer, { type: "connect", proxy: label, target: authority, status: 407, legs, reconnected });
        throw new ProxyAuthenticationError("basic", "credentials", `the proxy ${label} rejected the credentials (HTTP 407)`);
      }
      if (mech === undefined || driver === undefined) {
        mech = createProxyMechanism(opts.proxy, offered);
        if (mech === undefined) {
          throw new ProxyAuthenticationError(
            opts.proxy.auth,
            "challenge",
            `the proxy ${label} does not offer ${opts.proxy.auth} (it offers: ${offeredText}); set proxy.auth to match`,
          );
        }
        // The proxy's 2xx carries no mutual authentication we check: done when it opens the tunnel.
        driver = new AuthDriver(mech, { side: proxySide(label), maxLegs: MAX_LEGS, requireComplete: false });
        header = await driver.start();
      } else {
        let action: DriverAction;
        try {
          action = await driver.onResponse(res.status, challenges);
        } catch (err) {
          emit(opts.observer, {
            type: "connect",
            proxy: label,
            target: authority,
            status: 407,
            legs,
            proxyAuth: mech.scheme,
            reconnected,
          });
          throw err;
        }
        if (action.kind !== "send") throw new ProxyAuthenticationError(mech.name, mech.stage, "unexpected end of the 407 legs");
        header = action.header;
      }
      if (res.closing) {
        // Only the credential-less 407 may close (MS-NTHT 4.2): after a token of ours, an NTLM context died with it.
        if ((sentToken && mech.name !== "basic") || reconnected) {
          throw new ProxyAuthenticationError(
            mech.name,
            mech.stage,
            `the proxy ${label} closed the connection in the middle of the ${mech.scheme} handshake; connection-based ` +
              "proxy authentication needs all its legs on one connection (MS-NTHT 4.2)",
          );
        }
        conn.socket.destroy();
        conn = await dial(opts, label, deadline);
        reconnected = true;
      }
    }
  } catch (err) {
    deadline.clear();
    conn?.socket.destroy();
    if (err instanceof WinRMError) throw err;
    throw new ProxyError(`CONNECT through the proxy ${label} failed: ${describe(err)}`, { cause: err });
  }
}

function connectRequest(authority: string, proxyAuthorization: string | undefined): string {
  return (
    `CONNECT ${authority} HTTP/1.1\r\n` +
    `Host: ${authority}\r\n` +
    "Connection: keep-alive\r\n" +
    (proxyAuthorization !== undefined ? `Proxy-Authorization: ${proxyAuthorization}\r\n` : "") +
    "\r\n"
  );
}

interface Conn {
  readonly socket: Socket;
  readonly reader: ResponseReader;
}

async function dial(opts: TunnelOptions, label: string, deadline: Deadline): Promise<Conn> {
  const host = opts.proxy.url.hostname.replace(/^\[|\]$/g, "");
  const port = effectivePort(opts.proxy.url);
  const tlsOpts = opts.proxy.tls;
  const socket: Socket = tlsOpts !== undefined ? tlsConnect({ host, port, ...tlsOpts }) : netConnect({ host, port });
  socket.setNoDelay(true);
  deadline.track(socket);
  try {
    await deadline.race(
      new Promise<void>((resolve, reject) => {
        socket.once(tlsOpts !== undefined ? "secureConnect" : "connect", () => resolve());
        socket.once("error", reject);
      }),
    );
  } catch (err) {
    socket.destroy();
    if (err instanceof WinRMError) throw err;
    throw proxyDialFailed(opts.observer, label, err, tlsOpts !== undefined);
  }
  proxyDialed(opts.observer, label, socket);
  return { socket, reader: new ResponseReader(socket) };
}

/**
 * The socket to the proxy could not be opened (both routes through a proxy: the CONNECT tunnel here, forward in
 * http.ts): the "proxy-connect" event, and the error to throw.
 */
export function proxyDialFailed(
  observer: PathObserver | undefined,
  label: string,
  err: unknown,
  proxyTls: boolean,
): ConnectionError | ProxyError {
  const text = describe(err);
  emit(observer, { type: "proxy-connect", proxy: label, ok: false, error: text });
  const tlsText = proxyTls ? describeTlsError(err, "proxy.tls") : undefined;
  if (tlsText !== undefined) {
    // The proxy's certificate failed: nothing but a ClientHello went out, no CONNECT and no credential.
    return new ConnectionError(`TLS to the proxy ${label} failed: ${tlsText}`, { cause: err });
  }
  return new ProxyError(`cannot reach the proxy ${label}: ${text}`, { cause: err });
}

/** The socket to the proxy is open: the "proxy-connect" event, and "proxy-tls" when it is TLS to an https:// proxy. */
export function proxyDialed(observer: PathObserver | undefined, label: string, socket: Socket): void {
  emit(observer, { type: "proxy-connect", proxy: label, ok: true });
  if (socket instanceof TLSSocket) announceProxyTls(observer, label, socket);
}

/** The proxy's TLS, for the path events (the host's TLS is announced by http.ts). */
function announceProxyTls(observer: PathObserver | undefined, label: string, socket: TLSSocket): void {
  if (observer === undefined) return;
  const cert = socket.getPeerCertificate();
  const name = (o: Record<string, unknown> | undefined): string =>
    o === undefined
      ? ""
      : Object.entries(o)
          .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join("+") : String(v)}`)
          .join(", ");
  emit(observer, {
    type: "proxy-tls",
    proxy: label,
    protocol: socket.getProtocol() ?? "unknown",
    subject: name(cert.subject),
    issuer: name(cert.issuer),
    validTo: cert.valid_to ?? "",
  });
}

function describe(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string") return code;
  return err instanceof Error ? err.message : String(err);
}

/** connectMs for the whole tunnel setup (TCP + all 407 legs), and the caller's abort signal. */
class Deadline {
  private timer: NodeJS.Timeout | undefined;
  private readonly failures = new Set<(e: Error) => void>();
  private failure: Error | undefined;
  private readonly sockets: Socket[] = [];
  private readonly onAbort: () => void;

  constructor(
    ms: number,
    private readonly signal: AbortSignal | undefined,
    label: string,
  ) {
    this.onAbort = () => this.fail(new AbortError({ cause: signal?.reason }));
    this.timer = setTimeout(() => {
      this.fail(new TimeoutError(`the tunnel through the proxy ${label} took longer than timeouts.connectMs (${ms} ms)`));
    }, ms);
    if (signal?.aborted) this.onAbort();
    else signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  track(socket: Socket): void {
    this.sockets.push(socket);
  }

  race<T>(p: Promise<T>): Promise<T> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      const onFail = (e: Error) => reject(e);
      this.failures.add(onFail);
      p.then(
        (v) => {
          this.failures.delete(onFail);
          resolve(v);
        },
        (e: unknown) => {
          this.failures.delete(onFail);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }

  private fail(e: Error): void {
    if (this.failure !== undefined) return;
    this.failure = e;
    for (const s of this.sockets) s.destroy();
    for (const f of this.failures) f(e);
    this.failures.clear();
  }

  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.signal?.removeEventListener("abort", this.onAbort);
  }
}

/**
 * Moves the bytes of the replies to CONNECT from the socket into the pure decoder (wire/http1.ts), then hands the
 * socket over untouched, with any bytes that came after a 2xx head pushed back into it.
 */
class ResponseReader {
  private readonly decoder = new ConnectResponseDecoder();
  private ended = false;
  private endError: Error | undefined;
  private waiter: (() => void) | undefined;
  private readonly onData = (chunk: Buffer) => {
    this.decoder.push(chunk);
    this.wake();
  };
  private readonly onEnd = () => {
    this.ended = true;
    this.wake();
  };
  private readonly onError = (err: Error) => {
    this.ended = true;
    this.endError = err;
    this.wake();
  };

  constructor(private readonly socket: Socket) {
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("close", this.onEnd);
    socket.on("error", this.onError);
  }

  detach(): Socket {
    const s = this.socket;
    s.off("data", this.onData);
    s.off("end", this.onEnd);
    s.off("close", this.onEnd);
    s.off("error", this.onError);
    s.pause();
    const rest = this.decoder.rest();
    if (rest.length > 0) s.unshift(rest);
    return s;
  }

  async readResponse(): Promise<ProxyResponse> {
    for (;;) {
      let head: ResponseHead | undefined;
      try {
        head = this.decoder.next();
      } catch (err) {
        if (err instanceof MalformedResponseError) {
          throw new ProxyError(`the proxy answered CONNECT with something that is not a valid HTTP response: ${err.message}`, {
            cause: err,
          });
        }
        throw err;
      }
      if (head !== undefined) return head;
      if (this.ended) {
        throw this.endError ?? new ProxyClosedError("the proxy closed the connection before a complete response to CONNECT");
      }
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}
