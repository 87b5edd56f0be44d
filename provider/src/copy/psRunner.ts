/** Run one copy script (psScripts.ts) in the client's kept shell and read its output; a failure names the remote path. */
import type { WinRMClient } from "../client.js";
import { CopyRemoteError } from "./errors.js";
import { parseTreeOutput, treeScript, type TreeLine } from "./psScripts.js";

export async function runScript(client: WinRMClient, script: string, remotePath: string, step: string, signal?: AbortSignal): Promise<string> {
  const r = await client.run(script, { shell: "powershell", ...(signal !== undefined ? { signal } : {}) });
  if (r.exitCode !== 0) throw new CopyRemoteError(remotePath, step, r.exitCode, firstLines(r.stderr));
  return r.stdout;
}

export async function remoteTree(client: WinRMClient, paths: readonly string[], remotePath: string, signal?: AbortSignal): Promise<TreeLine[]> {
  return parseTreeOutput(await runScript(client, treeScript(paths), remotePath, "listing and hashing", signal));
}

/** The first lines of the host's error text: enough to act on, bounded. */
export function firstLines(text: string, max = 600): string {
  const t = text.trim();
  return t.length > max ? `${t.slice(0, max)}...` : t;
}
