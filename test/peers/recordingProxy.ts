/**
 * Our own small HTTP proxy that keeps every byte it relays, per client connection and direction, so a test can show
 * what an on-path proxy could read: over every allowed path it must see no password, no NT hash of it and no plaintext
 * SOAP (issue 3, "a recording proxy").
 *
 * - CONNECT (RFC 9110 9.3.6): `200 Connection established`, then a blind byte pipe to the authority.
 * - Forward (absolute-form request target, RFC 9112 3.2.2): rewritten to origin-form and sent on ONE upstream
 *   connection per client connection (pinned, like squid's connection pinning), so connection-based auth works through
 *   it; like squid, it says so on every 401 with `Proxy-Support: Session-Based-Authentication` (RFC 4559 section 6).
 *   Proxy-Authorization and Proxy-Connection are hop-by-hop and not forwarded. Request bodies by Content-Length;
 *   responses are framed by Content-Length, chunked, or the origin closing.
 * - Optional Basic proxy auth: 407 + `Proxy-Authenticate: Basic realm="recording"` (keep-alive) until a request
 *   carries the right Proxy-Authorization.
 * - `refuseConnect`: CONNECT gets 403, as squid's default SSL_ports rule gives for WinRM ports.
 * - `tls`: an https:// proxy (RFC 9110 11.7): TLS with the client first (ALPN http/1.1), the same proxy inside it.
 *   `up`/`down` then hold the decrypted bytes (what the proxy itself reads); `wire` holds what actually crossed the
 *   network from each client, before TLS termination (what anyone else on the path could read).
 *
 * Loopback only; every socket is destroyed on close().
 */
import * as net from "node:net";
import { Duplex } from "node:stream";
import * as tls from "node:tls";

import { md4 } from "../../provider/src/wire/ntlm/md4.js";

export interface RecordedRequest {
  method: string;
  target: string;
  /** Header lines as received, [name, value]. */
  headers: [string, string][];
  /** What the proxy answered itself (407, 403, 502), or "relayed". */
  outcome: number | "relayed";
}

export interface RecordedConnection {
  readonly id: number;
  /** Bytes the client sent to the proxy (including tunnelled bytes). */
  readonly up: Buffer[];
  /** Bytes the proxy sent to the client (including tunnelled bytes). */
  readonly down: Buffer[];
  /** Every request head the proxy parsed on this connection (CONNECT and forward). */
  readonly requests: RecordedRequest[];
  /** The CONNECT authority once a CONNECT succeeded. */
  tunnel: string | undefined;
  /** Offset in the concatenated `up` bytes where the tunnel's bytes begin (after the last CONNECT head). */
  tunnelUpOffset: number | undefined;
  /** Number of upstream TCP connections this client connection used. */
  upstreams: number;
  closed: boolean;
}

export interface RecordingProxyOptions {
  basicAuth?: { username: string; password: string };
  refuseConnect?: boolean;
  /** Listen with TLS (an https:// proxy): the server certificate and key, PEM. */
  tls?: { certPem: string; keyPem: string };
}

interface ConnState {
  rec: RecordedConnection;
  client: net.Socket;
  buf: Buffer;
  mode: "head" | "body" | "discard" | "tunnel";
  remaining: number;
  upstream: net.Socket | undefined;
  upstreamAuthority: string | undefined;
  /** Client bytes received so far (sum of rec.up). */
  upTotal: number;
  /** Forward mode: the upstream response stream being framed. */
  resp: { buf: Buffer; mode: "head" | "body" | "chunk-size" | "chunk-data" | "trailer" | "close"; remaining: number };
}

export class RecordingProxy {
  readonly port: number;
  /** http://127.0.0.1:PORT/, or https://127.0.0.1:PORT/ with the tls option. */
  readonly url: string;
  readonly connections: RecordedConnection[] = [];
  /** Raw bytes each client sent over TCP, before any TLS termination, one entry per TCP connection. */
  readonly wire: Buffer[][] = [];
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly opts: RecordingProxyOptions;

  private constructor(server: net.Server, port: number, opts: RecordingProxyOptions) {
    this.server = server;
    this.port = port;
    this.url = `${opts.tls !== undefined ? "https" : "http"}://127.0.0.1:${port}/`;
    this.opts = opts;
  }

  /** Every raw byte clients sent over TCP (TLS records for a tls proxy), all connections. */
  wireBytes(): Buffer {
    return Buffer.concat(this.wire.flat());
  }

