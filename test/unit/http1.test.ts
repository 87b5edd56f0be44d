import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  ConnectResponseDecoder,
  connectBodyFraming,
  HTTP1_LIMITS,
  MalformedResponseError,
  parseResponseHead,
  type ResponseHead,
} from "../../provider/src/wire/http1.js";
import { LimitExceededError } from "../../provider/src/errors.js";

const b = (s: string) => Buffer.from(s, "latin1");

/** Feed the pieces in order; every response, and after a 2xx the bytes beyond its head (the tunnel's). */
function decodePieces(pieces: Buffer[]): { heads: ResponseHead[]; rest: Buffer } {
  const d = new ConnectResponseDecoder();
  const heads: ResponseHead[] = [];
  for (let p = 0; p < pieces.length; p++) {
    d.push(pieces[p] ?? Buffer.alloc(0));
    for (let h = d.next(); h !== undefined; h = d.next()) {
      heads.push(h);
      if (h.status >= 200 && h.status < 300) return { heads, rest: Buffer.concat([d.rest(), ...pieces.slice(p + 1)]) };
    }
  }
  return { heads, rest: d.rest() };
}
const decodeSplit = (bytes: Buffer, cut: number) => decodePieces([bytes.subarray(0, cut), bytes.subarray(cut)]);
const decodeBytewise = (bytes: Buffer) => decodePieces(Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1)));

describe("HTTP/1.1 response heads (RFC 9112 4-5)", () => {
  test("status line, reason, headers, repeated fields", () => {
    const h = parseResponseHead(b("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: NTLM\r\nproxy-authenticate: Basic realm=\"x\"\r\nContent-Length: 0"));
    assert.equal(h.status, 407);
    assert.equal(h.reason, "Proxy Authentication Required");
    assert.equal(h.version, "1.1");
    assert.deepEqual(h.headers["proxy-authenticate"], ["NTLM", 'Basic realm="x"']);
    assert.equal(h.closing, false);
  });
  test("empty reason; HTTP/1.0 closes unless keep-alive; Connection/Proxy-Connection close", () => {
    assert.equal(parseResponseHead(b("HTTP/1.1 200")).reason, "");
    assert.equal(parseResponseHead(b("HTTP/1.1 200 ")).reason, "");
    assert.equal(parseResponseHead(b("HTTP/1.0 407 x")).closing, true);
    assert.equal(parseResponseHead(b("HTTP/1.0 407 x\r\nConnection: Keep-Alive")).closing, false);
    assert.equal(parseResponseHead(b("HTTP/1.1 407 x\r\nProxy-Connection: close")).closing, true);
    assert.equal(parseResponseHead(b("HTTP/1.1 407 x\r\nConnection: foo, Close")).closing, true);
  });
  test("field names are data: __proto__ is just a name", () => {
    const h = parseResponseHead(b("HTTP/1.1 407 x\r\n__proto__: 1"));
    assert.equal(h.headers["__proto__"], "1");
    assert.equal(Object.getPrototypeOf(h.headers), null);
  });
  for (const [name, head] of [
    ["not HTTP", "SSH-2.0-OpenSSH_9.2"],
    ["HTTP/2", "HTTP/2.0 200 OK"],
    ["two-digit status", "HTTP/1.1 20 OK"],
    ["status glued to reason", "HTTP/1.1 200OK"],
    ["lower-case http", "http/1.1 200 OK"],
    ["obs-fold", "HTTP/1.1 407 x\r\nProxy-Authenticate: NTLM\r\n  more"],
    ["obs-fold with tab", "HTTP/1.1 407 x\r\nA: b\r\n\tc"],
    ["line without colon", "HTTP/1.1 407 x\r\nnot a header"],
    ["space before colon", "HTTP/1.1 407 x\r\nName : v"],
    ["empty name", "HTTP/1.1 407 x\r\n: v"],
  ] as const) {
    test(`refused: ${name}`, () => {
      assert.throws(() => parseResponseHead(b(head)), MalformedResponseError);
    });
  }
  test("bounds: 100 fields pass, 101 do not; 64 KiB of head", () => {
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `X-${i}: v`).join("\r\n");
    assert.equal(Object.keys(parseResponseHead(b(`HTTP/1.1 407 x\r\n${fields(100)}`)).headers).length, 100);
    assert.throws(() => parseResponseHead(b(`HTTP/1.1 407 x\r\n${fields(101)}`)), LimitExceededError);
    assert.throws(() => parseResponseHead(b(`HTTP/1.1 407 x\r\nX: ${"a".repeat(HTTP1_LIMITS.headBytes)}`)), LimitExceededError);
  });
});

describe("body framing of replies to CONNECT (RFC 9112 6.3, RFC 9110 9.3.6)", () => {
  const f = (head: string) => connectBodyFraming(parseResponseHead(b(head)));
  test("2xx has no body whatever it says", () => {
    assert.deepEqual(f("HTTP/1.1 200 OK\r\nContent-Length: 50\r\nTransfer-Encoding: chunked"), { kind: "none" });
  });
  test("Transfer-Encoding wins over Content-Length; last coding decides", () => {
    assert.deepEqual(f("HTTP/1.1 407 x\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 5"), { kind: "chunked" });
    assert.deepEqual(f("HTTP/1.1 407 x\r\nTransfer-Encoding: chunked, gzip"), { kind: "until-close" });
  });
  test("Content-Length: digits, equal repeats; anything else is unframed", () => {
    assert.deepEqual(f("HTTP/1.1 407 x\r\nContent-Length: 12"), { kind: "length", length: 12 });
    assert.deepEqual(f("HTTP/1.1 407 x\r\nContent-Length: 12\r\nContent-Length: 12"), { kind: "length", length: 12 });
    assert.deepEqual(f("HTTP/1.1 407 x\r\nContent-Length: 12\r\nContent-Length: 13"), { kind: "until-close" });
    assert.deepEqual(f("HTTP/1.1 407 x\r\nContent-Length: -1"), { kind: "until-close" });
    assert.deepEqual(f("HTTP/1.1 407 x\r\nContent-Length: 0x10"), { kind: "until-close" });
    assert.deepEqual(f("HTTP/1.1 407 x"), { kind: "until-close" });
  });
});

