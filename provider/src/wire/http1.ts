/**
 * A pure, incremental HTTP/1.1 response decoder for the replies a proxy sends to CONNECT (RFC 9112): no I/O, bytes in,
 * complete responses out, so the socket code only moves bytes (transport/proxyTunnel.ts) and every rule is tested on
 * byte vectors (test/unit/http1.test.ts).
 *
 * - Status line `HTTP/x.y SP 3DIGIT SP reason` (RFC 9112 4); the reason may be empty.
 * - Field lines `name: value` (RFC 9112 5); obs-fold (a line starting with SP or HTAB, RFC 9112 5.2) is refused, as a
 *   proxy that folds lines is either ancient or smuggling; a field name must be a token.
 * - 1xx interim responses carry no body and are skipped (RFC 9110 15.2), at most MAX_INTERIM of them.
 * - A 2xx to CONNECT has no body whatever its headers say (RFC 9110 9.3.6): the bytes after its head are the tunnel's.
 * - Any other response's body is framed by Transfer-Encoding (last coding chunked) or Content-Length (RFC 9112 6.3);
 *   with neither, or with a body larger than the bound, it runs to the close and the response says `closing`.
 * - Bounds: 64 KiB of head, 100 fields, 1 MiB of body; LimitExceededError names the bound.
 * Scans are linear (indexOf and character loops); no pattern runs on the peer's bytes.
 */
import { LimitExceededError, ProtocolError } from "../errors.js";

export const HTTP1_LIMITS = {
  headBytes: 64 * 1024,
  headerFields: 100,
  bodyBytes: 1024 * 1024,
  interimResponses: 8,
} as const;

/** The peer's bytes are not HTTP/1.x (the caller names the peer). */
export class MalformedResponseError extends ProtocolError {}

export interface ResponseHead {
  readonly status: number;
  readonly reason: string;
  /** "1.1" or "1.0". */
  readonly version: string;
  /** Lower-case names; repeated fields as arrays. A null-prototype map: names are the peer's data. */
  readonly headers: Record<string, string | string[]>;
  /** The peer will close the connection after this response (Connection/Proxy-Connection, version, framing). */
  readonly closing: boolean;
}

const CRLF = Buffer.from("\r\n");
const HEAD_END = Buffer.from("\r\n\r\n");

