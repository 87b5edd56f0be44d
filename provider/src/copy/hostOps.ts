/**
 * The steps of a copy on one kind of host (hostKind.ts): PowerShell (psScripts.ts, batchWriter.ts) or cmd alone
 * (cmdHost.ts). index.ts drives them the same way for both. The writes of one copy share ONE shell (withWriter):
 * Create and Delete once, not per file.
 */
import type { WinRMClient } from "../client.js";
import { writeBatch } from "./batchWriter.js";
import { cmdDeleteFiles, cmdHashAlgorithm, cmdStageDir, cmdWriteBatch, cmdMkdirs, cmdRemove, cmdRenameAll, cmdTree, cmdWriteFile } from "./cmdHost.js";
import { writerKindFor } from "./hostKind.js";
import { remoteTree, runScript } from "./psRunner.js";
import { SharedShell } from "./sharedShell.js";
import { deleteFilesScript, finalizeAllScript, mkdirScript, removeScript, type TreeLine } from "./psScripts.js";

/** One file to write: from `fromByte` of the local file to `<target>.partial`, then into place once verified. */
export interface FileJob {
  readonly localPath: string;
  readonly target: string;
  readonly partial: string;
  readonly size: number;
  readonly fromByte: number;
  /** Upper-case hex SHA-256 of the local file. */
  readonly sha256: string;
  readonly onSent?: ((bytes: number) => void) | undefined;
}

export interface WriteOutcome {
  /** The host's hash (in HostOps.algorithm) of what it wrote; undefined when it printed none. */
  readonly hash: string | undefined;
  /** The host's length of it, -1 when it does not say (cmd). */
  readonly length: number;
  /** The host already put it at the target (it checked length and hash itself: PowerShell hosts). */
  readonly placed: boolean;
  readonly bytesSent: number;
}

/** Files up to this size go through the cmd writer's shared staging (cmdHost.ts cmdWriteBatch). */
const CMD_BATCH_MAX_FILE = 1024 * 1024;

export type Writer = (jobs: readonly FileJob[]) => Promise<WriteOutcome[]>;

export interface HostOps {
  /** The hash the host computes (and the local one is compared with). */
  readonly algorithm: "sha256" | "sha1";
  /** Whether a partial file can be appended to (false: a broken copy is sent again whole). */
  readonly resumes: boolean;
  /** Files per write call: what is verified and put in place together. */
  readonly group: number;
  /**
   * Lengths and hashes under `paths`. `wanted` (lower-case full paths): the files the caller asks about; a host that
   * hashes file by file (cmd) hashes only those, so a destination holding many other files costs no more.
   */
  tree(paths: readonly string[], remotePath: string, wanted?: ReadonlySet<string>): Promise<TreeLine[]>;
  mkdirs(dirs: readonly string[], remotePath: string): Promise<void>;
  /** One shell for all the writes `body` makes. */
  withWriter<T>(body: (write: Writer) => Promise<T>): Promise<T>;
  finalizeAll(pairs: readonly { partial: string; target: string }[]): Promise<void>;
  deleteFiles(paths: readonly string[], remotePath: string): Promise<void>;
  remove(path: string): Promise<void>;
}

/**
 * Items in runs whose scripts stay within what a cmd.exe line holds: a script travels as -EncodedCommand (8191
 * characters at most; base64 of UTF-16 is 8/3 characters per script character), so about 2,400 script characters.
 */
