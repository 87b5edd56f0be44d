/**
 * The copy engine CopyToRemote drives (provider/src/copy: streamed upload through a remote writer's stdin, verified
 * by a hash computed on the host, resumable), seen through the four calls the resource needs. Tests replace it with
 * `setCopyEngine` to count calls or fail on purpose; the default is the real engine.
 */
import type { WinRMClient } from "../client.js";
import * as copy from "../copy/index.js";

/** One file of a copy (provider/src/copy/index.ts CopiedFile: sha1 set when the host compared SHA-1, Server 2003). */
export type CopiedFileResult = copy.CopiedFile;

export interface CopyEngine {
  copyToRemote(
    client: WinRMClient,
    localPath: string,
    remotePath: string,
    opts?: copy.CopyOptions,
  ): Promise<copy.CopyResult>;
  /**
   * sha256 of every file under remotePath, keyed by relative path ("" for a single file); undefined when absent.
   * `sha1:<hex>` values on a host that computes SHA-1 only.
   */
  remoteHashes(client: WinRMClient, remotePath: string): Promise<Map<string, string> | undefined>;
  /** sha256 of every file under localPath, keyed by relative path ("" for a single file). */
  localHashes(localPath: string): Promise<Map<string, string>>;
  removeRemote(client: WinRMClient, remotePath: string): Promise<void>;
}

const realEngine: CopyEngine = copy;
let engine: CopyEngine = realEngine;

export function copyEngine(): CopyEngine {
  return engine;
}

/** Replace the engine (tests); returns the previous one. `undefined` puts the real one back. */
export function setCopyEngine(e: CopyEngine | undefined): CopyEngine {
  const previous = engine;
  engine = e ?? realEngine;
  return previous;
}
