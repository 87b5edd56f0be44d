/**
 * Many files through ONE PowerShell command (psScripts.ts BATCH_WRITER) in a shell the whole copy shares: Command,
 * as many Sends as the bytes need (each filled to the declared MaxEnvelopeSize, small files packed together, a large
 * file's lines sized to what is left of each Send), Receive, and the Signal terminate MS-WSMV 3.1.4.14 asks for,
 * sent before the shell's next Command (sharedShell.ts). A directory of small files costs a fraction of a request per file
 * instead of a shell, a writer and a rename each. Memory: one Send's worth of stdin.
 */
import { open, type FileHandle } from "node:fs/promises";
import { decodeOutput } from "../shell/codePage.js";
import { cleanPowerShellStderr, powershellCommandLine } from "../shell/powershell.js";
import { stdinPerSend } from "./chunking.js";
import { CopyRemoteError } from "./errors.js";
import { HostOutput, MAX_ERROR_BYTES, maxWriterOutput } from "./hostOutput.js";
import { firstLines } from "./psRunner.js";
import { batchWriterScript, parseBatchOutput, type BatchLine } from "./psScripts.js";
import type { SharedShell } from "./sharedShell.js";

export interface BatchFile {
  readonly localPath: string;
  readonly target: string;
  readonly size: number;
  readonly fromByte: number;
  /** Upper-case hex SHA-256 of the whole local file. */
  readonly sha256: string;
  readonly onSent?: ((bytes: number) => void) | undefined;
}

export interface ShellContext {
  readonly codePage: number;
  readonly envelopeSize: number;
  readonly signal: AbortSignal | undefined;
}

const CRLF = Buffer.from("\r\n", "latin1");
/** Below this much room a Send goes as it is rather than carry a sliver of a file line. */
const MIN_PIECE = 1024;

/** Writes `files` (fromByte onwards) with one command; the host's M / F line for each, in order. */
export async function writeBatch(shell: SharedShell, ctx: ShellContext, files: readonly BatchFile[], remotePath: string): Promise<BatchLine[]> {
  const budget = stdinPerSend(ctx.envelopeSize);
  const line = powershellCommandLine(batchWriterScript());
  const id = await shell.command(line.command, line.args);
  let pending: Buffer[] = [];
  let used = 0;
  const touched = new Map<BatchFile, number>();
  const flush = async (end: boolean): Promise<void> => {
    await shell.send(id, Buffer.concat(pending, used), end);
    pending = [];
    used = 0;
    for (const [f, n] of touched) f.onSent?.(n);
    touched.clear();
  };
  const push = async (b: Buffer): Promise<void> => {
    if (used + b.length > budget) await flush(false);
    pending.push(b);
    used += b.length;
  };
  for (const f of files) {
    await push(Buffer.from(`${Buffer.from(f.target, "utf8").toString("base64")}\r\n${f.size} ${f.sha256.toUpperCase()}\r\n`, "latin1"));
    let fh: FileHandle | undefined;
    try {
      let sent = 0;
      for (let off = f.fromByte; off < f.size; ) {
        let room = budget - used - CRLF.length;
        if (room < MIN_PIECE) {
          await flush(false);
          room = budget - CRLF.length;
        }
        const want = Math.min(f.size - off, Math.floor(room / 4) * 3);
        fh ??= await open(f.localPath, "r");
        const buf = Buffer.allocUnsafe(want);
        const { bytesRead } = await fh.read(buf, 0, want, off);
        // A file that shrank while we read it: its line ends here; the host's hash will not match.
        if (bytesRead === 0) break;
        pending.push(Buffer.from(buf.subarray(0, bytesRead).toString("base64"), "latin1"), CRLF);
        used += Math.ceil(bytesRead / 3) * 4 + CRLF.length;
        off += bytesRead;
        sent += bytesRead;
        touched.set(f, sent);
      }
    } finally {
      await fh?.close();
    }
    await push(CRLF);
  }
  await flush(true);
  const out = new HostOutput(maxWriterOutput(files.length), `writing ${remotePath}`);
  const err = new HostOutput(MAX_ERROR_BYTES);
  let exitCode: number | undefined;
  while (exitCode === undefined) {
    const r = await shell.receive(id);
    for (const s of r.streams) {
      if (s.name === "stdout") out.push(s.data);
      else if (s.name === "stderr") err.push(s.data);
    }
    if (r.done) exitCode = r.exitCode ?? 0;
  }
  const lines = parseBatchOutput(decodeOutput(out.bytes(), ctx.codePage));
  if (exitCode !== 0 || lines.length !== files.length) {
    const at = files[Math.min(lines.length, files.length - 1)]?.target ?? remotePath;
    throw new CopyRemoteError(at, "writing", exitCode, firstLines(cleanPowerShellStderr(decodeOutput(err.bytes(), ctx.codePage))));
  }
  return lines;
}
