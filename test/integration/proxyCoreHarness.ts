/**
 * A small HTTP proxy for the proxy-core tests, written to misbehave on demand: CONNECT with no auth, Basic or NTLM
 * (NtlmAcceptor on the proxy side: the real three legs), a 407 with Connection: close after the credential-less
 * CONNECT (ISA/TMG, MS-NTHT 4.2), refused CONNECT, and forward (absolute-form) proxying with or without connection
 * pinning, `Proxy-Support: Session-Based-Authentication`, challenge stripping and closes. It logs every request head
 * and keeps every byte it receives, so tests can count round trips and look for leaks.
 */
import * as http from "node:http";
import { createServer, connect as netConnect, type AddressInfo, type Server, type Socket } from "node:net";
import { NtlmAcceptor, type NtlmAcceptorUser } from "../../provider/src/testing/index.js";

export type ProxyAuthConfig =
  | { scheme: "basic"; username: string; password: string }
  | { scheme: "ntlm"; users: NtlmAcceptorUser[]; offer?: ("NTLM" | "Negotiate")[] };

export interface ForwardBehaviour {
  /** Add `Proxy-Support: Session-Based-Authentication` to 401s (RFC 4559 section 6). Default true. */
  proxySupport?: boolean;
  /** always: one upstream connection per client connection (squid pinning); never: a new one per request;
   *  until-200: pinned through the handshake, then the next request goes to a new upstream connection. */
  pin?: "always" | "never" | "until-200";
  /** Close the client connection (with Connection: close) after these responses. */
  closeAfter?: "none" | "401" | "200" | "every";
  /** Drop Negotiate/NTLM/Kerberos challenges from WWW-Authenticate (squid connection-auth=off). */
  stripConnectionAuth?: boolean;
}

export interface TestProxyOptions {
  auth?: ProxyAuthConfig;
  closeAfterFirst407?: boolean;
  /** Answer every CONNECT with this status (403: squid's "CONNECT to a port outside SSL_ports"). */
  refuseConnect?: number;
  /** Answer absolute-form requests at all (default true). */
  forward?: ForwardBehaviour | false;
}

export interface ProxyLogEntry {
  connection: number;
  method: string;
  target: string;
  status: number;
  proxyAuthorization?: string;
}

