/**
 * shell/codePage.ts decodes and encodes UTF-8 (code page 65001) with Node's own decoder and loads iconv-lite only for
 * other code pages. These tests hold the UTF-8 path to what iconv-lite gives, byte order marks, split characters and
 * invalid bytes included, whole and in every two-chunk split.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import iconv from "iconv-lite";
import { decodeOutput, encodeInput, streamDecoder, UTF8_CODE_PAGE } from "../../provider/src/shell/codePage.js";

const samples: Buffer[] = [
  Buffer.alloc(0),
  Buffer.from("plain ascii\r\n"),
  Buffer.from("\ufeffwith a BOM, ü and 😀"),
  Buffer.from("\ufeff\ufefftwo BOMs"),
  Buffer.from("\ufeff"),
  Buffer.from([0xef, 0xbb]),
  Buffer.from([0xf0, 0x9f, 0x98]),
  Buffer.from([0x61, 0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82, 0x62]),
  Buffer.from("mid \ufeff stays"),
];

test("UTF-8 output decodes exactly as iconv-lite decodes it", () => {
  for (const b of samples) assert.equal(decodeOutput(b, UTF8_CODE_PAGE), iconv.decode(b, "utf8"), b.toString("hex"));
});

test("the UTF-8 stream decoder gives what iconv-lite's does, in every two-chunk split and byte by byte", () => {
  for (const b of samples) {
    const splits: Buffer[][] = [[b], Array.from(b, (x) => Buffer.from([x]))];
    for (let k = 0; k <= b.length; k++) splits.push([b.subarray(0, k), b.subarray(k)]);
    for (const chunks of splits) {
      const ours = streamDecoder(UTF8_CODE_PAGE);
      const theirs = iconv.getDecoder("utf8");
      const a = chunks.map((c) => ours.write(c)).join("") + ours.end();
      const e = chunks.map((c) => theirs.write(c)).join("") + (theirs.end() ?? "");
      assert.equal(a, e, `${b.toString("hex")} in ${chunks.length} chunks`);
    }
  }
});

test("UTF-8 input encodes as iconv-lite encodes it; other code pages still go through iconv-lite", () => {
  for (const t of ["", "dir C:\\", "ü😀", "lone \ud800 surrogate", "\ufeffbom"]) {
    assert.deepEqual(encodeInput(t, UTF8_CODE_PAGE), iconv.encode(t, "utf8"));
  }
  assert.deepEqual(encodeInput("Página", 850), iconv.encode("Página", "cp850"));
  assert.equal(decodeOutput(iconv.encode("Página", "cp850"), 850), "Página");
});
