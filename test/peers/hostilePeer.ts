/**
 * A hostile HTTP peer on 127.0.0.1 (an OS-chosen port), for the client's bounds: it reads one request head (and its
 * Content-Length body) and answers in the way its mode says, as a broken or malicious WinRM host, or a proxy on the
 * path, could:
 *
 *   endless-chunked     200, Transfer-Encoding: chunked, 64 KiB chunks for ever (as fast as the socket drains)
 *   declared-10gb       200, Content-Length: 10737418240, then body bytes for ever
 *   unframed-endless    200, no Content-Length, Connection: close, body bytes for ever
 *   trickle             200, Content-Length: 100000 (under the cap), then one body byte every 100 ms
 *   header-flood        200, then header lines for ever (no end of the head)
 *   many-headers        200 with 500 small header fields and an empty body
 *   connect-head-flood  a proxy: 407 to CONNECT, then header lines for ever
 *   connect-body-flood  a proxy: 407 to CONNECT with a chunked body for ever
 *   connect-503-then-tunnel  a proxy: 503 to the first `failConnects` CONNECTs (the target "is not reachable
 *                       yet"), then a working tunnel to the target named in the CONNECT line
 *   inflate-original-length  a relay in front of `target` (a WinRM endpoint) that passes requests through and, in
 *                       each multipart/encrypted response, rewrites the part header `Length=N` (MS-WSMV 2.2.9.1
 *                       OriginalContent) to 4 GiB: the sealed bytes stay intact, only the declared length lies
 *
 * It counts connections, requests and the bytes it pushed, so tests can show the client stopped although the peer
 * kept sending. Every socket is destroyed on close(); nothing outlives the test.
 */