describe("incremental decoding, split at every byte boundary", () => {
  const vectors: { name: string; bytes: Buffer; statuses: number[]; closing: boolean[]; rest: string }[] = [
    {
      name: "407 with Content-Length body, then 200 with tunnel bytes",
      bytes: b("HTTP/1.1 407 Auth\r\nProxy-Authenticate: NTLM\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01"),
      statuses: [407, 200],
      closing: [false, false],
      rest: "\x16\x03\x01",
    },
    {
      name: "interim 100 skipped, chunked 407 with extension and trailer, then 200",
      bytes: b(
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 407 x\r\nTransfer-Encoding: chunked\r\n\r\n" +
          "5;ext=1\r\nhello\r\n3\r\nabc\r\n0\r\nTrailer: t\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
      ),
      statuses: [407, 200],
      closing: [false, false],
      rest: "",
    },
    {
      name: "407 without framing runs to the close",
      bytes: b("HTTP/1.1 407 x\r\nProxy-Authenticate: Basic\r\n\r\nbody until close"),
      statuses: [407],
      closing: [true],
      rest: "body until close",
    },
  ];
  for (const v of vectors) {
    test(v.name, () => {
      for (let cut = 0; cut <= v.bytes.length; cut++) {
        const got = decodeSplit(v.bytes, cut);
        assert.deepEqual(
          got.heads.map((h) => h.status),
          v.statuses,
          `cut at ${cut}`,
        );
        assert.deepEqual(
          got.heads.map((h) => h.closing),
          v.closing,
          `cut at ${cut}`,
        );
        if (v.statuses.at(-1) === 200) assert.equal(got.rest.toString("latin1"), v.rest, `cut at ${cut}`);
      }
      const byte = decodeBytewise(v.bytes);
      assert.deepEqual(
        byte.heads.map((h) => h.status),
        v.statuses,
      );
      assert.equal(byte.rest.toString("latin1"), v.rest);
    });
  }
});

describe("hostile replies", () => {
  const run = (s: string | Buffer) => {
    const d = new ConnectResponseDecoder();
    d.push(typeof s === "string" ? b(s) : s);
    return d.next();
  };
  test("an endless head is cut at 64 KiB, before its end arrives", () => {
    const d = new ConnectResponseDecoder();
    d.push(b("HTTP/1.1 407 x\r\n"));
    assert.throws(() => {
      for (let i = 0; i < 100; i++) {
        d.push(Buffer.alloc(1024, 0x61));
        d.next();
      }
    }, (e: unknown) => e instanceof LimitExceededError && e.limit === "CONNECT reply head bytes");
  });
  test("interim responses forever", () => {
    assert.throws(() => run("HTTP/1.1 100 Continue\r\n\r\n".repeat(20)), (e: unknown) => e instanceof LimitExceededError && e.limit === "CONNECT interim responses");
  });
  test("a chunked body over 1 MiB", () => {
    assert.throws(() => run("HTTP/1.1 407 x\r\nTransfer-Encoding: chunked\r\n\r\n200000\r\n"), (e: unknown) => e instanceof LimitExceededError && e.limit === "CONNECT reply body bytes");
  });
  test("a Content-Length over 1 MiB closes instead of reading", () => {
    const h = run("HTTP/1.1 407 x\r\nContent-Length: 99999999999\r\n\r\n");
    assert.equal(h?.closing, true);
  });
  for (const [name, body] of [
    ["non-hex chunk size", "zz\r\n"],
    ["negative chunk size", "-5\r\n"],
    ["chunk not ended by CRLF", "3\r\nabcXY"],
    ["huge hex chunk size", "fffffffffff\r\n"],
  ] as const) {
    test(`malformed chunked: ${name}`, () => {
      assert.throws(() => run(`HTTP/1.1 407 x\r\nTransfer-Encoding: chunked\r\n\r\n${body}`), MalformedResponseError);
    });
  }
  test("too many trailers", () => {
    const trailers = Array.from({ length: 120 }, (_, i) => `T${i}: v\r\n`).join("");
    assert.throws(() => run(`HTTP/1.1 407 x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n${trailers}\r\n`), LimitExceededError);
  });
  test("random bytes never hang or throw anything but the decoder's errors", () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let i = 0; i < 300; i++) {
      const bytes = Buffer.concat([b("HTTP/1.1 407 x\r\n"), Buffer.from(Array.from({ length: rnd() % 200 }, () => rnd() % 256)), b("\r\n\r\n")]);
      try {
        run(bytes);
      } catch (e) {
        assert.ok(e instanceof MalformedResponseError || e instanceof LimitExceededError, String(e));
      }
    }
  });
});
