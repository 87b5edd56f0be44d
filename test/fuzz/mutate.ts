/**
 * Seeded pseudo-random mutation of seed inputs, for the parser fuzz harness. Deterministic: the same seed gives the
 * same inputs on every machine, so a finding is reproduced by its seed and iteration.
 *
 * Inputs are strings; binary targets read them as latin1 (one character per byte). The mutations are the usual ones
 * (flip, replace, insert, delete, splice, truncate) plus the two that find time bombs: repeating a slice many times and
 * inserting a long run of one character (blanks, `*`, `<`, `&`, digits), because backtracking and quadratic scans hide
 * behind repetition.
 */

/** mulberry32: small, fast, good enough for test input generation. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick from an empty list");
    return items[this.int(items.length)] as T;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Tokens every parser here cares about; each target adds its own. */
export const COMMON_TOKENS: readonly string[] = [
  " ", "\t", "\r\n", "\n", "\r", "\0", ";", ",", ":", "=", "==", "\"", "'", "*", "<", ">", "/", "&", "&#", "&#x", ";",
  "<!--", "-->", "<![CDATA[", "]]>", "<?", "?>", "<!DOCTYPE", "xmlns:", "__proto__", "constructor", "prototype",
  "\uFEFF", "\u2028", "\uD800", "\u00e9", "0", "9", "4294967295", "-1", "65001", "\\", "%", "http://", "https://",
];

const RUN_CHARS = [" ", "\t", "*", "a", "<", "&", "0", ":", ";", "=", "/", "\r\n", "<a>", "&amp;", "*a"];

/** Apply 1-4 random mutations to `input`; the result is at most `maxLength` characters. */
export function mutate(rng: Random, input: string, others: readonly string[], tokens: readonly string[], maxLength: number): string {
  let s = input;
  const rounds = 1 + rng.int(4);
  for (let r = 0; r < rounds; r++) {
    const at = s.length === 0 ? 0 : rng.int(s.length + 1);
    switch (rng.int(9)) {
      case 0: {
        // Replace one character with a random byte-range character.
        if (s.length > 0) {
          const i = rng.int(s.length);
          s = s.slice(0, i) + String.fromCharCode(rng.int(256)) + s.slice(i + 1);
        }
        break;
      }
      case 1: {
        // Flip one bit of one character (binary formats: lengths and offsets).
        if (s.length > 0) {
          const i = rng.int(s.length);
          s = s.slice(0, i) + String.fromCharCode((s.charCodeAt(i) ^ (1 << rng.int(8))) & 0xffff) + s.slice(i + 1);
        }
        break;
      }
      case 2:
        s = s.slice(0, at) + rng.pick(rng.chance(0.5) ? tokens : COMMON_TOKENS) + s.slice(at);
        break;
      case 3: {
        const len = 1 + rng.int(32);
        s = s.slice(0, at) + s.slice(at + len);
        break;
      }
      case 4: {
        // Repeat a slice: 2-8 times usually, up to 4,096 times now and then.
        const len = 1 + rng.int(Math.min(64, Math.max(1, s.length - at)));
        const piece = s.slice(at, at + len);
        const times = rng.chance(0.15) ? 2 + rng.int(4096) : 2 + rng.int(7);
        s = s.slice(0, at) + piece.repeat(times) + s.slice(at + len);
        break;
      }
      case 5: {
        // A long run of one interesting character.
        const run = rng.pick(RUN_CHARS).repeat(1 + rng.int(rng.chance(0.2) ? 8000 : 64));
        s = s.slice(0, at) + run + s.slice(at);
        break;
      }
      case 6: {
        // Splice with another seed.
        const other = others.length > 0 ? rng.pick(others) : "";
        s = s.slice(0, at) + other.slice(rng.int(other.length + 1));
        break;
      }
      case 7:
        s = s.slice(0, at);
        break;
      default: {
        // Overwrite a 4-byte little-endian length-like field with an extreme value (binary targets).
        if (s.length >= 4) {
          const i = rng.int(s.length - 3);
          const v = rng.pick([0, 1, 0x7f, 0xff, 0xffff, 0x7fffffff, 0xffffffff, s.length, s.length + 1]);
          const bytes = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff].map((b) => String.fromCharCode(b)).join("");
          s = s.slice(0, i) + bytes + s.slice(i + 4);
        }
      }
    }
    if (s.length > maxLength) s = s.slice(0, maxLength);
  }
  return s;
}