import { createServer, connect as netConnect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

export type HostileMode =
  | "endless-chunked"
  | "declared-10gb"
  | "unframed-endless"
  | "trickle"
  | "header-flood"
  | "many-headers"
  | "connect-head-flood"
  | "connect-body-flood"
  | "connect-503-then-tunnel"
  | "inflate-original-length";

export interface HostilePeerOptions {
  readonly mode: HostileMode;
  /** connect-503-then-tunnel: how many CONNECTs get 503 first (default 2). */
  readonly failConnects?: number;
  /** inflate-original-length: the WinRM endpoint to relay to. */
  readonly target?: { readonly host: string; readonly port: number };
}

const CHUNK = Buffer.alloc(64 * 1024, 0x61);
/** Bytes of one request head we read at most (the client's heads are small). */
const MAX_REQUEST_HEAD = 64 * 1024;

export class HostilePeer {
  /** TCP connections accepted. */
  connections = 0;
  /** Request heads read (each CONNECT or POST). */
  readonly requestLines: string[] = [];
  /** Bytes written to the client, all connections together. */
  bytesSent = 0;
  /** Body bytes the trickle mode wrote, one per 100 ms. */
  trickled = 0;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  private constructor(
    private readonly server: Server,
    private readonly opts: HostilePeerOptions,
  ) {}

  static async start(opts: HostilePeerOptions): Promise<HostilePeer> {
    const server = createServer();
    const peer = new HostilePeer(server, opts);
    server.on("connection", (s) => peer.accept(s));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return peer;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** As a WinRM endpoint. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/wsman`;
  }

  /** As an http:// proxy. */
  get proxyUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.connections++;
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => undefined);
    if (this.opts.mode === "inflate-original-length") {
      this.relayInflating(socket);
      return;
    }
    let buf: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) {
        if (buf.length > MAX_REQUEST_HEAD) socket.destroy();
        return;
      }
      socket.off("data", onData);
      const head = buf.subarray(0, end).toString("latin1");
      this.requestLines.push(head.split("\r\n")[0] ?? "");
      const rest = buf.subarray(end + 4);
      this.respond(socket, head, rest);
    };
    socket.on("data", onData);
  }

  private write(socket: Socket, data: string | Buffer): boolean {
    if (socket.destroyed) return false;
    this.bytesSent += typeof data === "string" ? Buffer.byteLength(data, "latin1") : data.length;
    return socket.write(data);
  }

  /** Write `next()` for ever, pausing while the socket's buffer is full, until the socket or the peer closes. */
  private flood(socket: Socket, next: () => string | Buffer): void {
    const pump = (): void => {
      while (!this.closed && !socket.destroyed) {
        if (!this.write(socket, next())) {
          socket.once("drain", pump);
          return;
        }
      }
    };
    pump();
  }

  private respond(socket: Socket, head: string, rest: Buffer): void {
    switch (this.opts.mode) {
      case "endless-chunked":
        this.write(socket, "HTTP/1.1 200 \r\nContent-Type: application/soap+xml;charset=UTF-8\r\nTransfer-Encoding: chunked\r\n\r\n");
        this.flood(socket, () => Buffer.concat([Buffer.from(`${CHUNK.length.toString(16)}\r\n`), CHUNK, Buffer.from("\r\n")]));
        return;
      case "declared-10gb":
        this.write(socket, "HTTP/1.1 200 \r\nContent-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: 10737418240\r\n\r\n");
        this.flood(socket, () => CHUNK);
        return;
      case "unframed-endless":
        this.write(socket, "HTTP/1.1 200 \r\nContent-Type: application/soap+xml;charset=UTF-8\r\nConnection: close\r\n\r\n");
        this.flood(socket, () => CHUNK);
        return;
      case "trickle": {
        this.write(socket, "HTTP/1.1 200 \r\nContent-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: 100000\r\n\r\n");
        const t = setInterval(() => {
          if (socket.destroyed) return;
          this.write(socket, "<");
          this.trickled++;
        }, 100);
        this.timers.add(t);
        socket.on("close", () => {
          clearInterval(t);
          this.timers.delete(t);
        });
        return;
      }
      case "header-flood": {
        this.write(socket, "HTTP/1.1 200 \r\n");
        let n = 0;
        this.flood(socket, () => `X-Filler-${n++}: ${"v".repeat(100)}\r\n`);
        return;
      }
      case "many-headers": {
        const fields = Array.from({ length: 500 }, (_, i) => `X-F${i}: 1\r\n`).join("");
        this.write(socket, `HTTP/1.1 200 \r\n${fields}Content-Length: 0\r\n\r\n`);
        return;
      }
      case "connect-head-flood": {
        this.write(socket, 'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="x"\r\n');
        let n = 0;
        this.flood(socket, () => `X-Filler-${n++}: ${"v".repeat(100)}\r\n`);
        return;
      }
      case "connect-body-flood":
        this.write(
          socket,
          'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="x"\r\nTransfer-Encoding: chunked\r\n\r\n',
        );
        this.flood(socket, () => Buffer.concat([Buffer.from(`${CHUNK.length.toString(16)}\r\n`), CHUNK, Buffer.from("\r\n")]));
        return;
      case "connect-503-then-tunnel":
        this.tunnelOrRefuse(socket, head, rest);
        return;
    }
  }

  private relayInflating(socket: Socket): void {
    const target = this.opts.target;
    if (target === undefined) throw new Error("inflate-original-length needs a target");
    const upstream = netConnect(target);
    this.sockets.add(upstream);
    upstream.on("close", () => {
      this.sockets.delete(upstream);
      socket.destroy();
    });
    upstream.on("error", () => socket.destroy());
    socket.on("close", () => upstream.destroy());
    socket.on("data", (chunk: Buffer) => {
      this.requestLines.push("relayed");
      upstream.write(chunk);
    });
    let buf: Buffer = Buffer.alloc(0);
    upstream.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (let r = takeResponse(buf); r !== undefined; r = takeResponse(buf)) {
        buf = r.rest;
        const text = r.body.toString("latin1");
        // Only the declared length changes: the sealed bytes the client will verify are untouched.
        const body = Buffer.from(text.replace(/Length=\d+/, "Length=4294967296"), "latin1");
        const head = r.head.replace(/Content-Length: \d+/i, `Content-Length: ${body.length}`);
        this.write(socket, Buffer.concat([Buffer.from(`${head}\r\n\r\n`, "latin1"), body]));
      }
    });
  }

  private tunnelOrRefuse(socket: Socket, head: string, rest: Buffer): void {
    const connects = this.requestLines.filter((l) => l.startsWith("CONNECT ")).length;
    const m = /^CONNECT ([^ :]+):(\d+) HTTP\/1\.1$/.exec(head.split("\r\n")[0] ?? "");
    if (m?.[1] === undefined || m[2] === undefined) {
      this.write(socket, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      socket.end();
      return;
    }
    if (connects <= (this.opts.failConnects ?? 2)) {
      // What squid answers when the target refuses the connection: 503 with a small body.
      this.write(socket, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 5\r\n\r\nnope!");
      socket.end();
      return;
    }
    const upstream = netConnect({ host: m[1], port: Number(m[2]) });
    this.sockets.add(upstream);
    upstream.on("close", () => this.sockets.delete(upstream));
    upstream.on("error", () => socket.destroy());
    upstream.once("connect", () => {
      this.write(socket, "HTTP/1.1 200 Connection established\r\n\r\n");
      if (rest.length > 0) upstream.write(rest);
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
    socket.on("close", () => upstream.destroy());
  }
}

/** One HTTP/1.1 response with a Content-Length body, parsed off `buf`; undefined until it is complete. */
function takeResponse(buf: Buffer): { head: string; body: Buffer; rest: Buffer } | undefined {
  const end = buf.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const head = buf.subarray(0, end).toString("latin1");
  const line = head.split("\r\n").find((l) => l.toLowerCase().startsWith("content-length:"));
  const length = line === undefined ? 0 : Number(line.slice(line.indexOf(":") + 1).trim());
  if (buf.length < end + 4 + length) return undefined;
  return { head, body: buf.subarray(end + 4, end + 4 + length), rest: buf.subarray(end + 4 + length) };
}

/** Peak of process.memoryUsage().rss while `fn` runs, sampled every 5 ms, above the value at the start. */
export async function peakRssGrowth<T>(fn: () => Promise<T>): Promise<{ result: T; growthBytes: number; ms: number }> {
  const start = process.memoryUsage().rss;
  let peak = start;
  const t = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  const began = Date.now();
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, growthBytes: peak - start, ms: Date.now() - began };
  } finally {
    clearInterval(t);
  }
}