export class TestProxy {
  readonly log: ProxyLogEntry[] = [];
  /** Every byte each client connection sent us, tunnel payload included. */
  readonly received = new Map<number, Buffer[]>();
  /** Bytes relayed from the client into each tunnel (after the 2xx). */
  readonly tunnelled = new Map<number, Buffer[]>();
  connections = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly opts: TestProxyOptions,
  ) {}

  static async start(opts: TestProxyOptions = {}): Promise<TestProxy> {
    const server = createServer();
    const proxy = new TestProxy(server, opts);
    server.on("connection", (s) => proxy.accept(s));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** All bytes the proxy received from clients, every connection. */
  allReceived(): Buffer {
    return Buffer.concat([...this.received.values()].flat());
  }

  allTunnelled(): Buffer {
    return Buffer.concat([...this.tunnelled.values()].flat());
  }

  count(method: string): number {
    return this.log.filter((e) => e.method === method).length;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    const id = ++this.connections;
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => undefined);
    const chunks: Buffer[] = [];
    this.received.set(id, chunks);
    const conn: ConnState = { id, socket, buf: Buffer.alloc(0), busy: false, tunnel: false };
    socket.on("data", (d: Buffer) => {
      chunks.push(d);
      if (conn.tunnel) return;
      conn.buf = Buffer.concat([conn.buf, d]);
      this.pump(conn);
    });
  }

  private pump(conn: ConnState): void {
    if (conn.busy || conn.tunnel) return;
    const end = conn.buf.indexOf("\r\n\r\n");
    if (end < 0) return;
    const head = conn.buf.subarray(0, end).toString("latin1").split("\r\n");
    const [method = "", target = ""] = (head[0] ?? "").split(" ");
    const headers: Record<string, string[]> = {};
    for (const line of head.slice(1)) {
      const c = line.indexOf(":");
      if (c > 0) (headers[line.slice(0, c).trim().toLowerCase()] ??= []).push(line.slice(c + 1).trim());
    }
    const length = Number(headers["content-length"]?.[0] ?? "0");
    if (conn.buf.length < end + 4 + length) return;
    const body = conn.buf.subarray(end + 4, end + 4 + length);
    const rest = conn.buf.subarray(end + 4 + length);
    conn.buf = Buffer.alloc(0);
    conn.busy = true;
    const req: ProxyRequest = { method, target, headers, body };
    const done = () => {
      conn.busy = false;
      if (rest.length > 0) conn.buf = Buffer.concat([rest, conn.buf]);
      this.pump(conn);
    };
    if (method === "CONNECT") this.onConnect(conn, req, rest, done);
    else void this.onForward(conn, req).then(done, () => conn.socket.destroy());
  }

  private record(conn: ConnState, req: ProxyRequest, status: number): void {
    const pa = req.headers["proxy-authorization"]?.[0];
    this.log.push({
      connection: conn.id,
      method: req.method,
      target: req.target,
      status,
      ...(pa !== undefined ? { proxyAuthorization: pa } : {}),
    });
  }

  private reply(conn: ConnState, status: number, reason: string, headers: string[], close: boolean, body = ""): void {
    const lines = [`HTTP/1.1 ${status} ${reason}`, ...headers, `Content-Length: ${Buffer.byteLength(body)}`];
    if (close) lines.push("Connection: close", "Proxy-Connection: close");
    conn.socket.write(`${lines.join("\r\n")}\r\n\r\n${body}`);
    if (close) conn.socket.end();
  }

  /** Proxy auth check shared by CONNECT and forward requests; returns true when the request may pass. */
  private authorize(conn: ConnState, req: ProxyRequest): boolean {
    const auth = this.opts.auth;
    if (auth === undefined) return true;
    const header = req.headers["proxy-authorization"]?.[0];
    const firstClose = this.opts.closeAfterFirst407 === true && header === undefined;
    const deny = (challenge: string[]) => {
      this.record(conn, req, 407);
      this.reply(conn, 407, "Proxy Authentication Required", challenge, firstClose, "proxy auth needed");
      return false;
    };
    if (auth.scheme === "basic") {
      const expected = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
      if (header === expected) return true;
      return deny(['Proxy-Authenticate: Basic realm="test proxy"']);
    }
    const offer = auth.offer ?? ["NTLM"];
    const bare = offer.map((o) => `Proxy-Authenticate: ${o}`);
    if (header === undefined) return deny(bare);
    const sp = header.indexOf(" ");
    const scheme = header.slice(0, sp);
    if (!offer.some((o) => o.toLowerCase() === scheme.toLowerCase())) return deny(bare);
    const token = Buffer.from(header.slice(sp + 1), "base64");
    const type = token.length >= 12 ? token.readUInt32LE(8) : 0;
    if (type === 1 || conn.acceptor === undefined) {
      conn.acceptor = new NtlmAcceptor({
        users: auth.users,
        netbiosDomain: "PROXYDOM",
        netbiosComputer: "SQUIDISH",
        dnsComputer: "squidish.proxy.test",
        dnsDomain: "proxy.test",
      });
    }
    try {
      const r = conn.acceptor.step(token);
      if (r.complete) {
        conn.acceptor = undefined;
        return true;
      }
      return deny([`Proxy-Authenticate: ${scheme} ${(r.token ?? Buffer.alloc(0)).toString("base64")}`]);
    } catch {
      conn.acceptor = undefined;
      return deny(bare);
    }
  }

  private onConnect(conn: ConnState, req: ProxyRequest, rest: Buffer, done: () => void): void {
    if (this.opts.refuseConnect !== undefined) {
      this.record(conn, req, this.opts.refuseConnect);
      this.reply(conn, this.opts.refuseConnect, "Forbidden", ["Content-Type: text/plain"], false, "CONNECT not allowed");
      done();
      return;
    }
    if (!this.authorize(conn, req)) {
      done();
      return;
    }
    const [host = "", port = ""] = splitAuthority(req.target);
    const upstream = netConnect({ host, port: Number(port) });
    upstream.on("error", () => conn.socket.destroy());
    upstream.once("connect", () => {
      this.record(conn, req, 200);
      conn.tunnel = true;
      const relayed: Buffer[] = [];
      this.tunnelled.set(conn.id, relayed);
      conn.socket.write("HTTP/1.1 200 Connection established\r\n\r\n");
      if (rest.length > 0) {
        relayed.push(rest);
        upstream.write(rest);
      }
      conn.socket.on("data", (d: Buffer) => {
        relayed.push(d);
        upstream.write(d);
      });
      upstream.on("data", (d: Buffer) => conn.socket.write(d));
      upstream.on("close", () => conn.socket.destroy());
      conn.socket.on("close", () => upstream.destroy());
    });
  }

  private async onForward(conn: ConnState, req: ProxyRequest): Promise<void> {
    const fwd = this.opts.forward === false ? undefined : (this.opts.forward ?? {});
    if (fwd === undefined || !/^https?:\/\//.test(req.target)) {
      this.record(conn, req, 400);
      this.reply(conn, 400, "Bad Request", [], true);
      return;
    }
    if (!this.authorize(conn, req)) return;
    const url = new URL(req.target);
    const pin = fwd.pin ?? "always";
    if (pin === "never" || (pin === "until-200" && conn.seen200 === true) || conn.agent === undefined) {
      conn.agent?.destroy();
      conn.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    }
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (["proxy-authorization", "proxy-connection", "connection", "keep-alive"].includes(k)) continue;
      headers[k] = v.length === 1 ? (v[0] as string) : v;
    }
    const res = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; raw: string[]; body: Buffer }>(
      (resolve, reject) => {
        const r = http.request(
          { host: url.hostname, port: url.port, method: req.method, path: url.pathname + url.search, headers, agent: conn.agent },
          (up) => {
            const chunks: Buffer[] = [];
            up.on("data", (c: Buffer) => chunks.push(c));
            up.on("end", () =>
              resolve({ status: up.statusCode ?? 502, headers: up.headers, raw: up.rawHeaders, body: Buffer.concat(chunks) }),
            );
          },
        );
        r.on("error", reject);
        r.end(req.body);
      },
    );
    this.record(conn, req, res.status);
    const out: string[] = [];
    for (let i = 0; i < res.raw.length; i += 2) {
      const name = res.raw[i] as string;
      const value = res.raw[i + 1] as string;
      const lower = name.toLowerCase();
      if (["connection", "keep-alive", "transfer-encoding", "content-length"].includes(lower)) continue;
      if (lower === "www-authenticate" && fwd.stripConnectionAuth === true && /^(negotiate|ntlm|kerberos)\b/i.test(value)) continue;
      out.push(`${name}: ${value}`);
    }
    if (res.status === 401 && (fwd.proxySupport ?? true)) out.push("Proxy-Support: Session-Based-Authentication");
    if (res.status === 200) conn.seen200 = true;
    const closeAfter = fwd.closeAfter ?? "none";
    const close =
      closeAfter === "every" || (closeAfter === "401" && res.status === 401) || (closeAfter === "200" && res.status === 200);
    const lines = [`HTTP/1.1 ${res.status} ${http.STATUS_CODES[res.status] ?? ""}`, ...out, `Content-Length: ${res.body.length}`];
    if (close) lines.push("Connection: close");
    conn.socket.write(Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), res.body]));
    if (close) {
      conn.socket.end();
      conn.agent?.destroy();
    }
  }
}

interface ConnState {
  id: number;
  socket: Socket;
  buf: Buffer;
  busy: boolean;
  tunnel: boolean;
  acceptor?: NtlmAcceptor | undefined;
  agent?: http.Agent;
  seen200?: boolean;
}

interface ProxyRequest {
  method: string;
  target: string;
  headers: Record<string, string[]>;
  body: Buffer;
}

function splitAuthority(a: string): [string, string] {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(a);
  return [m?.[1] ?? a, m?.[2] ?? "80"];
}

/** A TCP listener that only counts: for "a forbidden path sends zero bytes to the proxy". */
export async function startCountingListener(): Promise<{ port: number; connections: () => number; bytes: () => number; close: () => Promise<void> }> {
  let connections = 0;
  let bytes = 0;
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    connections++;
    sockets.add(s);
    s.on("data", (d: Buffer) => (bytes += d.length));
    s.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    bytes: () => bytes,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
