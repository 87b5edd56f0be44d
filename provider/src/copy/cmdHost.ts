/** The cmd-only writer for WinRM 1.1 hosts (hostKind.ts). */
import type { WinRMClient } from "../client.js";
import { CopyRemoteError } from "./errors.js";
import type { TreeLine } from "./psScripts.js";
import type { WriteRequest } from "./writer.js";

function unsupported(remotePath: string): never {
  throw new CopyRemoteError(remotePath, "copying to a cmd-only (WinRM 1.1) host", 1, "not implemented yet");
}

export async function cmdTree(_client: WinRMClient, _paths: readonly string[], remotePath: string, _signal?: AbortSignal): Promise<TreeLine[]> {
  return unsupported(remotePath);
}
export async function cmdMkdirs(_client: WinRMClient, _dirs: readonly string[], remotePath: string, _signal?: AbortSignal): Promise<void> {
  unsupported(remotePath);
}
export async function cmdRemove(_client: WinRMClient, _path: string, remotePath: string, _signal?: AbortSignal, _renameFrom?: string): Promise<void> {
  unsupported(remotePath);
}
export async function cmdCopyFile(_client: WinRMClient, req: WriteRequest): Promise<{ bytesSent: number; line: TreeLine | undefined }> {
  return unsupported(req.remotePath);
}
