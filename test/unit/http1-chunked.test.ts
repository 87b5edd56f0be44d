/**
 * wire/chunked.ts on byte vectors (RFC 9112 7.1): sizes, extensions, trailers, the line-ending rules, the bounds, and
 * every split of the input (the socket may cut anywhere).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CHUNKED_LIMITS, ChunkedDecoder } from "../../provider/src/wire/chunked.js";
import { MalformedResponseError } from "../../provider/src/wire/http1.js";
import { LimitExceededError } from "../../provider/src/errors.js";

const b = (s: string) => Buffer.from(s, "latin1");

/** Decode the pieces in order: the body, whether it completed, and the bytes after it. */
function decode(pieces: Buffer[], max = 1 << 20): { body: string; done: boolean; rest: string } {
  const d = new ChunkedDecoder(max);
  const out: Buffer[] = [];
  let rest = "";
  for (const p of pieces) {
    if (d.done) {
      rest += p.toString("latin1");
      continue;
    }
    const used = d.push(p, (data) => out.push(Buffer.from(data)));
    rest += p.subarray(used).toString("latin1");
  }
  return { body: Buffer.concat(out).toString("latin1"), done: d.done, rest };
}
const whole = (s: string, max?: number) => decode([b(s)], max);
const bytewise = (s: string) => decode(Array.from(b(s), (c) => Buffer.from([c])));

describe("chunked transfer coding (RFC 9112 7.1)", () => {
  test("chunks, last chunk, empty trailer section; the bytes after the body are not consumed", () => {
    const r = whole("4\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n\r\nHTTP/1.1 200");
    assert.deepEqual(r, { body: "Wikipedia in\r\n\r\nchunks.", done: true, rest: "HTTP/1.1 200" });
  });

  test("every split point gives the same body", () => {
    const s = "1a;name=value\r\nabcdefghijklmnopqrstuvwxyz\r\n10\r\n0123456789ABCDEF\r\n0\r\nX-Trailer: t\r\n\r\n";
    const expected = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF";
    for (let cut = 0; cut <= s.length; cut++) {
      const r = decode([b(s.slice(0, cut)), b(s.slice(cut))]);
      assert.equal(r.body, expected, `cut at ${cut}`);
      assert.ok(r.done);
    }
    assert.equal(bytewise(s).body, expected);
  });

  test("hex sizes in either case, leading zeros, a last chunk of several zeros", () => {
    assert.equal(whole("A\r\n0123456789\r\n000\r\n\r\n").body, "0123456789");
    assert.equal(whole("0a\r\n0123456789\r\n0\r\n\r\n").body, "0123456789");
  });

  test("chunk extensions are skipped (RFC 9112 7.1.1), with BWS before the semicolon, quoted values", () => {
    assert.equal(whole('3 ;a=1;b="x y"\r\nabc\r\n0;last\r\n\r\n').body, "abc");
    assert.equal(whole("3\t;ext\r\nabc\r\n0\r\n\r\n").body, "abc");
  });

  test("trailers are read past (RFC 9112 7.1.2)", () => {
    const r = whole("3\r\nabc\r\n0\r\nExpires: never\r\nX-A: 1\r\n\r\nrest");
    assert.deepEqual(r, { body: "abc", done: true, rest: "rest" });
  });

  test("incomplete input is not done", () => {
    assert.equal(whole("3\r\nab").done, false);
    assert.equal(whole("3\r\nabc\r\n0\r\n").done, false);
    assert.equal(whole("3\r\nabc\r\n0\r\nX: y\r\n").done, false);
  });

  test("malformed framing is a MalformedResponseError", () => {
    for (const bad of [
      "\r\n",
      "g\r\nabc\r\n",
      "3x\r\nabc\r\n",
      "3\r\nabcd\r\n",
      "3\nabc\r\n",
      "3\r\nabc\n0\r\n\r\n",
      "3\rabc",
      "3;\x01\r\nabc\r\n",
      "0\r\n folded: x\r\n\r\n",
      "0\r\nno colon\r\n\r\n",
      "0\r\nbad name: x\r\n\r\n",
      "0\r\nX: a\x00b\r\n\r\n",
    ]) {
      assert.throws(() => whole(bad), MalformedResponseError, JSON.stringify(bad));
    }
  });

  test("a chunk size past the body bound fails before its data is read", () => {
    assert.throws(
      () => whole("5\r\nabcde\r\n6\r\n", 10),
      (e: unknown) => e instanceof LimitExceededError && e.limit === "response body bytes" && e.value === 10,
    );
    assert.equal(whole("5\r\nabcde\r\n5\r\nfghij\r\n0\r\n\r\n", 10).body, "abcdefghij");
    assert.throws(() => whole("ffffffffffffffffffff\r\n"), (e: unknown) => e instanceof MalformedResponseError || e instanceof LimitExceededError);
  });

  test("line and trailer bounds", () => {
    assert.throws(
      () => whole(`1;${"x".repeat(CHUNKED_LIMITS.lineBytes)}\r\n`),
      (e: unknown) => e instanceof LimitExceededError && e.limit === "chunk line bytes",
    );
    const many = Array.from({ length: CHUNKED_LIMITS.trailerFields + 1 }, (_, i) => `T${i}: v\r\n`).join("");
    assert.throws(() => whole(`0\r\n${many}\r\n`), (e: unknown) => e instanceof LimitExceededError && e.limit === "trailer fields");
    const big = `0\r\nT: ${"v".repeat(CHUNKED_LIMITS.trailerBytes)}\r\n\r\n`;
    assert.throws(() => whole(big), (e: unknown) => e instanceof LimitExceededError && e.limit === "trailer bytes");
  });
});
