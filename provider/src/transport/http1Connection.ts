/**
 * One HTTP/1.1 client connection on a socket someone else opened (transport/http.ts: direct, tunnel or to a forward
 * proxy): write a request, read its response on the same socket, keep the socket for the next one. One request at a
 * time, no pipelining: the response on the socket is always the answer to the request just written (the session
 * serialises its messages).
 *
 * - Request: request line (origin-form, or absolute-form to a forward proxy, RFC 9112 3.2), the fields, and a body
 *   framed by Content-Length (RFC 9112 6.2), always: http.sys refuses chunked WinRM requests.
 * - Response head: wire/http1.ts parseResponseHead, bounded to MAX_HEADER_BYTES and its field count; 1xx interim
 *   responses (100 Continue, 103) are skipped (RFC 9110 15.2), at most HTTP1_LIMITS.interimResponses.
 * - Response body (RFC 9112 6.3): none for HEAD, 204 and 304; chunked (wire/chunked.ts) when Transfer-Encoding's
 *   only coding is chunked; else Content-Length; else up to the close. Both Transfer-Encoding and Content-Length, or
 *   a coding other than chunked, is refused (RFC 9112 6.1, 6.3 rule 3: a response-splitting sign; we never accept
 *   codings: Accept-Encoding identity). Bounded by maxBodyBytes: a declared Content-Length over it fails before any
 *   body byte is read; a known length is read into one Buffer allocated once.
 * - Persistence (RFC 9112 9.3): kept unless the response says Connection: close, is HTTP/1.0 without keep-alive, or
 *   was delimited by the close. Bytes the peer sends between responses end the connection (nothing was asked).
 * - Errors: a socket error, or a close before the response is complete, rejects the request with the raw error (the
 *   channel names it: the request had left); an abort (the caller's signal or the channel's deadline) destroys the
 *   socket and rejects with the signal's reason. After any failure the socket is destroyed.
 */
import type { Socket } from "node:net";
import { LimitExceededError } from "../errors.js";
import { ChunkedDecoder } from "../wire/chunked.js";
import { HTTP1_LIMITS, MalformedResponseError, headerText, isDigits, parseResponseHead, type ResponseHead } from "../wire/http1.js";

/** Response head bounds (the head up to its empty line, and its field count: wire/http1.ts HTTP1_LIMITS). */
export const MAX_HEADER_BYTES = 64 * 1024;
export const MAX_HEADER_COUNT = HTTP1_LIMITS.headerFields;

const HEAD_END = Buffer.from("\r\n\r\n");

export interface Http1Request {
  readonly method: string;
  /** origin-form (`/wsman`) or absolute-form (`http://host:5985/wsman`). */
  readonly target: string;
  /** Field names as sent; Host and Content-Length are the caller's to include. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  readonly signal: AbortSignal;
  /** Largest body accepted (default: no cap). */
  readonly maxBodyBytes?: number | undefined;
  /** host:port, for messages. */
  readonly peer: string;
  /** Called when the final head is parsed, before its body is read. */
  readonly onHead?: ((head: ResponseHead) => void) | undefined;
}

export interface Http1Response {
  readonly status: number;
  /** Lower-case names; repeated fields as arrays. */
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly body: Buffer;
}

/** The peer closed the connection before the response was complete. */
export class PeerClosedError extends Error {
  readonly code = "ECONNCLOSED";
  constructor(when: string) {
    super(`the peer closed the connection ${when}`);
  }
}

type Framing =
  | { readonly kind: "none" }
  | { readonly kind: "length"; readonly length: number }
  | { readonly kind: "chunked" }
  | { readonly kind: "until-close" };

interface InFlight {
  readonly req: Http1Request;
  readonly resolve: (res: Http1Response) => void;
  readonly reject: (err: unknown) => void;
  /** Head bytes not yet terminated by CRLF CRLF. */
  headBuf: Buffer | undefined;
  interim: number;
  head: ResponseHead | undefined;
  framing: Framing | undefined;
  /** Known length: the one Buffer, and how much of it is filled. */
  fixed: Buffer | undefined;
  filled: number;
  /** Chunked or until-close: the pieces. */
  pieces: Buffer[];
  pieceBytes: number;
  chunked: ChunkedDecoder | undefined;
}

export class Http1Connection {
  private inFlight: InFlight | undefined;
  /** The peer will close after the current response, or the socket is being closed: no new request. */
  private closing = false;
  private readonly closed: Promise<void>;

