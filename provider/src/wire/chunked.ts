/**
 * A pure, incremental decoder of the chunked transfer coding (RFC 9112 7.1): bytes in, body bytes out, no I/O, so
 * every rule is tested on byte vectors (test/unit/http1-chunked.test.ts).
 *
 *   chunked-body = *chunk last-chunk trailer-section CRLF
 *   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   last-chunk   = 1*("0") [ chunk-ext ] CRLF
 *
 * - chunk-ext (RFC 9112 7.1.1) is skipped: only its characters are checked (no CTL but HTAB), and its line is bounded;
 * - the trailer section (RFC 9112 7.1.2) is read past and discarded (WinRM sends none), bounded in fields and bytes;
 * - lines end in CRLF: a bare LF or CR is refused (lenient line endings are a response-smuggling vector, RFC 9112 2.2);
 * - the body is bounded (`maxBodyBytes`): a chunk size that would pass it fails before its data is read.
 * Scans are byte loops; no pattern runs on the peer's bytes.
 */
import { LimitExceededError } from "../errors.js";
import { MalformedResponseError } from "./http1.js";

export const CHUNKED_LIMITS = {
  /** One chunk-size line with its extensions (Node's own parser allows 16 KiB of extensions). */
  lineBytes: 16 * 1024,
  trailerFields: 100,
  trailerBytes: 64 * 1024,
} as const;

type State = "size" | "data" | "data-cr" | "data-lf" | "trailer" | "done";

const CR = 0x0d;
const LF = 0x0a;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

export class ChunkedDecoder {
  private state: State = "size";
  /** Bytes of the line being read (a size line or a trailer line), without its CRLF. */
  private line: number[] = [];
  private sawCr = false;
  private remaining = 0;
  private total = 0;
  private trailerFields = 0;
  private trailerBytes = 0;

  /** `limitName` names the body bound in the LimitExceededError (e.g. "response body bytes"). */
  constructor(
    private readonly maxBodyBytes: number,
    private readonly limitName = "response body bytes",
  ) {}

  /** The last chunk and the trailer section were read: the body is complete. */
  get done(): boolean {
    return this.state === "done";
  }

  /** Body bytes so far. */
  get bodyBytes(): number {
    return this.total;
  }

  /**
   * Decode `input`; `onData` gets each piece of chunk-data (subarrays of `input`). Returns how many bytes of `input`
   * belong to the chunked body: when `done`, the rest is not this message's.
   */
  push(input: Buffer, onData: (data: Buffer) => void): number {
    let i = 0;
    while (i < input.length && this.state !== "done") {
      switch (this.state) {
        case "data": {
          const take = Math.min(this.remaining, input.length - i);
          onData(input.subarray(i, i + take));
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = "data-cr";
          break;
        }
        case "data-cr":
          if (input[i++] !== CR) throw malformed("chunk data is not followed by CRLF");
          this.state = "data-lf";
          break;
        case "data-lf":
          if (input[i++] !== LF) throw malformed("chunk data is not followed by CRLF");
          this.state = "size";
          break;
        default: {
          // "size" or "trailer": one line up to CRLF.
          const c = input[i++] as number;
          if (this.sawCr) {
            if (c !== LF) throw malformed("a bare CR in a chunk line");
            this.sawCr = false;
            this.endLine();
          } else if (c === CR) {
            this.sawCr = true;
          } else if (c === LF) {
            throw malformed("a chunk line ends in a bare LF");
          } else {
            this.addLineByte(c);
          }
        }
      }
    }
    return i;
  }

  private addLineByte(c: number): void {
    if (this.state === "size") {
      if (this.line.length >= CHUNKED_LIMITS.lineBytes) {
        throw new LimitExceededError("chunk line bytes", CHUNKED_LIMITS.lineBytes, "the peer sent an oversized chunk-size line");
      }
    } else if (++this.trailerBytes > CHUNKED_LIMITS.trailerBytes) {
      throw new LimitExceededError("trailer bytes", CHUNKED_LIMITS.trailerBytes, "the peer sent an oversized trailer section");
    }
    this.line.push(c);
  }

  private endLine(): void {
    const line = this.line;
    this.line = [];
    if (this.state === "trailer") {
      if (line.length === 0) {
        this.state = "done";
        return;
      }
      if (++this.trailerFields > CHUNKED_LIMITS.trailerFields) {
        throw new LimitExceededError("trailer fields", CHUNKED_LIMITS.trailerFields, "the peer sent too many trailer fields");
      }
      checkTrailerLine(line);
      return;
    }
    const size = parseSizeLine(line);
    if (size > this.maxBodyBytes - this.total) {
      throw new LimitExceededError(
        this.limitName,
        this.maxBodyBytes,
        "the peer sent a chunked response body larger than any WinRM response may be (the cap is derived from the " +
          "MaxEnvelopeSize the client sends); the connection was closed",
      );
    }
    this.total += size;
    if (size === 0) this.state = "trailer";
    else {
      this.remaining = size;
      this.state = "data";
    }
  }
}

function malformed(why: string): MalformedResponseError {
  return new MalformedResponseError(`the peer sent a malformed chunked body: ${why}`);
}

/** chunk-size [ chunk-ext ]: 1*HEXDIG, then BWS ";" ... with no CTL but HTAB (RFC 9112 7.1.1). */
function parseSizeLine(line: number[]): number {
  let size = 0;
  let i = 0;
  for (; i < line.length; i++) {
    const v = hexValue(line[i] as number);
    if (v < 0) break;
    // Past 2^48 no body bound we use can be met: stop before the arithmetic loses precision.
    if (size > 0xffffffffffff / 16) throw malformed("a chunk size too large");
    size = size * 16 + v;
  }
  if (i === 0) throw malformed("a chunk line without a size");
  if (i < line.length) {
    let j = i;
    while (j < line.length && (line[j] === 0x20 || line[j] === 0x09)) j++;
    if (line[j] !== 0x3b /* ; */) throw malformed("junk after a chunk size");
    for (; j < line.length; j++) {
      const c = line[j] as number;
      if ((c < 0x20 && c !== 0x09) || c === 0x7f) throw malformed("a control character in a chunk extension");
    }
  }
  return size;
}

/** field-name ":" field-value, the name a token (RFC 9112 5); no obs-fold. */
function checkTrailerLine(line: number[]): void {
  const first = line[0] as number;
  if (first === 0x20 || first === 0x09) throw malformed("a folded trailer line");
  const colon = line.indexOf(0x3a);
  if (colon <= 0) throw malformed("a trailer line that is not `name: value`");
  for (let i = 0; i < colon; i++) {
    const c = line[i] as number;
    if (c <= 0x20 || c >= 0x7f || c === 0x22 || c === 0x28 || c === 0x29 || c === 0x2c || c === 0x2f || (c >= 0x3a && c <= 0x40) || c === 0x5b || c === 0x5c || c === 0x5d || c === 0x7b || c === 0x7d) {
      throw malformed("a trailer field name that is not a token");
    }
  }
  for (let i = colon + 1; i < line.length; i++) {
    const c = line[i] as number;
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) throw malformed("a control character in a trailer field");
  }
}
