/**
 * Tools for testing the proxy peers themselves: a tiny origin server and a raw HTTP/1.1 client connection that shows
 * exactly what a proxy did (every header line, whether it closed the connection after a response).
 */
import * as http from "node:http";
import * as net from "node:net";

export interface OriginRequest {
  method: string;
  url: string;
  /** The proxy's source port for this request: equal ports = same upstream connection. */
  remotePort: number;
  headers: http.IncomingHttpHeaders;
}

/**
 * 127.0.0.1:0, keep-alive. `/plain` -> 200 "hello"; `/ntlm` -> 401 with `WWW-Authenticate: Negotiate`, `NTLM` and
 * `Basic realm="origin"` (what a WinRM listener with Basic enabled sends); anything else -> 404.
 */
export class Origin {
  readonly requests: OriginRequest[] = [];
  readonly port: number;
  readonly url: string;
  private readonly server: http.Server;

  private constructor(server: http.Server, port: number) {
    this.server = server;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
  }

  static async start(): Promise<Origin> {
    const server = http.createServer({ keepAlive: true });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no address");
    const origin = new Origin(server, address.port);
    server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
      origin.requests.push({ method: req.method ?? "", url: req.url ?? "", remotePort: req.socket.remotePort ?? 0, headers: req.headers });
      req.resume();
      req.on("end", () => {
        if (req.url?.startsWith("/plain")) {
          res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": "5" });
          res.end("hello");
        } else if (req.url?.startsWith("/ntlm")) {
          res.writeHead(401, [
            ["WWW-Authenticate", "Negotiate"],
            ["WWW-Authenticate", "NTLM"],
            ["WWW-Authenticate", 'Basic realm="origin"'],
            ["Content-Length", "0"],
          ]);
          res.end();
        } else {
          res.writeHead(404, { "Content-Length": "0" });
          res.end();
        }
      });
    });
    return origin;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export interface RawResponse {
  status: number;
  reason: string;
  /** Header lines in order, [name, value] (repeated headers kept apart). */
  headers: [string, string][];
  body: Buffer;
}

export function headerValues(res: RawResponse, name: string): string[] {
  return res.headers.filter(([k]) => k.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
}

/** One client TCP connection to a proxy, sending raw requests and reading one response at a time. */
export class RawConnection {
  private buf = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  private ended = false;
  readonly closed: Promise<void>;

  private constructor(private readonly socket: net.Socket) {
    socket.on("data", (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.waiter?.();
    });
    socket.on("error", () => undefined);
    this.closed = new Promise<void>((resolve) =>
      socket.once("close", () => {
        this.ended = true;
        this.waiter?.();
        resolve();
      }),
    );
    socket.once("end", () => {
      this.ended = true;
      this.waiter?.();
    });
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: "127.0.0.1", port }, () => resolve(new RawConnection(s)));
      s.once("error", reject);
    });
  }

  /** True once the peer closed (or reset) the connection. */
  get isClosed(): boolean {
    return this.ended;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Send a request head (and body), read one response. `bodyless` for responses without a body (CONNECT 2xx). */
  async request(raw: string | Buffer, opts: { bodyless?: boolean } = {}): Promise<RawResponse> {
    this.socket.write(raw);
    return this.readResponse(opts);
  }

  async readResponse(opts: { bodyless?: boolean } = {}): Promise<RawResponse> {
    const headEnd = await this.until(() => {
      const i = this.buf.indexOf("\r\n\r\n");
      return i >= 0 ? i : undefined;
    });
    const head = this.buf.subarray(0, headEnd).toString("latin1");
    this.buf = this.buf.subarray(headEnd + 4);
    const [statusLine = "", ...lines] = head.split("\r\n");
    const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(statusLine);
    if (!m) throw new Error(`not an HTTP response: ${statusLine}`);
    const headers: [string, string][] = lines.map((l) => {
      const i = l.indexOf(":");
      return [l.slice(0, i).trim(), l.slice(i + 1).trim()];
    });
    const res: RawResponse = { status: Number(m[1]), reason: m[2] ?? "", headers, body: Buffer.alloc(0) };
    const status = res.status;
    if (opts.bodyless || status === 204 || status === 304 || (status >= 100 && status < 200)) return res;
    const te = headerValues(res, "transfer-encoding").join(",");
    const cl = headerValues(res, "content-length")[0];
    if (/chunked/i.test(te)) {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = await this.until(() => {
          const i = this.buf.indexOf("\r\n");
          return i >= 0 ? i : undefined;
        });
        const size = parseInt(this.buf.subarray(0, lineEnd).toString("latin1"), 16);
        this.buf = this.buf.subarray(lineEnd + 2);
        if (size === 0) {
          await this.until(() => (this.buf.indexOf("\r\n") >= 0 ? true : undefined));
          this.buf = this.buf.subarray(this.buf.indexOf("\r\n") + 2);
          break;
        }
        await this.until(() => (this.buf.length >= size + 2 ? true : undefined));
        parts.push(this.buf.subarray(0, size));
        this.buf = this.buf.subarray(size + 2);
      }
      res.body = Buffer.concat(parts);
    } else if (cl !== undefined) {
      const n = Number(cl);
      await this.until(() => (this.buf.length >= n ? true : undefined));
      res.body = this.buf.subarray(0, n);
      this.buf = this.buf.subarray(n);
    } else {
      await this.closed;
      res.body = this.buf;
      this.buf = Buffer.alloc(0);
    }
    return res;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private async until<T>(check: () => T | undefined): Promise<T> {
    for (;;) {
      const v = check();
      if (v !== undefined) return v;
      if (this.ended) throw new Error("connection closed by the peer");
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = undefined;
    }
  }
}

/** `GET <absolute url>` through a proxy, with optional Proxy-Authorization. */
export function forwardGet(url: string, extra: string[] = []): string {
  const u = new URL(url);
  return [`GET ${url} HTTP/1.1`, `Host: ${u.host}`, ...extra, "", ""].join("\r\n");
}

export function basicProxyAuth(username: string, password: string): string {
  return `Proxy-Authorization: Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}
