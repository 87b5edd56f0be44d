/**
 * The output a copy's streaming commands collect from the host (batchWriter.ts, cmdHost.ts), bounded: the writers
 * print a short line per file (stdout) and error text is shown only by its first lines (psRunner.ts firstLines), so
 * a host that sends more cannot grow the client's memory.
 */
import { LimitExceededError } from "../errors.js";

/** Error text kept per command: more than firstLines shows, the rest is dropped. */
export const MAX_ERROR_BYTES = 64 * 1024;

/** Stdout a writer may print for `files` files: a line of at most ~100 characters each, and room for noise. */
export function maxWriterOutput(files: number): number {
  return 64 * 1024 + files * 256;
}

export class HostOutput {
  private readonly parts: Buffer[] = [];
  private size = 0;

  /**
   * `max` bytes at most; `over`: what a larger output means (a LimitExceededError naming it), or undefined to keep
   * the first `max` bytes and drop the rest (error text).
   */
  constructor(
    private readonly max: number,
    private readonly over?: string,
  ) {}

  push(data: Buffer): void {
    if (this.size + data.length > this.max) {
      if (this.over !== undefined) {
        throw new LimitExceededError("copy writer output bytes", this.max, `the host printed more than a copy's writer prints: ${this.over}`);
      }
      data = data.subarray(0, this.max - this.size);
    }
    this.parts.push(data);
    this.size += data.length;
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts, this.size);
  }
}