function scriptRuns<T>(items: readonly T[], charsOf: (item: T) => number): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let chars = 0;
  for (const item of items) {
    const c = charsOf(item);
    if (cur.length > 0 && chars + c >= 2400) {
      out.push(cur);
      cur = [];
      chars = 0;
    }
    cur.push(item);
    chars += c;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

export async function hostOps(client: WinRMClient, signal: AbortSignal | undefined): Promise<HostOps> {
  const id = await client.identify(signal !== undefined ? { signal } : {});
  const streaming = signal !== undefined ? { signal } : {};
  if (writerKindFor(id) === "powershell") {
    return {
      algorithm: "sha256",
      resumes: true,
      // The host's output (one short line per file) waits unread while stdin is sent: kept small.
      group: 100,
      tree: (paths, remotePath) => remoteTree(client, paths, remotePath, signal),
      mkdirs: async (dirs, remotePath) => {
        for (const run of scriptRuns(dirs, (d) => d.length + 50)) await runScript(client, mkdirScript(run), remotePath, "creating directories", signal);
      },
      withWriter: (body) =>
        client.withStreamingShell(
          (shell, ctx) => {
            const one = new SharedShell(shell, ctx.signal);
            return body(async (jobs) =>
              (await writeBatch(one, ctx, jobs, jobs[0]?.target ?? "")).map((l, i) => ({
                hash: l.hash,
                length: l.length,
                placed: l.moved,
                bytesSent: (jobs[i]?.size ?? 0) - (jobs[i]?.fromByte ?? 0),
              })),
            );
          },
          streaming,
        ),
      finalizeAll: async (pairs) => {
        for (const run of scriptRuns(pairs, (x) => x.partial.length + x.target.length + 90)) {
          await runScript(client, finalizeAllScript(run), run[0]?.target ?? "", "renaming into place", signal);
        }
      },
      deleteFiles: async (paths, remotePath) => {
        for (const run of scriptRuns(paths, (p) => p.length + 40)) await runScript(client, deleteFilesScript(run), remotePath, "removing the unverified file", signal);
      },
      remove: async (path) => {
        await runScript(client, removeScript(path), path, "removing", signal);
      },
    };
  }
  const alg = cmdHashAlgorithm(id);
  return {
    algorithm: alg === "SHA256" ? "sha256" : "sha1",
    resumes: false,
    group: 50,
    tree: (paths, remotePath, wanted) => cmdTree(client, paths, alg, remotePath, signal, wanted),
    mkdirs: (dirs, remotePath) => cmdMkdirs(client, dirs, remotePath, signal),
    withWriter: (body) =>
      client.withStreamingShell(
        (shell, ctx) => {
          const one = new SharedShell(shell, ctx.signal);
          return body(async (jobs) => {
            const out: (WriteOutcome | undefined)[] = jobs.map(() => undefined);
            // Small files share one staging findstr (cmdWriteBatch); a large one has its own findstr, which
            // decodes it without the staged copy and the per-line appends of for /f.
            const small = jobs.map((j, i) => ({ j, i })).filter(({ j }) => j.size <= CMD_BATCH_MAX_FILE);
            const stage = small.length > 1 ? cmdStageDir(small.map((x) => x.j)) : undefined;
            if (stage !== undefined) {
              const { hashes } = await cmdWriteBatch(client, one, ctx, small.map((x) => x.j), stage, alg);
              small.forEach(({ j, i }, k) => (out[i] = { hash: hashes[k], length: -1, placed: false, bytesSent: j.size }));
            }
            for (const [i, j] of jobs.entries()) {
              if (out[i] !== undefined) continue;
              const w = await cmdWriteFile(client, one, ctx, { localPath: j.localPath, size: j.size, partial: j.partial, remotePath: j.target, fromByte: 0, fresh: true, signal: ctx.signal, ...(j.onSent !== undefined ? { onSent: j.onSent } : {}) }, alg);
              out[i] = { hash: w.hash, length: -1, placed: false, bytesSent: w.bytesSent };
            }
            return out.map((o) => o ?? { hash: undefined, length: -1, placed: false, bytesSent: 0 });
          });
        },
        streaming,
      ),
    finalizeAll: (pairs) => cmdRenameAll(client, pairs, signal),
    deleteFiles: (paths, remotePath) => cmdDeleteFiles(client, paths, remotePath, signal),
    remove: (path) => cmdRemove(client, path, path, signal),
  };
}
