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
 */
import { Client, buildConnector } from "undici";
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import type { ChannelBindings } from "../auth/mechanism.js";
import { AbortError, ConnectionError, TimeoutError, WinRMError } from "../errors.js";
import { channelBindingsOf, describeTlsError, type TlsConnectOptions } from "./tls.js";

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
}

interface CurrentSocket {
  readonly id: number;
  readonly socket: Socket;
  bindings?: ChannelBindings | undefined;
  bindingsDone: boolean;
}

export class HttpChannel {
  private client: Client;
  private current: CurrentSocket | undefined;
  private socketSeq = 0;
  private readonly disconnectListeners = new Set<(connectionId: number) => void>();
  private closed = false;
  /** HTTP requests written (every leg of a handshake counts). */
  requests = 0;

  constructor(private readonly opts: HttpChannelOptions) {
    this.client = this.makeClient();
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
    const cur = this.current;
    if (cur === undefined || !(cur.socket instanceof TLSSocket)) return undefined;
    if (!cur.bindingsDone) {
      cur.bindings = channelBindingsOf(cur.socket);
      cur.bindingsDone = true;
    }
    return cur.bindings;
  }

  onDisconnect(listener: (connectionId: number) => void): () => void {
    this.disconnectListeners.add(listener);
    return () => this.disconnectListeners.delete(listener);
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    if (this.closed) throw new ConnectionError("the WinRM session is closed");
    if (req.signal?.aborted) throw abortReason(req.signal);
    this.requests++;
    const url = this.opts.endpoint;
    try {
      const res = await this.client.request({
        path: url.pathname + url.search,
        method: "POST",
        headers: {
          ...req.headers,
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

  private makeClient(): Client {
    const { endpoint, tls, connectMs, readMs } = this.opts;
    const base = buildConnector({
      ...(tls ?? {}),
      timeout: connectMs,
      // A resumed TLS session presents the same certificate, but keep it simple: a full handshake per socket.
      maxCachedSessions: 0,
    });
    const client = new Client(endpoint.origin, {
      pipelining: 1,
      headersTimeout: readMs,
      bodyTimeout: readMs,
      connect: (options, callback) => {
        base(options, (err, socket) => {
          if (err !== null) {
            callback(err, null);
            return;
          }
          const id = ++this.socketSeq;
          this.current = { id, socket, bindingsDone: false };
          socket.once("close", () => {
            if (this.current?.id === id) this.current = undefined;
          });
          callback(null, socket);
        });
      },
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

  private mapError(err: unknown, signal: AbortSignal | undefined): Error {
    if (signal?.aborted) return abortReason(signal);
    if (err instanceof WinRMError) return err;
    const code = (err as { code?: unknown } | null)?.code;
    const target = `${this.opts.endpoint.hostname}:${this.opts.endpoint.port || (this.opts.endpoint.protocol === "https:" ? 443 : 80)}`;
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
