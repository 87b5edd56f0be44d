/**
 * Stream one local file (from a byte offset) to the host's `.partial` through stdin of ONE remote writer command:
 * Create, Command, as many Sends as the file needs (each filled to the envelope: chunking.ts), Receive, Delete.
 * Returns what the host says it wrote (length and hash, computed on the host).
 */
import type { WinRMClient } from "../client.js";
import { decodeOutput } from "../shell/codePage.js";
import { cleanPowerShellStderr, powershellCommandLine } from "../shell/powershell.js";
import { encodeStdinLines, payloadPerSend } from "./chunking.js";
import { CopyRemoteError } from "./errors.js";
import { firstLines } from "./psRunner.js";
import { writerScript } from "./psScripts.js";
import { sendFile } from "./sendFile.js";

export interface WriteRequest {
  readonly localPath: string;
  readonly size: number;
  readonly partial: string;
  readonly remotePath: string;
  readonly fromByte: number;
  readonly fresh: boolean;
  readonly signal?: AbortSignal | undefined;
  /** Called after each Send the host accepted, with the bytes of the file sent so far in this call. */
  readonly onSent?: (bytes: number) => void;
}

export interface WriteOutcome {
  /** The host's stdout: the TREE line of the partial file. */
  readonly stdout: string;
  readonly bytesSent: number;
  readonly sends: number;
}

export async function writeThroughStdin(client: WinRMClient, req: WriteRequest): Promise<WriteOutcome> {
  return client.withStreamingShell(
    async (shell, ctx) => {
      const chunk = payloadPerSend(ctx.envelopeSize);
      const line = powershellCommandLine(writerScript(req.partial, req.fresh));
      const id = await shell.command(line.command, line.args, ctx.signal);
      const { bytesSent: sent, sends } = await sendFile(shell, id, {
        localPath: req.localPath,
        fromByte: req.fromByte,
        size: req.size,
        chunk,
        encode: (piece) => encodeStdinLines(piece),
        signal: ctx.signal,
        onSent: req.onSent,
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let exitCode: number | undefined;
      while (exitCode === undefined) {
        const r = await shell.receive(id, ctx.signal);
        for (const s of r.streams) {
          if (s.name === "stdout") out.push(s.data);
          else if (s.name === "stderr") err.push(s.data);
        }
        if (r.done) exitCode = r.exitCode ?? 0;
      }
      if (exitCode !== 0) {
        throw new CopyRemoteError(req.remotePath, "writing", exitCode, firstLines(cleanPowerShellStderr(decodeOutput(Buffer.concat(err), ctx.codePage))));
      }
      return { stdout: decodeOutput(Buffer.concat(out), ctx.codePage), bytesSent: sent, sends };
    },
    req.signal !== undefined ? { signal: req.signal } : {},
  );
}
