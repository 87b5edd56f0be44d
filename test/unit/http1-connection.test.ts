/**
 * transport/http1Connection.ts against a raw TCP peer on 127.0.0.1 that answers with scripted bytes: the request it
 * writes, each response framing of RFC 9112 6.3, persistence (9.3), interim responses, the bounds, abort, and a close
 * in the middle of a response.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, connect, type Server, type Socket } from "node:net";
import { once } from "node:events";
import { Http1Connection, MAX_HEADER_BYTES, PeerClosedError, type Http1Request } from "../../provider/src/transport/http1Connection.js";
import { MalformedResponseError } from "../../provider/src/wire/http1.js";
import { LimitExceededError } from "../../provider/src/errors.js";

/** What the peer does with each complete request on a connection: write raw bytes (or pieces with pauses). */
type Script = (request: string, socket: Socket, index: number) => void | Promise<void>;

let server: Server;
let port = 0;
let script: Script = () => undefined;
const requests: string[] = [];
let connections = 0;

before(async () => {
  server = createServer((socket) => {
    connections++;
    let buf = "";
    let index = 0;
    socket.on("error", () => undefined);
    socket.on("data", (d: Buffer) => {
      buf += d.toString("latin1");
      for (;;) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const m = /content-length: (\d+)/i.exec(buf.slice(0, end));
        const total = end + 4 + (m !== null ? Number(m[1]) : 0);
        if (buf.length < total) return;
        const req = buf.slice(0, total);
        buf = buf.slice(total);
        requests.push(req);
        void script(req, socket, index++);
      }
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  port = (server.address() as { port: number }).port;
});
after(() => server.close());

async function open(): Promise<Http1Connection> {
  const s = connect(port, "127.0.0.1");
  await once(s, "connect");
  return new Http1Connection(s);
}

function req(over: Partial<Http1Request> = {}): Http1Request {
  return {
    method: "POST",
    target: "/wsman",
    headers: { host: `127.0.0.1:${port}`, "content-length": "5" },
    body: Buffer.from("hello"),
    signal: new AbortController().signal,
    peer: `127.0.0.1:${port}`,
    ...over,
  };
}

const write = (raw: string): Script => (_r, socket) => void socket.write(raw);

describe("one HTTP/1.1 connection", () => {
  test("writes the request line, fields and body; Content-Length response; kept alive for the next request", async () => {
    requests.length = 0;
    const before = connections;
    script = (_r, socket, i) => void socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok${i}`);
    const c = await open();
    const r1 = await c.request(req());
    assert.equal(r1.status, 200);
    assert.equal(r1.body.toString(), "ok0");
    assert.ok(c.reusable);
    const r2 = await c.request(req({ target: "http://h:5985/wsman" }));
    assert.equal(r2.body.toString(), "ok1");
    assert.equal(connections - before, 1, "one socket for both");
    assert.equal(requests[0], `POST /wsman HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-length: 5\r\n\r\nhello`);
    assert.ok(requests[1]?.startsWith("POST http://h:5985/wsman HTTP/1.1\r\n"));
    await c.close(1000);
  });

  test("chunked body in pieces, with extensions and trailers; headers lower-case, repeated as arrays", async () => {
    script = async (_r, socket) => {
      const pieces = ["HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nWWW-Authenticate: NTLM\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhel", "lo\r\n6\r\n world\r\n0\r\nT: 1\r\n\r\n"];
      for (const p of pieces) {
        socket.write(p);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const c = await open();
    const r = await c.request(req());
    assert.equal(r.status, 401);
    assert.equal(r.body.toString(), "hello world");
    assert.deepEqual(r.headers["www-authenticate"], ["Negotiate", "NTLM"]);
    assert.ok(c.reusable);
    await c.close(1000);
  });

  test("100 Continue and 103 are skipped; 204 and a HEAD response have no body", async () => {
    script = write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
    let c = await open();
    assert.equal((await c.request(req())).body.toString(), "hi");
    await c.close(1000);
    script = (_r, socket, i) =>
      void socket.write(i === 0 ? "HTTP/1.1 204 No Content\r\n\r\n" : "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n");
    c = await open();
    const r204 = await c.request(req());
    assert.equal(r204.status, 204);
    assert.equal(r204.body.length, 0);
    const head = await c.request(req({ method: "HEAD" }));
    assert.equal(head.body.length, 0);
    assert.ok(c.reusable);
    await c.close(1000);
  });

  test("Connection: close, and HTTP/1.0 read to the close: the connection is not reused", async () => {
    script = write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx");
    let c = await open();
    assert.equal((await c.request(req())).body.toString(), "x");
    assert.equal(c.reusable, false);
    script = (_r, socket) => {
      socket.end("HTTP/1.0 200 OK\r\n\r\nuntil the close");
    };
    c = await open();
    const r = await c.request(req());
    assert.equal(r.body.toString(), "until the close");
    assert.equal(c.reusable, false);
  });

  test("a close before the response is complete: PeerClosedError", async () => {
    script = (_r, socket) => {
      socket.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort");
    };
    let c = await open();
    await assert.rejects(c.request(req()), PeerClosedError);
    script = (_r, socket) => {
      socket.end("HTTP/1.1 200 OK\r\nContent-");
    };
    c = await open();
    await assert.rejects(c.request(req()), PeerClosedError);
  });

  test("bounds: a declared length over the cap fails from the head; chunked and unframed at the first byte over", async () => {
    script = write("HTTP/1.1 200 OK\r\nContent-Length: 10737418240\r\n\r\n");
    let c = await open();
    await assert.rejects(c.request(req({ maxBodyBytes: 1000 })), (e: unknown) => {
      return e instanceof LimitExceededError && e.limit === "response body bytes" && /declared a response body of 10737418240/.test(e.message);
    });
    assert.equal(c.reusable, false);
    script = write(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${"400\r\n" + "x".repeat(1024) + "\r\n"}`);
    c = await open();
    await assert.rejects(c.request(req({ maxBodyBytes: 1000 })), (e: unknown) => e instanceof LimitExceededError && e.value === 1000);
    script = write(`HTTP/1.1 200 OK\r\n\r\n${"x".repeat(1001)}`);
    c = await open();
    await assert.rejects(c.request(req({ maxBodyBytes: 1000 })), (e: unknown) => e instanceof LimitExceededError && e.value === 1000);
    script = write(`HTTP/1.1 200 OK\r\nX: ${"a".repeat(MAX_HEADER_BYTES)}\r\n\r\n`);
    c = await open();
    await assert.rejects(c.request(req()), (e: unknown) => e instanceof LimitExceededError && e.limit === "response header bytes");
  });

  test("Transfer-Encoding with Content-Length, or a coding other than chunked, is refused", async () => {
    for (const raw of [
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "NOT HTTP\r\n\r\n",
    ]) {
      script = write(raw);
      const c = await open();
      await assert.rejects(c.request(req()), MalformedResponseError, raw);
    }
  });

  test("abort: the request rejects with the signal's reason and the socket is destroyed", async () => {
    script = () => undefined;
    const c = await open();
    const ctl = new AbortController();
    const p = c.request(req({ signal: ctl.signal }));
    setTimeout(() => ctl.abort(new Error("stop")), 20);
    await assert.rejects(p, /stop/);
    assert.ok(c.socket.destroyed);
  });

  test("bytes after the response, or between requests, end the connection", async () => {
    script = write("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 200 OK\r\n");
    const c = await open();
    assert.equal((await c.request(req())).body.toString(), "x");
    assert.equal(c.reusable, false);
  });
});
