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
import { hostOps } from "./hostOps.js";
import { hashFile, readLocalTree } from "./localFiles.js";
import { checkRemotePath, joinRemote, partialPath, PARTIAL_SUFFIX } from "./remotePaths.js";
import { decideCopy, sameHash } from "./resume.js";

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
  const signal = opts.signal;
  const ops = await hostOps(client, signal);

  // What the host has: one listing of the root (a directory tree lists its partials too).
  const remote = new Map<string, { length: number; hash: string }>();
  const listed = await ops.tree(tree.kind === "file" ? [remotePath, partialPath(remotePath)] : [remotePath], remotePath);
  for (const l of listed) if (l.kind === "file") remote.set(l.path.toLowerCase(), { length: l.length, hash: l.hash });
  if (tree.kind === "directory") await ops.mkdirs(tree.directories.map((d) => joinRemote(remotePath, d)), remotePath);

  const files: CopiedFile[] = [];
  let bytesSent = 0;
  let doneBefore = 0;
  for (const f of tree.files) {
    const target = joinRemote(remotePath, f.relative);
    const partial = partialPath(target);
    const sha256 = await hashFile(f.absolute);
    const compared = ops.algorithm === "sha256" ? sha256 : await hashFile(f.absolute, undefined, ops.algorithm);
    const decision = await decideCopy(
      { length: f.size, hash: compared },
      remote.get(target.toLowerCase()),
      ops.resumes ? remote.get(partial.toLowerCase()) : undefined,
      (n) => hashFile(f.absolute, n, ops.algorithm),
    );
    if (decision.kind === "skip") {
      files.push({ localPath: f.absolute, remotePath: target, bytes: f.size, sha256, skipped: true, resumedFromByte: 0 });
      doneBefore += f.size;
      opts.onProgress?.({ file: target, bytesSent: doneBefore, totalBytes });
      continue;
    }
    const from = decision.fromByte;
    const progressBase = doneBefore + from;
    const out = await ops.write({
      localPath: f.absolute,
      size: f.size,
      partial,
      remotePath: target,
      fromByte: from,
      fresh: decision.discardPartial || from === 0,
      signal,
      onSent: (n) => opts.onProgress?.({ file: target, bytesSent: progressBase + n, totalBytes }),
    });
    bytesSent += out.bytesSent;
    const actual = out.hash ?? "";
    if (out.hash === undefined || (out.length >= 0 && out.length !== f.size) || !sameHash(actual, compared)) {
      // Not put in place; the partial goes so the next copy starts over instead of resuming from bad bytes.
      await ops.deleteFile(partial, target).catch(() => undefined);
      throw new CopyVerificationError(target, ops.algorithm === "sha256" ? "SHA-256" : "SHA-1", compared, actual);
    }
    await ops.finalize(partial, target);
    files.push({ localPath: f.absolute, remotePath: target, bytes: f.size, sha256, skipped: false, resumedFromByte: from });
    doneBefore += f.size;
  }
  return { files, bytesSent };
}

/**
 * sha256 of every file under remotePath (a file or a directory), keyed by path relative to remotePath ("" for a
 * single file); undefined when absent. A copy's temporary `.partial` files are left out. On a host that cannot
 * compute SHA-256 (Server 2003: cmdHost.ts) the values are `sha1:<hex>`, which localHashes(path, "sha1") matches.
 */
export async function remoteHashes(client: WinRMClient, remotePath: string, opts: { signal?: AbortSignal } = {}): Promise<Map<string, string> | undefined> {
  checkRemotePath(remotePath);
  const ops = await hostOps(client, opts.signal);
  const lines = await ops.tree([remotePath], remotePath);
  const first = lines[0];
  if (first === undefined || first.kind === "absent") return undefined;
  const value = (hash: string): string => (ops.algorithm === "sha256" ? hash : `sha1:${hash}`);
  const out = new Map<string, string>();
  if (first.kind === "file") {
    out.set("", value(first.hash));
    return out;
  }
  const root = first.path.endsWith("\\") ? first.path : `${first.path}\\`;
  for (const l of lines) {
    if (l.kind !== "file" || l.path.toLowerCase().endsWith(PARTIAL_SUFFIX)) continue;
    const rel = l.path.toLowerCase().startsWith(root.toLowerCase()) ? l.path.slice(root.length) : l.path;
    out.set(rel, value(l.hash));
  }
  return out;
}

/** local counterpart, same keys (upper-case hex; "sha1" gives the `sha1:<hex>` values of hosts without SHA-256) */
export async function localHashes(localPath: string, algorithm: "sha256" | "sha1" = "sha256"): Promise<Map<string, string>> {
  const tree = await readLocalTree(localPath);
  const out = new Map<string, string>();
  for (const f of tree.files) {
    const h = await hashFile(f.absolute, undefined, algorithm);
    out.set(f.relative, algorithm === "sha256" ? h : `sha1:${h}`);
  }
  return out;
}

/** Remove a remote file or directory tree (nothing when it is absent). */
export async function removeRemote(client: WinRMClient, remotePath: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
  checkRemotePath(remotePath);
  await (await hostOps(client, opts.signal)).remove(remotePath);
}