  constructor(readonly socket: Socket) {
    this.closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err: Error) => this.fail(err));
    socket.on("end", () => this.onEnd());
    socket.on("close", () => this.onEnd());
    // A tunnel's socket comes paused (proxyTunnel.ts detach, with the proxy's extra bytes unshifted): flow again.
    socket.resume();
  }

  /** Whether a request may be written now. */
  get reusable(): boolean {
    return !this.closing && this.inFlight === undefined && !this.socket.destroyed && !this.socket.readableEnded;
  }

  request(req: Http1Request): Promise<Http1Response> {
    if (!this.reusable) return Promise.reject(new PeerClosedError("before the request was written"));
    if (req.signal.aborted) return Promise.reject(asError(req.signal.reason));
    return new Promise<Http1Response>((resolve, reject) => {
      const onAbort = (): void => this.fail(req.signal.reason);
      req.signal.addEventListener("abort", onAbort, { once: true });
      this.inFlight = {
        req,
        resolve: (res) => {
          req.signal.removeEventListener("abort", onAbort);
          resolve(res);
        },
        reject: (err) => {
          req.signal.removeEventListener("abort", onAbort);
          reject(asError(err));
        },
        headBuf: undefined,
        interim: 0,
        head: undefined,
        framing: undefined,
        fixed: undefined,
        filled: 0,
        pieces: [],
        pieceBytes: 0,
        chunked: undefined,
      };
      let head: string;
      try {
        head = requestHead(req);
      } catch (err) {
        this.fail(err);
        return;
      }
      this.socket.cork();
      this.socket.write(head, "latin1");
      if (req.body.length > 0) this.socket.write(req.body);
      this.socket.uncork();
    });
  }

  /** End the connection gracefully (FIN after anything queued), destroying it after `graceMs`. */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    if (this.socket.destroyed) return;
    this.socket.end();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.closed, new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    this.socket.destroy();
  }

  /** Destroy the socket now; settles when it is closed. */
  destroy(): Promise<void> {
    this.closing = true;
    this.socket.destroy();
    return this.closed;
  }

  private fail(err: unknown): void {
    this.closing = true;
    const f = this.inFlight;
    this.inFlight = undefined;
    this.socket.destroy();
    f?.reject(err);
  }

  private onEnd(): void {
    this.closing = true;
    const f = this.inFlight;
    if (f === undefined) return;
    if (f.framing?.kind === "until-close") {
      this.complete(f);
      return;
    }
    this.fail(new PeerClosedError(f.head === undefined ? "before the response head" : "in the middle of the response body"));
  }

  private onData(chunk: Buffer): void {
    const f = this.inFlight;
    if (f === undefined) {
      // Nothing was asked: a peer that talks out of turn is not one to keep talking to.
      this.closing = true;
      this.socket.destroy();
      return;
    }
    try {
      let rest: Buffer | undefined = chunk;
      while (rest !== undefined && rest.length > 0 && this.inFlight === f) {
        rest = f.framing === undefined ? this.readHead(f, rest) : this.readBody(f, rest);
      }
      if (rest !== undefined && rest.length > 0) {
        // Bytes after the complete response: not an answer to anything we sent.
        this.closing = true;
        this.socket.destroy();
      }
    } catch (err) {
      this.fail(err);
    }
  }

  /** Consume head bytes; returns the bytes after the final head (or undefined when more are needed). */
  private readHead(f: InFlight, chunk: Buffer): Buffer | undefined {
    const buf = f.headBuf === undefined ? chunk : Buffer.concat([f.headBuf, chunk]);
    // Search only where a new terminator can be: the last 3 bytes already held, then the new ones.
    const from = f.headBuf === undefined ? 0 : Math.max(0, f.headBuf.length - 3);
    const end = buf.indexOf(HEAD_END, from);
    if (end < 0 || end > MAX_HEADER_BYTES) {
      if (buf.length > MAX_HEADER_BYTES + HEAD_END.length - 1) {
        throw new LimitExceededError("response header bytes", MAX_HEADER_BYTES, `${f.req.peer} sent an oversized response head`);
      }
      // Copy: the socket's chunk may be a slice of a larger pooled buffer.
      f.headBuf = Buffer.from(buf);
      return undefined;
    }
    f.headBuf = undefined;
    const head = parseResponseHead(buf.subarray(0, end), "response");
    const rest = buf.subarray(end + HEAD_END.length);
    if (head.status < 200) {
      if (head.status === 101) throw new MalformedResponseError(`${f.req.peer} switched protocols (101) unasked`);
      if (++f.interim > HTTP1_LIMITS.interimResponses) {
        throw new LimitExceededError(
          "response interim responses",
          HTTP1_LIMITS.interimResponses,
          `${f.req.peer} sent 1xx interim responses without a final one`,
        );
      }
      return rest;
    }
    f.head = head;
    f.framing = this.framing(f.req, head);
    f.req.onHead?.(head);
    if (head.closing || f.framing.kind === "until-close") this.closing = true;
    switch (f.framing.kind) {
      case "none":
        this.complete(f);
        return rest;
      case "length":
        if (f.framing.length === 0) {
          this.complete(f);
          return rest;
        }
        f.fixed = Buffer.allocUnsafe(f.framing.length);
        break;
      case "chunked":
        f.chunked = new ChunkedDecoder(f.req.maxBodyBytes ?? Number.MAX_SAFE_INTEGER);
        break;
      case "until-close":
        break;
    }
    return rest;
  }

  private readBody(f: InFlight, chunk: Buffer): Buffer | undefined {
    const framing = f.framing as Framing;
    if (framing.kind === "length") {
      const fixed = f.fixed as Buffer;
      const take = Math.min(fixed.length - f.filled, chunk.length);
      chunk.copy(fixed, f.filled, 0, take);
      f.filled += take;
      if (f.filled === fixed.length) this.complete(f);
      return chunk.subarray(take);
    }
    if (framing.kind === "chunked") {
      const dec = f.chunked as ChunkedDecoder;
      const used = dec.push(chunk, (data) => {
        f.pieces.push(data);
        f.pieceBytes += data.length;
      });
      if (dec.done) this.complete(f);
      return chunk.subarray(used);
    }
    // until-close
    const cap = f.req.maxBodyBytes;
    if (cap !== undefined && f.pieceBytes + chunk.length > cap) throw this.bodyTooLarge(f.req, cap);
    f.pieces.push(chunk);
    f.pieceBytes += chunk.length;
    return undefined;
  }

  private complete(f: InFlight): void {
    this.inFlight = undefined;
    const head = f.head as ResponseHead;
    const body =
      f.fixed !== undefined ? f.fixed : f.pieces.length === 1 ? Buffer.from(f.pieces[0] as Buffer) : Buffer.concat(f.pieces, f.pieceBytes);
    if (this.closing && !this.socket.destroyed) this.socket.destroy();
    f.resolve({ status: head.status, headers: head.headers, body });
  }

  /** RFC 9112 6.3 for a response to `req`, with the body cap applied to a declared length. */
  private framing(req: Http1Request, head: ResponseHead): Framing {
    if (req.method === "HEAD" || head.status === 204 || head.status === 304) return { kind: "none" };
    const te = head.headers["transfer-encoding"];
    const cl = head.headers["content-length"];
    if (te !== undefined) {
      if (cl !== undefined) throw new MalformedResponseError(`${req.peer} sent both Transfer-Encoding and Content-Length`);
      const codings = (headerText(te) ?? "").split(",").map((t) => t.trim().toLowerCase()).filter((t) => t !== "");
      if (codings.length !== 1 || codings[0] !== "chunked") {
        throw new MalformedResponseError(`${req.peer} sent a transfer coding other than chunked`);
      }
      return { kind: "chunked" };
    }
    if (cl !== undefined) {
      // Repeated equal values are one value (RFC 9112 6.3 rule 5); anything else is refused.
      const values = (headerText(cl) ?? "").split(",").map((v) => v.trim());
      const digits = values[0] ?? "";
      if (!isDigits(digits) || !values.every((v) => v === digits)) {
        throw new MalformedResponseError(`${req.peer} sent an invalid Content-Length`);
      }
      const significant = digits.replace(/^0+/, "");
      const cap = req.maxBodyBytes;
      if (significant.length > 15 || (cap !== undefined && Number(significant) > cap)) {
        throw new LimitExceededError(
          "response body bytes",
          cap ?? Number.MAX_SAFE_INTEGER,
          `${req.peer} declared a response body of ${significant.length > 15 ? "more than 10^15" : significant} bytes (Content-Length), ` +
            "larger than any WinRM response may be (the cap is derived from the MaxEnvelopeSize the client sends)",
        );
      }
      return { kind: "length", length: Number(significant) };
    }
    return { kind: "until-close" };
  }

  private bodyTooLarge(req: Http1Request, cap: number): LimitExceededError {
    return new LimitExceededError(
      "response body bytes",
      cap,
      `${req.peer} sent a response body larger than any WinRM response may be (the cap is derived from the ` +
        "MaxEnvelopeSize the client sends); the connection was closed",
    );
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** The request line and fields; a CR or LF in any of them would split the request (refused). */
function requestHead(req: Http1Request): string {
  let head = `${req.method} ${req.target} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(req.headers)) {
    if (hasLineBreak(name) || hasLineBreak(value) || hasLineBreak(req.target)) {
      throw new TypeError(`the request field ${JSON.stringify(name)} contains a line break`);
    }
    head += `${name}: ${value}\r\n`;
  }
  return head + "\r\n";
}

function hasLineBreak(s: string): boolean {
  return s.includes("\r") || s.includes("\n");
}
