/**
 * How much of a file one stdin Send carries. A Send's envelope holds rsp:Stream, the base64 of the stdin bytes
 * (MS-WSMV 3.1.4.13); our stdin bytes are themselves one base64 line per Send (what the remote writer decodes), so a
 * payload of n bytes costs about n * 4/3 * 4/3 characters of envelope. The rest of the envelope (addressing, selectors,
 * the Send element: about 1.5 KiB) is kept under SOAP_OVERHEAD, so a Send never passes the MaxEnvelopeSize the client
 * declares (the host faults a request over its own MaxEnvelopeSizekb, MS-WSMV 2.2.4.20).
 */

/** Room left in each Send envelope for everything but the stream text. */
const SOAP_OVERHEAD = 4096;

/** Line end after each base64 line (PowerShell's ReadLine and findstr both take CRLF). */
const LINE_END = 2;

/** The largest payload (file bytes) per Send that fits `envelopeSize`, a multiple of 3 (base64 without padding inside). */
export function payloadPerSend(envelopeSize: number, lineBytes?: number): number {
  const streamChars = envelopeSize - SOAP_OVERHEAD;
  // stdin bytes b: its base64 is 4 * ceil(b / 3) characters.
  const stdinBytes = Math.floor(streamChars / 4) * 3;
  let payload: number;
  if (lineBytes === undefined) {
    // One line: base64(payload) + CRLF <= stdinBytes.
    payload = Math.floor((stdinBytes - LINE_END) / 4) * 3;
  } else {
    // Lines of lineBytes payload bytes each (4 * lineBytes / 3 characters + CRLF).
    const perLine = (lineBytes / 3) * 4 + LINE_END;
    payload = Math.floor(stdinBytes / perLine) * lineBytes;
  }
  if (payload < 3) throw new RangeError(`envelope size ${envelopeSize} leaves no room for stdin`);
  return payload - (payload % 3);
}

export interface ChunkRange {
  readonly offset: number;
  readonly length: number;
}

/** The byte ranges [from, total) in pieces of at most `chunk` bytes; none when nothing is left. */
export function planChunks(total: number, from: number, chunk: number): ChunkRange[] {
  if (!(chunk > 0)) throw new RangeError("chunk must be positive");
  const out: ChunkRange[] = [];
  for (let off = from; off < total; off += chunk) out.push({ offset: off, length: Math.min(chunk, total - off) });
  return out;
}

/** The stdin text of one Send: base64 lines of `lineBytes` payload bytes (or one line), each ending in CRLF. */
export function encodeStdinLines(data: Uint8Array, lineBytes?: number): Buffer {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (lineBytes === undefined || buf.length <= lineBytes) return Buffer.from(`${buf.toString("base64")}\r\n`, "latin1");
  const parts: string[] = [];
  for (let off = 0; off < buf.length; off += lineBytes) parts.push(buf.subarray(off, off + lineBytes).toString("base64"));
  return Buffer.from(`${parts.join("\r\n")}\r\n`, "latin1");
}

/** The stdin bytes one Send may carry within `envelopeSize` (their base64 is the rsp:Stream text). */
export function stdinPerSend(envelopeSize: number): number {
  const stdinBytes = Math.floor((envelopeSize - SOAP_OVERHEAD) / 4) * 3;
  if (stdinBytes < 64) throw new RangeError(`envelope size ${envelopeSize} leaves no room for stdin`);
  return stdinBytes;
}
