/**
 * File copy to a Windows host over the client's connection (docs/file-copy.md): files and directory trees, streamed
 * through stdin of one remote writer per file, verified by a SHA-256 the host computes, resumable after a broken
 * connection (the host keeps `<name>.partial`; the next copy appends only what is missing), never a half file at the
 * final path.
 *
 * Per file, on a warm client: one listing script (length + hash of the final file and the partial), one writer
 * (Create, Command, one Send per envelope-sized chunk, Receive, Delete) whose last output is the host's hash, one
 * rename. A directory adds one script creating its directories; files whose remote hash matches are skipped.
 */
import type { WinRMClient } from "../client.js";
import { CopyVerificationError } from "./errors.js";
import { writerKindFor } from "./hostKind.js";
import { hashFile, readLocalTree } from "./localFiles.js";
import { remoteTree, runScript } from "./psRunner.js";
import { deleteFileScript, finalizeScript, mkdirScript, parseTreeOutput, removeScript, type TreeLine } from "./psScripts.js";
import { checkRemotePath, joinRemote, partialPath, PARTIAL_SUFFIX } from "./remotePaths.js";
import { decideCopy, sameHash } from "./resume.js";
import { writeThroughStdin } from "./writer.js";
import { cmdCopyFile, cmdMkdirs, cmdRemove, cmdTree } from "./cmdHost.js";

export interface CopyProgress {
  readonly file: string;
  readonly bytesSent: number;
  readonly totalBytes: number;
}
export interface CopyOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: CopyProgress) => void;
}
export interface CopiedFile {
  readonly localPath: string;
  readonly remotePath: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly skipped: boolean;
  readonly resumedFromByte: number;
}
export interface CopyResult {
  readonly files: readonly CopiedFile[];
  readonly bytesSent: number;
}

export { CopyRemoteError, CopyVerificationError } from "./errors.js";
export { MAX_FILES } from "./localFiles.js";
export { MAX_REMOTE_PATH } from "./remotePaths.js";