  static async start(opts: RecordingProxyOptions = {}): Promise<RecordingProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no address");
    const proxy = new RecordingProxy(server, address.port, opts);
    server.on("connection", (s: net.Socket) => proxy.onTcp(s));
    return proxy;
  }

  /** Everything relayed so far in one direction ("up" = client to proxy, "down" = proxy to client), all connections. */
  bytes(direction: "up" | "down"): Buffer {
    return Buffer.concat(this.connections.flatMap((c) => c[direction]));
  }

  /** Every request head seen, all connections. */
  get requests(): RecordedRequest[] {
    return this.connections.flatMap((c) => c.requests);
  }

  /** Forget what was recorded (between tests on one proxy). */
  reset(): void {
    this.connections.length = 0;
    this.wire.length = 0;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.once("close", () => this.sockets.delete(s));
  }

  /** Record the raw bytes, then terminate TLS (tls option) or handle the plain connection. */
  private onTcp(raw: net.Socket): void {
    this.track(raw);
    const wire: Buffer[] = [];
    this.wire.push(wire);
    raw.on("error", () => undefined);
    const tlsOpts = this.opts.tls;
    if (tlsOpts === undefined) {
      raw.on("data", (d: Buffer) => wire.push(Buffer.from(d)));
      this.accept(raw);
      return;
    }
    // A Duplex in front of the raw socket, so the bytes can be kept before the TLS layer reads them (a TLSSocket
    // over a net.Socket would take its handle over and no 'data' would reach us).
    const tap = new Duplex({
      read: () => raw.resume(),
      write: (chunk: Buffer, _enc, cb) => {
        if (raw.destroyed) cb();
        else raw.write(chunk, () => cb());
      },
      final: (cb) => {
        raw.end();
        cb();
      },
      destroy: (_err, cb) => {
        raw.destroy();
        cb(null);
      },
    });
    raw.on("data", (d: Buffer) => {
      wire.push(Buffer.from(d));
      if (!tap.push(d)) raw.pause();
    });
    raw.on("end", () => tap.push(null));
    raw.on("close", () => tap.destroy());
    const secure = new tls.TLSSocket(tap, {
      isServer: true,
      secureContext: tls.createSecureContext({ cert: tlsOpts.certPem, key: tlsOpts.keyPem }),
      ALPNProtocols: ["http/1.1"],
    });
    secure.on("error", () => raw.destroy());
    secure.once("secure", () => this.accept(secure));
  }

  private accept(client: net.Socket): void {
    this.track(client);
    const rec: RecordedConnection = { id: this.connections.length + 1, up: [], down: [], requests: [], tunnel: undefined, tunnelUpOffset: undefined, upstreams: 0, closed: false };
    this.connections.push(rec);
    const st: ConnState = { rec, client, buf: Buffer.alloc(0), mode: "head", remaining: 0, upstream: undefined, upstreamAuthority: undefined, upTotal: 0, resp: { buf: Buffer.alloc(0), mode: "head", remaining: 0 } };
    client.on("data", (d: Buffer) => {
      rec.up.push(Buffer.from(d));
      st.upTotal += d.length;
      this.onClientData(st, d);
    });
    client.on("error", () => undefined);
    client.once("close", () => {
      rec.closed = true;
      st.upstream?.destroy();
    });
  }

  private send(st: ConnState, data: Buffer | string): void {
    const b = typeof data === "string" ? Buffer.from(data, "latin1") : data;
    st.rec.down.push(Buffer.from(b));
    if (!st.client.destroyed) st.client.write(b);
  }

  private reply(st: ConnState, status: number, reason: string, extra: string[] = []): void {
    this.send(st, [`HTTP/1.1 ${status} ${reason}`, ...extra, "Content-Length: 0", "", ""].join("\r\n"));
  }

  private onClientData(st: ConnState, d: Buffer): void {
    if (st.mode === "tunnel") {
      st.upstream?.write(d);
      return;
    }
    st.buf = Buffer.concat([st.buf, d]);
    for (;;) {
      // onRequestHead (below, in an earlier turn of this loop) may have opened a tunnel.
      if ((st.mode as ConnState["mode"]) === "tunnel") {
        if (st.buf.length > 0) st.upstream?.write(st.buf);
        st.buf = Buffer.alloc(0);
        return;
      }
      if (st.mode === "body" || st.mode === "discard") {
        const n = Math.min(st.remaining, st.buf.length);
        if (st.mode === "body" && n > 0) st.upstream?.write(st.buf.subarray(0, n));
        st.buf = st.buf.subarray(n);
        st.remaining -= n;
        if (st.remaining > 0) return;
        st.mode = "head";
      }
      const end = st.buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = st.buf.subarray(0, end).toString("latin1");
      st.buf = st.buf.subarray(end + 4);
      this.onRequestHead(st, head);
    }
  }

  private onRequestHead(st: ConnState, head: string): void {
    const [requestLine = "", ...headerLines] = head.split("\r\n");
    const [method = "", target = "", version = "HTTP/1.1"] = requestLine.split(" ");
    const headers: [string, string][] = headerLines.map((l) => {
      const i = l.indexOf(":");
      return [l.slice(0, i).trim(), l.slice(i + 1).trim()];
    });
    const header = (name: string) => headers.find(([k]) => k.toLowerCase() === name)?.[1];
    const req: RecordedRequest = { method, target, headers, outcome: "relayed" };
    st.rec.requests.push(req);
    const length = Number(header("content-length") ?? "0");

    if (/chunked/i.test(header("transfer-encoding") ?? "")) {
      req.outcome = 501;
      this.reply(st, 501, "Not Implemented", ["Connection: close"]);
      st.client.end();
      return;
    }
    if (this.opts.basicAuth !== undefined) {
      const { username, password } = this.opts.basicAuth;
      const expected = `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;
      if (header("proxy-authorization") !== expected) {
        req.outcome = 407;
        this.reply(st, 407, "Proxy Authentication Required", ['Proxy-Authenticate: Basic realm="recording"']);
        st.mode = "discard";
        st.remaining = length;
        return;
      }
    }

    if (method === "CONNECT") {
      if (this.opts.refuseConnect === true) {
        req.outcome = 403;
        this.reply(st, 403, "Forbidden");
        return;
      }
      const { host, port } = splitAuthority(target, 443);
      const up = this.openUpstream(st, host, port, "tunnel");
      st.mode = "tunnel";
      st.rec.tunnel = target;
      st.rec.tunnelUpOffset = st.upTotal - st.buf.length;
      st.client.pause();
      up.once("connect", () => {
        this.send(st, "HTTP/1.1 200 Connection established\r\n\r\n");
        st.client.resume();
      });
      return;
    }

    let url: URL;
    try {
      url = new URL(target);
    } catch {
      req.outcome = 400;
      this.reply(st, 400, "Bad Request", ["Connection: close"]);
      st.client.end();
      return;
    }
    const authority = `${url.hostname}:${url.port || "80"}`;
    if (st.upstream === undefined || st.upstreamAuthority !== authority || st.upstream.destroyed) {
      st.upstream?.destroy();
      st.upstreamAuthority = authority;
      this.openUpstream(st, url.hostname, Number(url.port || "80"), "forward");
    }
    const kept = headers.filter(([k]) => !/^proxy-(authorization|connection)$/i.test(k));
    const out = [`${method} ${url.pathname}${url.search} ${version}`, ...kept.map(([k, v]) => `${k}: ${v}`), "", ""].join("\r\n");
    st.upstream?.write(Buffer.from(out, "latin1"));
    st.mode = "body";
    st.remaining = length;
  }

  private openUpstream(st: ConnState, host: string, port: number, kind: "tunnel" | "forward"): net.Socket {
    const up = net.connect({ host: host.replace(/^\[|\]$/g, ""), port });
    this.track(up);
    st.upstream = up;
    st.rec.upstreams++;
    st.resp = { buf: Buffer.alloc(0), mode: "head", remaining: 0 };
    up.on("data", (d: Buffer) => (kind === "tunnel" ? this.send(st, d) : this.onResponseData(st, d)));
    up.on("error", () => {
      if (!st.client.destroyed) {
        if (st.mode === "tunnel" && st.rec.down.length === 0) this.reply(st, 502, "Bad Gateway", ["Connection: close"]);
        st.client.end();
      }
    });
    // The origin closed its side: close ours, a pinned client connection has no other upstream.
    up.once("close", () => {
      if (st.upstream === up && !st.client.destroyed) st.client.end();
    });
    return up;
  }

  /** Forward mode: relay the origin's responses, adding Proxy-Support to each 401 head (RFC 4559 section 6). */
  private onResponseData(st: ConnState, d: Buffer): void {
    const r = st.resp;
    r.buf = Buffer.concat([r.buf, d]);
    for (;;) {
      if (r.mode === "close") {
        if (r.buf.length > 0) this.send(st, r.buf);
        r.buf = Buffer.alloc(0);
        return;
      }
      if (r.mode === "body" || r.mode === "chunk-data") {
        const n = Math.min(r.remaining, r.buf.length);
        if (n > 0) this.send(st, r.buf.subarray(0, n));
        r.buf = r.buf.subarray(n);
        r.remaining -= n;
        if (r.remaining > 0) return;
        r.mode = r.mode === "body" ? "head" : "chunk-size";
        continue;
      }
      const lineEnd = r.buf.indexOf(r.mode === "head" ? "\r\n\r\n" : "\r\n");
      if (lineEnd < 0) return;
      if (r.mode === "chunk-size" || r.mode === "trailer") {
        const line = r.buf.subarray(0, lineEnd + 2);
        this.send(st, line);
        r.buf = r.buf.subarray(lineEnd + 2);
        if (r.mode === "trailer") {
          if (line.length === 2) r.mode = "head";
          continue;
        }
        const size = parseInt(line.toString("latin1"), 16);
        if (size === 0) r.mode = "trailer";
        else {
          r.mode = "chunk-data";
          r.remaining = size + 2; // the data and its CRLF
        }
        continue;
      }
      let head = r.buf.subarray(0, lineEnd).toString("latin1");
      r.buf = r.buf.subarray(lineEnd + 4);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? "0");
      if (status === 401) head += "\r\nProxy-Support: Session-Based-Authentication";
      this.send(st, Buffer.from(head + "\r\n\r\n", "latin1"));
      const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1];
      if ((status >= 100 && status < 200) || status === 204 || status === 304) r.mode = "head";
      else if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(head)) r.mode = "chunk-size";
      else if (cl !== undefined) {
        r.remaining = Number(cl);
        r.mode = r.remaining > 0 ? "body" : "head";
      } else r.mode = "close";
    }
  }
}

function splitAuthority(authority: string, defaultPort: number): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(authority);
  return { host: m?.[1] ?? authority, port: m?.[2] !== undefined ? Number(m[2]) : defaultPort };
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* What must never cross the proxy                                                                                   */
/* ---------------------------------------------------------------------------------------------------------------- */

/** The NT hash (MS-NLMP 3.3.1 NTOWFv1): MD4 of the UTF-16LE password. */
export function ntHash(password: string): Buffer {
  return md4(Buffer.from(password, "utf16le"));
}

export interface SecretForm {
  label: string;
  bytes: Buffer;
}

/** Every form of a password an observer could recognise: UTF-8, UTF-16LE, the NT hash raw / hex / base64, base64. */
export function secretForms(password: string): SecretForm[] {
  const nt = ntHash(password);
  return [
    { label: "password (UTF-8)", bytes: Buffer.from(password, "utf8") },
    { label: "password (UTF-16LE)", bytes: Buffer.from(password, "utf16le") },
    { label: "password (base64)", bytes: Buffer.from(Buffer.from(password, "utf8").toString("base64").replace(/=+$/, ""), "latin1") },
    { label: "NT hash (raw)", bytes: nt },
    { label: "NT hash (hex)", bytes: Buffer.from(nt.toString("hex"), "latin1") },
    { label: "NT hash (HEX)", bytes: Buffer.from(nt.toString("hex").toUpperCase(), "latin1") },
    { label: "NT hash (base64)", bytes: Buffer.from(nt.toString("base64").replace(/=+$/, ""), "latin1") },
  ];
}

/** Plaintext SOAP as any WS-Man message carries it (the envelope element and its namespace, RFC 3902 / SOAP 1.2). */
export const SOAP_MARKERS: SecretForm[] = [
  { label: "plaintext SOAP (Envelope)", bytes: Buffer.from("Envelope", "latin1") },
  { label: "plaintext SOAP (soap-envelope namespace)", bytes: Buffer.from("http://www.w3.org/2003/05/soap-envelope", "latin1") },
  { label: "plaintext SOAP (ws-management namespace)", bytes: Buffer.from("schemas.dmtf.org/wbem/wsman", "latin1") },
];

/**
 * Which of `forms` occur in `data`, either directly or inside any base64 run in it (Authorization headers carry
 * tokens in base64; a password inside one is just as readable).
 */
export function findLeaks(data: Buffer, forms: SecretForm[]): string[] {
  const found = new Set<string>();
  const haystacks = [data];
  const text = data.toString("latin1");
  for (const m of text.matchAll(/[A-Za-z0-9+/]{12,}={0,2}/g)) haystacks.push(Buffer.from(m[0], "base64"));
  for (const form of forms) {
    if (haystacks.some((h) => h.includes(form.bytes))) found.add(form.label);
  }
  return [...found];
}

/**
 * Throws (an AssertionError-like Error naming the forms, never the secret) when the proxy saw any form of any of
 * `passwords`, or plaintext SOAP when `soap` is not false, in either direction. Also throws when the proxy relayed
 * nothing at all: a client that bypassed the proxy proves nothing.
 */
export function assertNothingLeaked(proxy: RecordingProxy, opts: { passwords: string[]; soap?: boolean }): void {
  const forms = [...opts.passwords.flatMap(secretForms), ...(opts.soap === false ? [] : SOAP_MARKERS)];
  const up = proxy.bytes("up");
  const down = proxy.bytes("down");
  if (up.length === 0 || down.length === 0) throw new Error("the recording proxy relayed nothing: the client did not use it");
  const leaks = [
    ...findLeaks(up, forms).map((l) => `client->proxy: ${l}`),
    ...findLeaks(down, forms).map((l) => `proxy->client: ${l}`),
  ];
  if (leaks.length > 0) throw new Error(`the recording proxy saw: ${leaks.join("; ")}`);
}
