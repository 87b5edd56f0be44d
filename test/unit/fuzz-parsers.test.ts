/**
 * The parser fuzz harness in CI: a fixed seed and a small budget per target (`npm run fuzz` runs longer by hand).
 * No input may throw outside the WinRMError family; the time bound here is generous (1 s per input, against a shared
 * CI machine) where the hand run reports anything over 100 ms. Also proves the harness itself can fail: a planted
 * TypeError and a planted quadratic scan are reported.
 */
import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import { fuzzTarget } from "../fuzz/harness.js";
import { loadSeeds, type SeedCorpus } from "../fuzz/seeds.js";
import { fuzzTargets, type FuzzTarget } from "../fuzz/targets.js";
import { parseEnvelope } from "../../provider/src/wsman/parse.js";

const CI_ITERATIONS = 1000;
const CI_SEED = 20261203;

let seeds: SeedCorpus;

void describe("parser fuzzing (fixed seed, bounded budget)", () => {
  before(async () => {
    seeds = await loadSeeds();
  });

  void test("every target runs its seeds and mutations without an exception outside WinRMError", () => {
    const targets = fuzzTargets(seeds);
    assert.ok(targets.length >= 13);
    for (const t of targets) {
      assert.ok(t.seeds.length > 0, `${t.name} has seeds`);
      const r = fuzzTarget(t, { iterations: CI_ITERATIONS, seed: CI_SEED, slowMs: 1000 });
      assert.equal(r.exceptions, 0, `${t.name}: ${r.findings.map((f) => f.error).join("; ")}`);
      assert.equal(r.slow, 0, `${t.name}: slowest ${r.slowestMs.toFixed(1)} ms`);
    }
  });

  void test("every recorded Windows response (when present) and every emulator document parses", (t) => {
    if (seeds.fidelityDir === undefined) t.diagnostic("no recorded Windows traffic found; emulator documents only");
    for (const xml of seeds.xml) assert.doesNotThrow(() => parseEnvelope(xml), xml.slice(0, 200));
  });

  void test("the harness reports a planted exception and a planted quadratic scan", () => {
    const throwing: FuzzTarget = {
      name: "planted-throw",
      seeds: ["<a>"],
      tokens: ["<"],
      run: (input) => {
        if (input.includes("<<")) throw new TypeError("planted");
      },
    };
    const r1 = fuzzTarget(throwing, { iterations: 500, seed: 1, slowMs: 1000 });
    assert.ok(r1.exceptions > 0);
    assert.match(r1.findings[0]?.error ?? "", /TypeError: planted/);
    const quadratic: FuzzTarget = {
      name: "planted-slow",
      seeds: ["  x"],
      tokens: [" "],
      // The old reg query expression, on purpose.
      run: (input) => void /^\s*(.+?)[ \t]+REG_BINARY(?:[ \t]+([0-9A-Fa-f]*))?[ \t]*$/.exec(input),
    };
    // Short inputs, so the planted bug costs a fraction of a second per input, not minutes.
    const r2 = fuzzTarget(quadratic, { iterations: 200, seed: 1, slowMs: 20, maxLength: 1500 });
    assert.ok(r2.slow > 0, `slowest ${r2.slowestMs} ms`);
  });
});
