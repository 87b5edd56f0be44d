/**
 * The fuzz loop: for each target, its seeds unchanged first, then seeded mutations of them, each input timed. A
 * WinRMError is a refusal by name, the right answer to bad input. A finding is an exception outside that family, or
 * an input slower than `slowMs` (timed again up to four times and the fastest run kept, so a cold JIT tier, a garbage
 * collection or a busy machine is not a finding).
 */
import { createHash } from "node:crypto";
import { WinRMError } from "../../provider/src/errors.js";
import { mutate, Random } from "./mutate.js";
import type { FuzzTarget } from "./targets.js";

export interface FuzzOptions {
  /** Inputs per target, seeds included. */
  readonly iterations: number;
  readonly seed: number;
  /** An input slower than this is a finding. */
  readonly slowMs: number;
  /** Longest mutated input, in characters. */
  readonly maxLength?: number;
  /** Findings kept per target (all are counted). */
  readonly keepFindings?: number;
}

export interface Finding {
  readonly target: string;
  readonly kind: "exception" | "slow";
  readonly iteration: number;
  readonly ms: number;
  readonly error?: string;
  readonly input: string;
}

export interface TargetReport {
  readonly name: string;
  readonly inputs: number;
  readonly exceptions: number;
  readonly slow: number;
  readonly slowestMs: number;
  readonly slowestLength: number;
  readonly longestInput: number;
  readonly findings: Finding[];
}

function targetSeed(seed: number, name: string): number {
  return createHash("sha256").update(`${seed}:${name}`).digest().readUInt32LE(0);
}

function timed(run: (input: string) => void, input: string): { ms: number; error?: unknown } {
  const start = performance.now();
  try {
    run(input);
    return { ms: performance.now() - start };
  } catch (error) {
    return { ms: performance.now() - start, error };
  }
}

export function fuzzTarget(target: FuzzTarget, opts: FuzzOptions): TargetReport {
  const rng = new Random(targetSeed(opts.seed, target.name));
  const maxLength = target.maxLength ?? opts.maxLength ?? 256 * 1024;
  const keep = opts.keepFindings ?? 10;
  const findings: Finding[] = [];
  let exceptions = 0;
  let slow = 0;
  let slowestMs = 0;
  let slowestLength = 0;
  let longestInput = 0;
  let previous = "";
  for (let i = 0; i < opts.iterations; i++) {
    let input: string;
    if (i < target.seeds.length) input = target.seeds[i] as string;
    else {
      const base = previous !== "" && rng.chance(0.2) ? previous : target.seeds.length > 0 ? rng.pick(target.seeds) : "";
      input = mutate(rng, base, target.seeds, target.tokens, maxLength);
    }
    previous = input;
    longestInput = Math.max(longestInput, input.length);
    let r = timed(target.run, input);
    if (r.ms > opts.slowMs) {
      // Again, up to four times: keep the fastest, so only the input's own cost counts (not a cold JIT tier, a
      // garbage collection or a busy machine).
      for (let k = 0; k < 4 && r.ms > opts.slowMs; k++) {
        const again = timed(target.run, input);
        if (again.ms < r.ms) r = again;
      }
    }
    if (r.ms > slowestMs) {
      slowestMs = r.ms;
      slowestLength = input.length;
    }
    if (r.error !== undefined && !(r.error instanceof WinRMError)) {
      exceptions++;
      const e = r.error;
      const error = e instanceof Error ? `${e.name}: ${e.message}`.slice(0, 300) : `thrown non-Error ${typeof e}`;
      if (findings.length < keep) findings.push({ target: target.name, kind: "exception", iteration: i, ms: r.ms, error, input });
    } else if (r.ms > opts.slowMs) {
      slow++;
      if (findings.length < keep) findings.push({ target: target.name, kind: "slow", iteration: i, ms: r.ms, input });
    }
  }
  return { name: target.name, inputs: opts.iterations, exceptions, slow, slowestMs, slowestLength, longestInput, findings };
}

export function fuzzAll(targets: readonly FuzzTarget[], opts: FuzzOptions, onReport?: (r: TargetReport) => void): TargetReport[] {
  return targets.map((t) => {
    const r = fuzzTarget(t, opts);
    onReport?.(r);
    return r;
  });
}
