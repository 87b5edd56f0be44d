/**
 * Stream one local file (from a byte offset) to the host's `.partial` through stdin of ONE remote writer command:
 * Create, Command, as many Sends as the file needs (each filled to the envelope: chunking.ts), Receive, Delete.
 * Returns what the host says it wrote (length and hash, computed on the host).
 */
import { open } from "node:fs/promises";
import type { WinRMClient } from "../client.js";
import { decodeOutput } from "../shell/codePage.js";
import { cleanPowerShellStderr, powershellCommandLine } from "../shell/powershell.js";
import { encodeStdinLines, payloadPerSend } from "./chunking.js";
import { CopyRemoteError } from "./errors.js";
import { firstLines } from "./psRunner.js";
import { writerScript } from "./psScripts.js";

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
      let sent = 0;
      let sends = 0;
      const fh = await open(req.localPath, "r");
      try {
        const buf = Buffer.allocUnsafe(Math.min(chunk, Math.max(req.size - req.fromByte, 0)) || 1);
        let pos = req.fromByte;
        while (pos < req.size) {
          const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, req.size - pos), pos);
          if (bytesRead === 0) break; // the file shrank while we read it: the host's hash will tell
          pos += bytesRead;
          const last = pos >= req.size;
          await shell.send(id, encodeStdinLines(buf.subarray(0, bytesRead)), last, ctx.signal);
          sends++;
          sent += bytesRead;
          req.onSent?.(sent);
        }
        if (sends === 0 || pos < req.size) {
          await shell.send(id, new Uint8Array(0), true, ctx.signal);
          sends++;
        }
      } finally {
        await fh.close();
      }
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
