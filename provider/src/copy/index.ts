/**
 * File copy to a Windows host over the client's connection (docs/file-copy.md): files and directory trees, streamed
 * through stdin of remote writers, verified by a SHA-256 (SHA-1 on Server 2003) the host computes, resumable after a broken
 * connection (the host keeps `<name>.partial`; the next copy appends only what is missing), never a half file at the
 * final path.
 *
 * One copy, on a warm client: one listing (length + hash of every final file and partial), one script creating a
 * directory tree's directories, then ONE shell for all the writes (hostOps.ts withWriter). On PowerShell hosts one
 * command writes up to 100 files, packed into Sends filled to the envelope, and the host puts each in place once its
 * length and SHA-256 match (batchWriter.ts): a fraction of a request per small file. On cmd-only hosts up to 50
 * small files share one staging findstr split by for /f, then certutil decodes and hashes several per cmd line and
 * the renames are batched (cmdHost.ts); a large file has its own findstr. Files whose remote hash matches are skipped.
 */
import type { WinRMClient } from "../client.js";
import { CopyVerificationError } from "./errors.js";
import { hostOps, type FileJob } from "./hostOps.js";
import { hashFile, readLocalTree } from "./localFiles.js";
import { checkRemotePath, joinRemote, partialPath, PARTIAL_SUFFIX, windowsSeparators } from "./remotePaths.js";
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
  /**
   * Set on hosts that compute SHA-1 only (Server 2003: cmdHost.ts): the local file's SHA-1, which the host's matched
   * (a skipped file's final copy, or the verified partial), so a later remoteHashes can be compared like with like.
   */
  readonly sha1?: string;
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
export async function copyToRemote(client: WinRMClient, localPath: string, remotePathAsGiven: string, opts: CopyOptions = {}): Promise<CopyResult> {
  checkRemotePath(remotePathAsGiven);
  // One spelling on the host: cmd's dir prints `\` whatever the path was typed with, and the listing is matched by name.
  const remotePath = windowsSeparators(remotePathAsGiven);
  const tree = await readLocalTree(localPath);
  for (const f of tree.files) checkRemotePath(joinRemote(remotePath, f.relative), "remotePath");
  const totalBytes = tree.files.reduce((n, f) => n + f.size, 0);
  const signal = opts.signal;
  const ops = await hostOps(client, signal);

  // What the host has: one listing of the root (a directory tree lists its partials too).
  const remote = new Map<string, { length: number; hash: string }>();
  const wanted = new Set<string>();
  for (const f of tree.files) {
    const target = joinRemote(remotePath, f.relative).toLowerCase();
    wanted.add(target).add(partialPath(target));
  }
  const listed = await ops.tree(tree.kind === "file" ? [remotePath, partialPath(remotePath)] : [remotePath], remotePath, wanted);
  for (const l of listed) if (l.kind === "file") remote.set(l.path.toLowerCase(), { length: l.length, hash: l.hash });
  if (tree.kind === "directory") await ops.mkdirs(tree.directories.map((d) => joinRemote(remotePath, d)), remotePath);

  const results: (CopiedFile | undefined)[] = tree.files.map(() => undefined);
  const sha1Of = (hash: string): { sha1?: string } => (ops.algorithm === "sha1" ? { sha1: hash } : {});
  let progressed = 0;
  const progress = (file: string, delta: number): void => {
    progressed += delta;
    opts.onProgress?.({ file, bytesSent: progressed, totalBytes });
  };
  interface Pending extends FileJob {
    readonly index: number;
    readonly compared: string;
    readonly discardPartial: boolean;
  }
  const pending: Pending[] = [];
  for (const [index, f] of tree.files.entries()) {
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
      results[index] = { localPath: f.absolute, remotePath: target, bytes: f.size, sha256, ...sha1Of(compared), skipped: true, resumedFromByte: 0 };
      progress(target, f.size);
      continue;
    }
    let last = 0;
    progressed += decision.fromByte;
    pending.push({
      index,
      localPath: f.absolute,
      target,
      partial,
      size: f.size,
      fromByte: decision.fromByte,
      sha256,
      compared,
      discardPartial: decision.discardPartial,
      onSent: (n) => {
        progress(target, n - last);
        last = n;
      },
    });
  }
  // Partials of other copies go first (one script for all), so every write below appends to its own bytes only.
  const stale = pending.filter((j) => j.discardPartial).map((j) => j.partial);
  if (stale.length > 0) await ops.deleteFiles(stale, remotePath);

  let bytesSent = 0;
  if (pending.length > 0) {
    await ops.withWriter(async (write) => {
      for (let at = 0; at < pending.length; at += ops.group) {
        const group = pending.slice(at, at + ops.group);
        const outs = await write(group);
        const verified: { partial: string; target: string }[] = [];
        const bad: { job: Pending; actual: string; placed: boolean }[] = [];
        group.forEach((job, i) => {
          const out = outs[i];
          if (out === undefined) {
            // No word from the host on this file: not in place, and never reported as copied.
            bad.push({ job, actual: "", placed: false });
            return;
          }
          bytesSent += out.bytesSent;
          const ok = out.hash !== undefined && (out.length < 0 || out.length === job.size) && sameHash(out.hash, job.compared);
          if (!ok) {
            bad.push({ job, actual: out.hash ?? "", placed: out.placed });
            return;
          }
          if (!out.placed) verified.push({ partial: job.partial, target: job.target });
          results[job.index] = {
            localPath: job.localPath,
            remotePath: job.target,
            bytes: job.size,
            sha256: job.sha256,
            ...sha1Of(job.compared),
            skipped: false,
            resumedFromByte: job.fromByte,
          };
        });
        if (verified.length > 0) await ops.finalizeAll(verified);
        const first = bad[0];
        if (first !== undefined) {
          // Not put in place; the partials go so the next copy starts over instead of resuming from bad bytes.
          await ops.deleteFiles(bad.filter((b) => !b.placed).map((b) => b.job.partial), first.job.target).catch(() => undefined);
          throw new CopyVerificationError(first.job.target, ops.algorithm === "sha256" ? "SHA-256" : "SHA-1", first.job.compared, first.actual);
        }
      }
    });
  }
  const files = results.filter((r): r is CopiedFile => r !== undefined);
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
  const lines = await ops.tree([windowsSeparators(remotePath)], remotePath);
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
  checkRemotePath(remotePath, "remotePath", { root: true });
  await (await hostOps(client, opts.signal)).remove(windowsSeparators(remotePath));
}