const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+.^_`|~-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TCHAR[c] !== 1) return false;
  }
  return true;
}

export function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function isHexDigits(s: string): boolean {
  if (s.length === 0 || s.length > 8) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) | 0x20;
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

export function headerText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(", ") : v;
}

/** The comma-separated tokens of a header, lower case (Connection, Transfer-Encoding). */
function tokens(v: string | string[] | undefined): string[] {
  const text = headerText(v);
  if (text === undefined) return [];
  return text
    .split(",")
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== "");
}

/**
 * Parse one response head: the bytes before the empty line, CRLF-separated (no final CRLF CRLF). Throws
 * MalformedResponseError or LimitExceededError (`limitPrefix` names the head, e.g. "CONNECT reply").
 */
export function parseResponseHead(bytes: Uint8Array, limitPrefix = "response"): ResponseHead {
  if (bytes.length > HTTP1_LIMITS.headBytes) {
    throw new LimitExceededError(`${limitPrefix} head bytes`, HTTP1_LIMITS.headBytes, "the peer sent an oversized response head");
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
  const lines = text.split("\r\n");
  const statusLine = lines[0] ?? "";
  // "HTTP/" DIGIT "." DIGIT SP 3DIGIT [SP reason]
  const version = statusLine.slice(5, 8);
  const code = statusLine.slice(9, 12);
  if (
    !statusLine.startsWith("HTTP/") ||
    version.length !== 3 ||
    !isDigits(version[0] ?? "") ||
    version[1] !== "." ||
    !isDigits(version[2] ?? "") ||
    statusLine[8] !== " " ||
    !isDigits(code) ||
    code.length !== 3 ||
    (statusLine.length > 12 && statusLine[12] !== " ")
  ) {
    throw new MalformedResponseError("the answer is not an HTTP/1.x response");
  }
  if (version[0] !== "1") throw new MalformedResponseError(`the answer is HTTP/${version}, not HTTP/1.x`);
  const reason = statusLine.slice(13).trim();
  if (lines.length - 1 > HTTP1_LIMITS.headerFields) {
    throw new LimitExceededError(`${limitPrefix} header count`, HTTP1_LIMITS.headerFields, "the peer sent too many header fields");
  }
  const headers = Object.create(null) as Record<string, string | string[]>;
  for (const line of lines.slice(1)) {
    const first = line.charCodeAt(0);
    if (first === 0x20 || first === 0x09) {
      throw new MalformedResponseError("the response folds a header line (obs-fold, refused by RFC 9112 5.2)");
    }
    const colon = line.indexOf(":");
    const name = colon < 0 ? "" : line.slice(0, colon);
    if (!isToken(name)) throw new MalformedResponseError("the response has a header line that is not `name: value`");
    const value = line.slice(colon + 1).trim();
    const key = name.toLowerCase();
    const prev = headers[key];
    headers[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  const conn = [...tokens(headers.connection), ...tokens(headers["proxy-connection"])];
  // HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive" (RFC 9112 9.3).
  const closing = conn.includes("close") || (version === "1.0" && !conn.includes("keep-alive"));
  return { status: Number(code), reason, version, headers, closing };
}

/** How the body after a head is delimited (RFC 9112 6.3), for a response to CONNECT. */
export type BodyFraming =
  | { readonly kind: "none" }
  | { readonly kind: "length"; readonly length: number }
  | { readonly kind: "chunked" }
  | { readonly kind: "until-close" };

export function connectBodyFraming(head: ResponseHead): BodyFraming {
  // A 2xx to CONNECT switches to tunnel mode; 1xx, 204 and 304 have no body (RFC 9110 9.3.6, RFC 9112 6.3 rules 1-2).
  if ((head.status >= 100 && head.status < 300) || head.status === 304) return { kind: "none" };
  const te = tokens(head.headers["transfer-encoding"]);
  if (te.length > 0) return te[te.length - 1] === "chunked" ? { kind: "chunked" } : { kind: "until-close" };
  const cl = headerText(head.headers["content-length"]);
  if (cl !== undefined) {
    // Repeated equal values are allowed (RFC 9112 6.3 rule 5); anything else is unframed.
    const values = cl.split(",").map((v) => v.trim());
    const n = values[0] ?? "";
    if (isDigits(n) && n.length <= 15 && values.every((v) => v === n)) return { kind: "length", length: Number(n) };
    return { kind: "until-close" };
  }
  return { kind: "until-close" };
}

/**
 * Incremental decoder of the responses to CONNECT requests on one connection: push() the bytes as they come, then
 * next() gives each complete final response (interim 1xx skipped, a non-2xx body read past), or undefined while more
 * bytes are needed. After a 2xx, rest() is what the peer sent beyond the head (the tunnel's first bytes).
 */
export class ConnectResponseDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private interim = 0;
  /** A final head whose body is being read past. */
  private pending: { head: ResponseHead; framing: BodyFraming } | undefined;
  private chunk: { remaining: number; total: number; trailers: number | undefined } | undefined;
  private bodyLeft = 0;

  constructor(private readonly limitPrefix = "CONNECT reply") {}

  push(chunk: Uint8Array): void {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
  }

  /** Bytes after the last response returned; clears them. */
  rest(): Buffer {
    const r = this.buf;
    this.buf = Buffer.alloc(0);
    return r;
  }

  next(): ResponseHead | undefined {
    for (;;) {
      if (this.pending !== undefined) return this.readBody();
      const end = this.buf.indexOf(HEAD_END);
      if (end < 0) {
        if (this.buf.length > HTTP1_LIMITS.headBytes + HEAD_END.length) {
          throw new LimitExceededError(
            `${this.limitPrefix} head bytes`,
            HTTP1_LIMITS.headBytes,
            "the proxy sent an oversized response head to CONNECT",
          );
        }
        return undefined;
      }
      const head = parseResponseHead(this.buf.subarray(0, end), this.limitPrefix);
      this.buf = this.buf.subarray(end + HEAD_END.length);
      if (head.status < 200) {
        if (this.interim >= HTTP1_LIMITS.interimResponses) {
          throw new LimitExceededError(
            "CONNECT interim responses",
            HTTP1_LIMITS.interimResponses,
            "the proxy sent 1xx interim responses to CONNECT without a final one",
          );
        }
        this.interim++;
        continue;
      }
      this.interim = 0;
      const framing = connectBodyFraming(head);
      if (framing.kind === "none") return head;
      if (framing.kind === "until-close") return { ...head, closing: true };
      if (framing.kind === "length") {
        // Too large to read past: the connection is done with, as if unframed.
        if (framing.length > HTTP1_LIMITS.bodyBytes) return { ...head, closing: true };
        this.bodyLeft = framing.length;
      } else {
        this.chunk = { remaining: -1, total: 0, trailers: undefined };
      }
      this.pending = { head, framing };
    }
  }

  private finish(): ResponseHead {
    const head = this.pending?.head;
    this.pending = undefined;
    this.chunk = undefined;
    if (head === undefined) throw new Error("no pending response");
    return head;
  }

  private readBody(): ResponseHead | undefined {
    if (this.pending?.framing.kind === "length") {
      const take = Math.min(this.bodyLeft, this.buf.length);
      this.buf = this.buf.subarray(take);
      this.bodyLeft -= take;
      return this.bodyLeft === 0 ? this.finish() : undefined;
    }
    const c = this.chunk;
    if (c === undefined) throw new Error("no chunk state");
    for (;;) {
      if (c.trailers !== undefined) {
        const e = this.line();
        if (e === undefined) return undefined;
        if (e === 0) return this.finish();
        if (++c.trailers > HTTP1_LIMITS.headerFields) {
          throw new LimitExceededError(`${this.limitPrefix} header count`, HTTP1_LIMITS.headerFields, "the proxy sent too many trailer fields");
        }
        continue;
      }
      if (c.remaining < 0) {
        const lineBytes = this.peekLine();
        if (lineBytes === undefined) return undefined;
        const text = lineBytes.toString("latin1");
        const semi = text.indexOf(";");
        const sizeText = (semi < 0 ? text : text.slice(0, semi)).trim();
        if (!isHexDigits(sizeText)) throw new MalformedResponseError("the proxy sent a malformed chunked body");
        const size = parseInt(sizeText, 16);
        c.total += size;
        if (c.total > HTTP1_LIMITS.bodyBytes) {
          throw new LimitExceededError(`${this.limitPrefix} body bytes`, HTTP1_LIMITS.bodyBytes, "the proxy sent an oversized body with its reply to CONNECT");
        }
        this.buf = this.buf.subarray(lineBytes.length + CRLF.length);
        if (size === 0) {
          c.trailers = 0;
          continue;
        }
        c.remaining = size + CRLF.length; // data, then its CRLF
      }
      const take = Math.min(c.remaining, this.buf.length);
      const tail = this.buf.subarray(0, take);
      // The last two bytes of a chunk must be CRLF.
      for (let i = 0; i < tail.length; i++) {
        const pos = c.remaining - i; // bytes left including this one
        if (pos === 2 && tail[i] !== 0x0d) throw new MalformedResponseError("the proxy sent a malformed chunked body");
        if (pos === 1 && tail[i] !== 0x0a) throw new MalformedResponseError("the proxy sent a malformed chunked body");
      }
      this.buf = this.buf.subarray(take);
      c.remaining -= take;
      if (c.remaining > 0) return undefined;
      c.remaining = -1;
    }
  }

  /** The bytes of the next line (without CRLF), without consuming it. */
  private peekLine(): Buffer | undefined {
    const i = this.buf.indexOf(CRLF);
    if (i < 0) {
      if (this.buf.length > HTTP1_LIMITS.headBytes) {
        throw new LimitExceededError(`${this.limitPrefix} chunk line bytes`, HTTP1_LIMITS.headBytes, "the proxy sent a malformed chunked body");
      }
      return undefined;
    }
    return this.buf.subarray(0, i);
  }

  /** Consume one line; its length, or undefined when incomplete. */
  private line(): number | undefined {
    const l = this.peekLine();
    if (l === undefined) return undefined;
    this.buf = this.buf.subarray(l.length + CRLF.length);
    return l.length;
  }
}
