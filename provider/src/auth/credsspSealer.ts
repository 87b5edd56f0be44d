/**
 * WinRM message encryption with a CredSSP context over http:// (MS-WSMV 2.2.9.1.3,
 * `application/HTTP-CredSSP-session-encrypted`): the seal is the CredSSP handshake's own TLS session. Each part is
 * one TLS application-data record of at most 16 KiB of plaintext, written LE32(trailer length) || record
 * (wire/credsspRecords.ts); unsealing feeds the record to the session and collects exactly the OriginalContent Length
 * of plaintext, within a time bound. A record that fails TLS' integrity check kills the session (TLS has no way back),
 * so the context is gone after a CredSSPSealError. Used by the client (auth/credssp.ts) and the emulated host
 * (auth/credsspAcceptor.ts), each with its side of the session.
 */
import { DecryptError } from "../errors.js";
import { CREDSSP_CHUNK_BYTES, CREDSSP_ENCRYPTED_PROTOCOL } from "../wire/multipart.js";
import { splitApplicationRecords, splitForFraming, tlsTrailerLength } from "../wire/credsspRecords.js";
import type { MemoryTls } from "./credsspTls.js";
import type { RecordSealer } from "./mechanism.js";

/** A CredSSP-sealed part did not unseal: a tampered or foreign record, or plaintext of another length. */
export class CredSSPSealError extends DecryptError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`CredSSP message encryption: ${message}`, options);
  }
}

/** One 16 KiB part is one record; a peer splitting it further gets a few, never hundreds. */
const MAX_RECORDS_PER_PART = 8;
/** Decrypting a record takes microseconds; this bounds a session that never yields the plaintext. */
const DEFAULT_UNWRAP_TIMEOUT_MS = 10_000;

export interface CredSSPSealerOptions {
  readonly unwrapTimeoutMs?: number;
  /**
   * Refuse a one-record part whose LE32 is not the trailer length of its plaintext and the session's suite. The
   * emulated host sets it; the client does not (it reads what the host frames, and a record frames itself).
   */
  readonly checkTrailer?: boolean;
}

export class CredSSPRecordSealer implements RecordSealer {
  readonly protocol = CREDSSP_ENCRYPTED_PROTOCOL;
  readonly partBytes = CREDSSP_CHUNK_BYTES;
  private readonly timeoutMs: number;
  private readonly checkTrailer: boolean;

  constructor(
    private readonly tls: MemoryTls,
    opts: CredSSPSealerOptions = {},
  ) {
    this.timeoutMs = opts.unwrapTimeoutMs ?? DEFAULT_UNWRAP_TIMEOUT_MS;
    this.checkTrailer = opts.checkTrailer === true;
  }

  private trailerFor(plaintextLength: number): number {
    return tlsTrailerLength(plaintextLength, this.tls.socket.getCipher().name, this.tls.socket.getProtocol() ?? "TLSv1.2");
  }

  async wrap(plaintext: Uint8Array): Promise<{ header: Uint8Array; data: Uint8Array }> {
    if (plaintext.length === 0 || plaintext.length > this.partBytes) {
      throw new RangeError(`a CredSSP part seals 1 to ${this.partBytes} bytes, not ${plaintext.length}`);
    }
    const records = await this.tls.exchange(undefined, plaintext);
    const spans = splitApplicationRecords(records, 1);
    const record = records.subarray(spans[0]!.start, spans[0]!.end);
    return splitForFraming(record, this.trailerFor(plaintext.length));
  }

  async unwrap(header: Uint8Array, data: Uint8Array, originalLength: number): Promise<Uint8Array> {
    // The LE32 prefix is the trailer length (checked below with checkTrailer): the record is header || data, framed
    // by itself.
    const records = Buffer.concat([header, data]);
    let count: number;
    try {
      count = splitApplicationRecords(records, MAX_RECORDS_PER_PART).length;
    } catch (e) {
      throw new CredSSPSealError((e as Error).message);
    }
    const got: Buffer[] = [];
    let bytes = 0;
    const deadline = Date.now() + this.timeoutMs;
    let feed: Buffer | undefined = records;
    // At least one turn, so the records are always consumed (the TLS sequence numbers must stay in step).
    do {
      const before = this.tls.activity;
      try {
        await this.tls.exchange(feed);
      } catch (e) {
        throw new CredSSPSealError("a sealed record failed the TLS session's integrity check (tampered, or not from this session)", { cause: e });
      }
      const fed = feed !== undefined;
      feed = undefined;
      const more = this.tls.takePlaintext();
      got.push(more);
      bytes += more.length;
      // A turn in which TLS did nothing at all: every record was decrypted, and the part holds less than announced.
      const idle = !fed && more.length === 0 && this.tls.activity === before;
      if (idle || (more.length === 0 && Date.now() > deadline)) {
        throw new CredSSPSealError(
          `the sealed records hold ${bytes} plaintext bytes, the part announces ${originalLength}` + (idle ? "" : ` (after ${this.timeoutMs} ms)`),
        );
      }
    } while (bytes < originalLength);
    if (bytes !== originalLength) {
      throw new CredSSPSealError(`the sealed records hold ${bytes} plaintext bytes, the part announces ${originalLength}`);
    }
    if (this.checkTrailer && count === 1 && header.length !== this.trailerFor(originalLength)) {
      throw new CredSSPSealError(
        `the part's length prefix is ${header.length}, and a record of ${originalLength} bytes under ` +
          `${this.tls.socket.getCipher().name} has a trailer of ${this.trailerFor(originalLength)} (SSPI's cbTrailer)`,
      );
    }
    return Buffer.concat(got);
  }
}
