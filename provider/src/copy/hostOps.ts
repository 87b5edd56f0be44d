/**
 * The steps of a copy on one kind of host (hostKind.ts): PowerShell (psScripts.ts, writer.ts) or cmd alone
 * (cmdHost.ts). index.ts drives them the same way for both.
 */
import type { WinRMClient } from "../client.js";
import { cmdHashAlgorithm, cmdMkdirs, cmdRemove, cmdRename, cmdTree, cmdWriteFile } from "./cmdHost.js";
import { writerKindFor } from "./hostKind.js";
import { remoteTree, runScript } from "./psRunner.js";
import { deleteFileScript, finalizeScript, mkdirScript, parseTreeOutput, removeScript, type TreeLine } from "./psScripts.js";
import { writeThroughStdin, type WriteRequest } from "./writer.js";

export interface HostOps {
  /** The hash the host computes (and the local one is compared with). */
  readonly algorithm: "sha256" | "sha1";
  /** Whether a partial file can be appended to (false: a broken copy is sent again whole). */
  readonly resumes: boolean;
  tree(paths: readonly string[], remotePath: string): Promise<TreeLine[]>;
  mkdirs(dirs: readonly string[], remotePath: string): Promise<void>;
  /** Stream the file into req.partial; the host's hash (and length, -1 when unknown) of the partial after it. */
  write(req: WriteRequest): Promise<{ bytesSent: number; hash: string | undefined; length: number }>;
  finalize(partial: string, target: string): Promise<void>;
  deleteFile(path: string, remotePath: string): Promise<void>;
  remove(path: string): Promise<void>;
}

export async function hostOps(client: WinRMClient, signal: AbortSignal | undefined): Promise<HostOps> {
  const id = await client.identify(signal !== undefined ? { signal } : {});
  if (writerKindFor(id) === "powershell") {
    return {
      algorithm: "sha256",
      resumes: true,
      tree: (paths, remotePath) => remoteTree(client, paths, remotePath, signal),
      mkdirs: async (dirs, remotePath) => {
        // The script travels as -EncodedCommand on a cmd.exe line (8191 characters at most; base64 of UTF-16 is
        // 8/3 characters per script character): a few hundred directories per script.
        for (let i = 0; i < dirs.length; ) {
          let n = 0;
          let chars = 0;
          while (i + n < dirs.length && (n === 0 || chars + (dirs[i + n]?.length ?? 0) + 50 < 2400)) chars += (dirs[i + n++]?.length ?? 0) + 50;
          await runScript(client, mkdirScript(dirs.slice(i, i + n)), remotePath, "creating directories", signal);
          i += n;
        }
      },
      write: async (req) => {
        const out = await writeThroughStdin(client, req);
        const line = parseTreeOutput(out.stdout).find((l) => l.kind === "file");
        return { bytesSent: out.bytesSent, hash: line?.kind === "file" ? line.hash : undefined, length: line?.kind === "file" ? line.length : -1 };
      },
      finalize: async (partial, target) => {
        await runScript(client, finalizeScript(partial, target), target, "renaming into place", signal);
      },
      deleteFile: async (path, remotePath) => {
        await runScript(client, deleteFileScript(path), remotePath, "removing the unverified file", signal);
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
    tree: (paths, remotePath) => cmdTree(client, paths, alg, remotePath, signal),
    mkdirs: (dirs, remotePath) => cmdMkdirs(client, dirs, remotePath, signal),
    write: async (req) => ({ ...(await cmdWriteFile(client, req, alg)), length: -1 }),
    finalize: (partial, target) => cmdRename(client, partial, target, signal),
    deleteFile: (path, remotePath) => cmdRemove(client, path, remotePath, signal),
    remove: (path) => cmdRemove(client, path, path, signal),
  };
}
