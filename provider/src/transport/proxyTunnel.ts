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
 * - Never loop: at most one reconnect and MAX_LEGS CONNECT requests; a 407 to our final token is a rejection.
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
  LimitExceededError,
  ProxyAuthenticationError,
  ProxyError,
  TimeoutError,
  WinRMError,
} from "../errors.js";
import { credentialsHeader, findChallenge, offeredSchemes, PROXY_AUTH_HEADERS } from "./challenges.js";
import { emit, type PathObserver } from "./pathEvents.js";
import { effectivePort, proxyLabel, type ResolvedProxy } from "./proxyConfig.js";
import { describeTlsError } from "./tls.js";

/** Basic needs 2 CONNECTs, NTLM 3 (credential-less, NEGOTIATE, AUTHENTICATE); anything longer is broken. */
const MAX_LEGS = 4;
/** Bounds on what a proxy may send in reply to one CONNECT (the whole exchange is also bounded by connectMs). */
const MAX_HEAD_BYTES = 64 * 1024;
const MAX_HEADER_FIELDS = 100;
const MAX_BODY_BYTES = 1024 * 1024;
/** 1xx interim heads before the final one (RFC 9110 15.2 allows several; a proxy sending them forever is hostile). */
const MAX_INTERIM_RESPONSES = 8;
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

interface ProxyResponse {
  readonly status: number;
  readonly reason: string;
  readonly version: string;
  readonly headers: Record<string, string | string[]>;
  /** The proxy will close the connection after this response. */
  readonly closing: boolean;
}

