/**
 * The emulated cmd.exe's `for /f` (provider/src/testing/host/cmdForF.ts) as `for /?` describes it: options, tokens
 * with `*`, delims, eol and skip, empty lines skipped.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { forFIterations, parseForFOptions } from "../../provider/src/testing/host/cmdForF.js";

const values = (opts: string, text: string): string[][] => {
  const p = parseForFOptions(opts);
  assert.ok(p !== undefined, opts);
  return forFIterations(p.options, "a", text).map((m) => [...m.values()]);
};

test("tokens=1,*: the first token and the rest of the line; empty and ;-lines skipped", () => {
  assert.deepEqual(values("usebackq tokens=1,*", "0 QUJD\r\n\r\n;comment\r\n12   x y  z\r\n"), [["0", "QUJD"], ["12", "x y  z"]]);
  assert.equal(parseForFOptions("usebackq tokens=1,*")?.usebackq, true);
});

test("default tokens=1; delims, eol and skip", () => {
  assert.deepEqual(values("", "a b\nc d\n"), [["a"], ["c"]]);
  assert.deepEqual(values("tokens=2,3 delims=,", "1,2,3\nx,,y,z\n"), [["2", "3"], ["y", "z"]]);
  assert.deepEqual(values("eol=# skip=1", "head\n#no\n;yes\n"), [[";yes"]]);
  assert.deepEqual(values("tokens=2,3*", "a b c d e"), [["b", "c", "d e"]]);
  assert.deepEqual(values("tokens=1-2", "a b c"), [["a", "b"]]);
});

test("options cmd would refuse are refused", () => {
  assert.equal(parseForFOptions("tokens=x"), undefined);
  assert.equal(parseForFOptions("bogus"), undefined);
});
