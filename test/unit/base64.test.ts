/** wire/base64.ts: strict base64 by the decoded length, on RFC 4648 section 10 vectors and on broken text. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeStrictBase64 } from "../../provider/src/wire/base64.js";

test("RFC 4648 test vectors decode, with or without white space between characters", () => {
  const vectors: [string, string][] = [["", ""], ["f", "Zg=="], ["fo", "Zm8="], ["foo", "Zm9v"], ["foob", "Zm9vYg=="], ["fooba", "Zm9vYmE="], ["foobar", "Zm9vYmFy"]];
  for (const [plain, b64] of vectors) {
    assert.equal((decodeStrictBase64(b64) as Buffer).toString("latin1"), plain, b64);
    assert.equal((decodeStrictBase64(b64.split("").join("\r\n ")) as Buffer).toString("latin1"), plain, `${b64} spaced`);
  }
});

test("a character outside the alphabet, or '=' before the end, is a character problem; a bad length a length one", () => {
  assert.equal(decodeStrictBase64("Zm9v*mFy"), "character");
  assert.equal(decodeStrictBase64("Zg==Zm8="), "character");
  assert.equal(decodeStrictBase64("Zm9vYmF"), "length");
  assert.equal(decodeStrictBase64("Zm9vY"), "length");
});
