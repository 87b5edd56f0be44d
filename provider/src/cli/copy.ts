/**
 * `winrm-proxy cp LOCAL REMOTE`: copyToRemote (provider/src/copy) with progress on stderr (at most once a second and
 * at the end of each file, so a pipe is not flooded), the summary on stdout, or the result as JSON.
 */
import type { WinRMClient } from "../client.js";
import { copyToRemote, type CopyProgress } from "../copy/index.js";
import type { CopyFlags } from "./args.js";

function mib(n: number): string {
  return (n / (1024 * 1024)).toFixed(1);
}

export async function runCopy(client: WinRMClient, flags: CopyFlags): Promise<number> {
  const started = Date.now();
  let lastShown = 0;
  const showProgress = !flags.quiet && !flags.json;
  const onProgress = (p: CopyProgress): void => {
    const now = Date.now();
    if (now - lastShown < 1000 && p.bytesSent < p.totalBytes) return;
    lastShown = now;
    const pct = p.totalBytes === 0 ? 100 : Math.floor((p.bytesSent / p.totalBytes) * 100);
    process.stderr.write(`${pct}% ${mib(p.bytesSent)}/${mib(p.totalBytes)} MiB ${p.file}\n`);
  };
  const result = await copyToRemote(client, flags.local, flags.remote, showProgress ? { onProgress } : {});
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  }
  const seconds = Math.max((Date.now() - started) / 1000, 0.001);
  const copied = result.files.filter((f) => !f.skipped).length;
  const skipped = result.files.length - copied;
  const resumed = result.files.filter((f) => f.resumedFromByte > 0).length;
  // Hosts without SHA-2 (Server 2003) compared SHA-1: the files then carry it (copy/index.ts CopiedFile.sha1).
  const algorithm = result.files.some((f) => f.sha1 !== undefined) ? "SHA-1" : "SHA-256";
  if (!flags.quiet) {
    process.stderr.write(
      `copied ${copied} file(s), ${skipped} already in place${resumed > 0 ? `, ${resumed} resumed` : ""}; ` +
        `${mib(result.bytesSent)} MiB sent in ${seconds.toFixed(1)} s, verified by ${algorithm} on the host\n`,
    );
  }
  return 0;
}
