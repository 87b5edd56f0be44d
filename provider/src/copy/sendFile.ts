/**
 * Stream a file's bytes [from, size) as the stdin of a running command, one Send per chunk (chunking.ts), End on the
 * last; memory: one chunk. The cmd writer of a large file (cmdHost.ts); small files and PowerShell hosts pack stdin
 * themselves (cmdHost.ts cmdWriteBatch, batchWriter.ts).
 */
import { open } from "node:fs/promises";
import { planChunks } from "./chunking.js";

/** Where stdin goes: a shell (or the copy's SharedShell). */
export interface StdinSink {
  send(commandId: string, data: Uint8Array, end: boolean, signal?: AbortSignal): Promise<void>;
}

export interface SendFileRequest {
  readonly localPath: string;
  readonly fromByte: number;
  readonly size: number;
  /** File bytes per Send. */
  readonly chunk: number;
  /** The stdin bytes of one Send for a piece of the file (base64 lines). */
  readonly encode: (piece: Buffer) => Uint8Array;
  readonly signal?: AbortSignal | undefined;
  readonly onSent?: ((bytes: number) => void) | undefined;
}

/** Returns the file bytes sent and the number of Sends. */
export async function sendFile(shell: StdinSink, commandId: string, req: SendFileRequest): Promise<{ bytesSent: number; sends: number }> {
  const ranges = planChunks(req.size, req.fromByte, req.chunk);
  let sent = 0;
  let sends = 0;
  const fh = await open(req.localPath, "r");
  try {
    const buf = Buffer.allocUnsafe(Math.max(1, Math.min(req.chunk, req.size - req.fromByte)));
    for (let i = 0; i < ranges.length; i++) {
      const r = ranges[i] as { offset: number; length: number };
      const { bytesRead } = await fh.read(buf, 0, r.length, r.offset);
      // A file that shrank while we read it: send what there is; the host's hash will not match.
      const last = i === ranges.length - 1 || bytesRead < r.length;
      await shell.send(commandId, req.encode(buf.subarray(0, bytesRead)), last, req.signal);
      sends++;
      sent += bytesRead;
      req.onSent?.(sent);
      if (last) break;
    }
  } finally {
    await fh.close();
  }
  // Nothing to send (an empty file, or a partial already complete): close stdin so the writer finishes.
  if (sends === 0) {
    await shell.send(commandId, new Uint8Array(0), true, req.signal);
    sends++;
  }
  return { bytesSent: sent, sends };
}