/** Copy a local file or directory to `remotePath` (an absolute Windows path: the file's or the directory's new name). */
export async function copyToRemote(client: WinRMClient, localPath: string, remotePath: string, opts: CopyOptions = {}): Promise<CopyResult> {
  checkRemotePath(remotePath);
  const tree = await readLocalTree(localPath);
  for (const f of tree.files) checkRemotePath(joinRemote(remotePath, f.relative), "remotePath");
  const totalBytes = tree.files.reduce((n, f) => n + f.size, 0);
  const kind = writerKindFor(await client.identify(opts.signal !== undefined ? { signal: opts.signal } : {}));
  const signal = opts.signal;

  // What the host has: one listing of the root (a directory tree lists its partials too).
  const remote = new Map<string, { length: number; hash: string }>();
  const listed = kind === "powershell"
    ? await remoteTree(client, tree.kind === "file" ? [remotePath, partialPath(remotePath)] : [remotePath], remotePath, signal)
    : await cmdTree(client, tree.kind === "file" ? [remotePath, partialPath(remotePath)] : [remotePath], remotePath, signal);
  for (const l of listed) if (l.kind === "file") remote.set(l.path.toLowerCase(), { length: l.length, hash: l.hash });

  if (tree.kind === "directory") {
    const dirs = tree.directories.map((d) => joinRemote(remotePath, d));
    if (kind === "powershell") await runScript(client, mkdirScript(dirs), remotePath, "creating directories", signal);
    else await cmdMkdirs(client, dirs, remotePath, signal);
  }

  const files: CopiedFile[] = [];
  let bytesSent = 0;
  let doneBefore = 0;
  for (const f of tree.files) {
    const target = joinRemote(remotePath, f.relative);
    const partial = partialPath(target);
    const localHash = await hashFile(f.absolute);
    const decision = await decideCopy(
      { length: f.size, hash: localHash },
      remote.get(target.toLowerCase()),
      remote.get(partial.toLowerCase()),
      (n) => hashFile(f.absolute, n),
    );
    if (decision.kind === "skip") {
      files.push({ localPath: f.absolute, remotePath: target, bytes: f.size, sha256: localHash, skipped: true, resumedFromByte: 0 });
      doneBefore += f.size;
      opts.onProgress?.({ file: target, bytesSent: doneBefore, totalBytes });
      continue;
    }
    const from = decision.fromByte;
    const progressBase = doneBefore + from;
    let sent: number;
    let hostLine: TreeLine | undefined;
    if (kind === "powershell") {
      const out = await writeThroughStdin(client, {
        localPath: f.absolute,
        size: f.size,
        partial,
        remotePath: target,
        fromByte: from,
        fresh: decision.discardPartial || from === 0,
        signal,
        onSent: (n) => opts.onProgress?.({ file: target, bytesSent: progressBase + n, totalBytes }),
      });
      sent = out.bytesSent;
      hostLine = parseTreeOutput(out.stdout).find((l) => l.kind === "file");
    } else {
      const out = await cmdCopyFile(client, {
        localPath: f.absolute,
        size: f.size,
        partial,
        remotePath: target,
        fromByte: from,
        fresh: decision.discardPartial || from === 0,
        signal,
        onSent: (n) => opts.onProgress?.({ file: target, bytesSent: progressBase + n, totalBytes }),
      });
      sent = out.bytesSent;
      hostLine = out.line;
    }
    bytesSent += sent;
    const actual = hostLine?.kind === "file" ? hostLine.hash : "";
    if (hostLine?.kind !== "file" || hostLine.length !== f.size || !sameHash(actual, localHash)) {
      // Not put in place; the partial goes so the next copy starts over instead of resuming from bad bytes.
      if (kind === "powershell") await runScript(client, deleteFileScript(partial), target, "removing the unverified file", signal).catch(() => undefined);
      else await cmdRemove(client, partial, target, signal).catch(() => undefined);
      throw new CopyVerificationError(target, "SHA-256", localHash, actual);
    }
    if (kind === "powershell") await runScript(client, finalizeScript(partial, target), target, "renaming into place", signal);
    else await cmdRemove(client, target, target, signal, partial);
    files.push({ localPath: f.absolute, remotePath: target, bytes: f.size, sha256: localHash, skipped: false, resumedFromByte: from });
    doneBefore += f.size;
  }
  return { files, bytesSent };
}

/** sha256 of every file under remotePath (a file or a directory), keyed by path relative to remotePath ("" for a single file); undefined when absent. */
export async function remoteHashes(client: WinRMClient, remotePath: string, opts: { signal?: AbortSignal } = {}): Promise<Map<string, string> | undefined> {
  checkRemotePath(remotePath);
  const kind = writerKindFor(await client.identify(opts));
  const lines = kind === "powershell" ? await remoteTree(client, [remotePath], remotePath, opts.signal) : await cmdTree(client, [remotePath], remotePath, opts.signal);
  const first = lines[0];
  if (first === undefined || first.kind === "absent") return undefined;
  const out = new Map<string, string>();
  if (first.kind === "file") {
    out.set("", first.hash);
    return out;
  }
  const root = first.path.endsWith("\\") ? first.path : `${first.path}\\`;
  for (const l of lines) {
    if (l.kind !== "file") continue;
    // A copy's temporary file is not part of the content.
    if (l.path.toLowerCase().endsWith(PARTIAL_SUFFIX)) continue;
    const rel = l.path.toLowerCase().startsWith(root.toLowerCase()) ? l.path.slice(root.length) : l.path;
    out.set(rel, l.hash);
  }
  return out;
}

/** local counterpart, same keys */
export async function localHashes(localPath: string): Promise<Map<string, string>> {
  const tree = await readLocalTree(localPath);
  const out = new Map<string, string>();
  for (const f of tree.files) out.set(f.relative, await hashFile(f.absolute));
  return out;
}

/** Remove a remote file or directory tree (nothing when it is absent). */
export async function removeRemote(client: WinRMClient, remotePath: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
  checkRemotePath(remotePath);
  const kind = writerKindFor(await client.identify(opts));
  if (kind === "powershell") await runScript(client, removeScript(remotePath), remotePath, "removing", opts.signal);
  else await cmdRemove(client, remotePath, remotePath, opts.signal);
}