export async function openTunnel(opts: TunnelOptions): Promise<Tunnel> {
  const label = proxyLabel(opts.proxy.url);
  const authority = `${opts.targetHost}:${opts.targetPort}`;
  const deadline = new Deadline(opts.connectMs, opts.signal, label);
  let conn: Conn | undefined;
  try {
    conn = await dial(opts, label, deadline);
    let legs = 0;
    let reconnected = false;
    let mech: AuthMechanism | undefined;
    let header = opts.proxy.auth === "basic" ? opts.cache?.basicHeader : undefined;
    const preemptive = header !== undefined;
    for (;;) {
      if (legs >= MAX_LEGS) {
        throw new ProxyAuthenticationError(
          mech?.name ?? opts.proxy.auth,
          mech?.stage ?? "CONNECT",
          `no result after ${MAX_LEGS} CONNECT requests; giving up rather than loop`,
        );
      }
      const sentToken = header !== undefined;
      conn.socket.write(connectRequest(authority, header));
      legs++;
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
      let token: Uint8Array | undefined;
      if (mech === undefined) {
        mech = createProxyMechanism(opts.proxy, offered);
        if (mech === undefined) {
          throw new ProxyAuthenticationError(
            opts.proxy.auth,
            "challenge",
            `the proxy ${label} does not offer ${opts.proxy.auth} (it offers: ${offeredText}); set proxy.auth to match`,
          );
        }
        token = await step(mech, undefined);
      } else {
        const challenge = findChallenge(challenges, mech.scheme);
        if (mech.complete || challenge?.token === undefined) {
          emit(opts.observer, {
            type: "connect",
            proxy: label,
            target: authority,
            status: 407,
            legs,
            proxyAuth: mech.scheme,
            reconnected,
          });
          throw new ProxyAuthenticationError(
            mech.name,
            mech.complete ? (mech.name === "basic" ? "credentials" : "AUTHENTICATE") : mech.stage,
            `the proxy ${label} rejected the credentials (HTTP 407 to our ${mech.complete ? "final " : ""}${mech.scheme} token)`,
          );
        }
        token = await step(mech, challenge.token);
      }
      if (token === undefined) {
        throw new ProxyAuthenticationError(mech.name, mech.stage, "the mechanism has no token to send but is not complete");
      }
      header = credentialsHeader(mech.scheme, token);
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

async function step(mech: AuthMechanism, token: Uint8Array | undefined): Promise<Uint8Array | undefined> {
  try {
    return await mech.step({ token, channelBindings: undefined });
  } catch (err) {
    if (err instanceof ProxyAuthenticationError) throw err;
    // The mechanism's own errors name the target; restate for the proxy, without any token.
    const why = err instanceof Error ? err.message : String(err);
    throw new ProxyAuthenticationError(mech.name, mech.stage, `could not process the proxy's challenge: ${why}`, { cause: err });
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

/** Reads HTTP/1.1 responses to CONNECT off a raw socket (RFC 9112 4-6), then hands the socket over untouched. */
class ResponseReader {
  private buf: Buffer = Buffer.alloc(0);
  private ended = false;
  private endError: Error | undefined;
  private waiter: (() => void) | undefined;
  private readonly onData = (chunk: Buffer) => {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
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

  /** Stop reading and give the socket back, with any bytes that came after the 2xx head pushed back into it. */
  detach(): Socket {
    const s = this.socket;
    s.off("data", this.onData);
    s.off("end", this.onEnd);
    s.off("close", this.onEnd);
    s.off("error", this.onError);
    s.pause();
    if (this.buf.length > 0) s.unshift(this.buf);
    this.buf = Buffer.alloc(0);
    return s;
  }

  async readResponse(): Promise<ProxyResponse> {
    for (let interim = 0; ; interim++) {
      const head = await this.readHead();
      // 1xx interim responses carry no body; the final answer follows (RFC 9110 15.2).
      if (head.status >= 100 && head.status < 200) {
        if (interim >= MAX_INTERIM_RESPONSES) {
          throw new LimitExceededError(
            "CONNECT interim responses",
            MAX_INTERIM_RESPONSES,
            "the proxy sent 1xx interim responses to CONNECT without a final one",
          );
        }
        continue;
      }
      if (head.status >= 200 && head.status < 300) return head;
      return this.skipBody(head);
    }
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private async more(): Promise<void> {
    if (this.ended) {
      throw this.endError ?? new ProxyClosedError("the proxy closed the connection before a complete response to CONNECT");
    }
    await new Promise<void>((resolve) => {
      this.waiter = resolve;
    });
  }

  private async readHead(): Promise<ProxyResponse> {
    for (;;) {
      const end = this.buf.indexOf("\r\n\r\n");
      if (end >= 0) {
        const text = this.buf.subarray(0, end).toString("latin1");
        this.buf = this.buf.subarray(end + 4);
        return parseHead(text);
      }
      if (this.buf.length > MAX_HEAD_BYTES) {
        throw new LimitExceededError("CONNECT reply head bytes", MAX_HEAD_BYTES, "the proxy sent an oversized response head to CONNECT");
      }
      await this.more();
    }
  }

  /** Read past a non-2xx body so the connection can carry the next CONNECT (RFC 9112 6.3). */
  private async skipBody(head: ProxyResponse): Promise<ProxyResponse> {
    const te = headerText(head.headers["transfer-encoding"]);
    const cl = headerText(head.headers["content-length"]);
    // The last transfer coding is chunked (RFC 9112 6.1): compared as text, no pattern on what the proxy wrote.
    if (te !== undefined && (te.split(",").pop() ?? "").trim().toLowerCase() === "chunked") {
      let total = 0;
      for (;;) {
        const lineEnd = await this.waitFor("\r\n");
        const size = parseInt(this.buf.subarray(0, lineEnd).toString("latin1"), 16);
        if (!Number.isFinite(size) || size < 0) throw new ProxyError("the proxy sent a malformed chunked body");
        total += size;
        if (total > MAX_BODY_BYTES) {
          throw new LimitExceededError("CONNECT reply body bytes", MAX_BODY_BYTES, "the proxy sent an oversized body with its reply to CONNECT");
        }
        this.buf = this.buf.subarray(lineEnd + 2);
        if (size === 0) {
          // trailers until an empty line
          for (let fields = 0; ; fields++) {
            if (fields > MAX_HEADER_FIELDS) {
              throw new LimitExceededError("CONNECT reply header count", MAX_HEADER_FIELDS, "the proxy sent too many trailer fields");
            }
            const e = await this.waitFor("\r\n");
            const empty = e === 0;
            this.buf = this.buf.subarray(e + 2);
            if (empty) return head;
          }
        }
        await this.waitBytes(size + 2);
        this.buf = this.buf.subarray(size + 2);
      }
    }
    if (cl !== undefined && /^\d+$/.test(cl.trim())) {
      const n = Number(cl.trim());
      if (n > MAX_BODY_BYTES) return { ...head, closing: true };
      await this.waitBytes(n);
      this.buf = this.buf.subarray(n);
      return head;
    }
    // No framing: the body runs to the close (RFC 9112 6.3 rule 8); this connection is done.
    return { ...head, closing: true };
  }

  private async waitFor(delim: string): Promise<number> {
    for (;;) {
      const i = this.buf.indexOf(delim);
      if (i >= 0) return i;
      if (this.buf.length > MAX_HEAD_BYTES) {
        throw new LimitExceededError("CONNECT reply chunk line bytes", MAX_HEAD_BYTES, "the proxy sent a malformed chunked body");
      }
      await this.more();
    }
  }

  private async waitBytes(n: number): Promise<void> {
    while (this.buf.length < n) await this.more();
  }
}

function headerText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(", ") : v;
}

function parseHead(text: string): ProxyResponse {
  const lines = text.split("\r\n");
  const m = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(lines[0] ?? "");
  if (m?.[1] === undefined || m[2] === undefined) {
    throw new ProxyError("the proxy answered CONNECT with something that is not an HTTP response");
  }
  if (lines.length - 1 > MAX_HEADER_FIELDS) {
    throw new LimitExceededError("CONNECT reply header count", MAX_HEADER_FIELDS, "the proxy sent too many header fields in its reply to CONNECT");
  }
  // A null-prototype map: field names are the proxy's data ("__proto__" is just a name).
  const headers: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prev = headers[name];
    headers[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  const version = m[1];
  const tokens = [headerText(headers.connection), headerText(headers["proxy-connection"])]
    .filter((v): v is string => v !== undefined)
    .join(",")
    .toLowerCase()
    .split(",")
    .map((t) => t.trim());
  // HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive" (RFC 9112 9.3).
  const closing = tokens.includes("close") || (version === "1.0" && !tokens.includes("keep-alive"));
  return { status: Number(m[2]), reason: (m[3] ?? "").trim(), version, headers, closing };
}
