/**
 * The cmd-only writer, for WinRM 1.1 hosts (hostKind.ts: Windows XP / Server 2003 with KB936059, Vista / 2008
 * without WMF), where PowerShell is absent or 1.0. Only what those systems ship is used:
 * - the writer is ONE command per file, `findstr /r "^" > FILE.b64`, fed base64 over stdin in many Sends: findstr
 *   copies every line of a pipe as it comes; its piped-input line limit (8191 bytes) is why each line is 64
 *   characters, the PEM shape certutil itself writes; then `certutil -f -decode` (certutil.exe ships with Server
 *   2003 and later) turns it into the partial file;
 * - the hash is `certutil -hashfile FILE SHA256` on NT 6 (Vista / 2008); Server 2003's CryptoAPI has no SHA-2
 *   without hotfix KB938397, so there the host computes SHA-1 (`-hashfile FILE`, its default) and the local file's
 *   SHA-1 is compared; remoteHashes then gives `sha1:<hex>` values (localHashes(path, "sha1") matches them);
 * - no mid-file resume: the staged base64 is decoded only once it is complete, so a copy cut off is sent again
 *   whole (files already in place are still skipped by hash); the final path only ever gets a verified file
 *   (`move /y` after the hash matched).
 * Paths are written in double quotes. cmd expands %VAR% even inside quotes and has no escape there, and `"` cannot
 * appear in a Windows name, so a remote path with `%` is refused on these hosts (ConfigurationError on remotePath).
 */
import type { IdentifyResult, WinRMClient } from "../client.js";
import { ConfigurationError } from "../errors.js";
import { decodeOutput } from "../shell/codePage.js";
import { encodeStdinLines, payloadPerSend } from "./chunking.js";
import { CopyRemoteError } from "./errors.js";
import { firstLines } from "./psRunner.js";
import type { TreeLine } from "./psScripts.js";
import { sendFile } from "./sendFile.js";
import type { SharedShell } from "./sharedShell.js";

/** One file for the cmd writer. */
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

/** Payload bytes per base64 line: 64 characters, as certutil -encode writes them. */
const LINE_BYTES = 48;
/** cmd.exe's command line limit is 8191 characters; batched lines stay well below it. */
const MAX_LINE = 7000;

export type CmdHashAlgorithm = "SHA256" | "SHA1";

export function cmdHashAlgorithm(id: IdentifyResult): CmdHashAlgorithm {
  const major = Number((id.os ?? "").split(".")[0]);
  return Number.isInteger(major) && major < 6 ? "SHA1" : "SHA256";
}

export function cmdQuote(path: string, field = "remotePath"): string {
  if (path.includes("%")) {
    throw new ConfigurationError(field, `${path} contains %, which cmd.exe would expand on this host (no PowerShell); rename it without %`);
  }
  return `"${path}"`;
}

async function runCmd(client: WinRMClient, line: string, remotePath: string, step: string, signal: AbortSignal | undefined, okCodes: readonly number[] = [0]): Promise<string> {
  const r = await client.run(line, signal !== undefined ? { signal } : {});
  if (!okCodes.includes(r.exitCode)) throw new CopyRemoteError(remotePath, step, r.exitCode, firstLines(`${r.stderr}${r.stdout}`));
  return r.stdout;
}

/** Lines joined by `sep` (" & ") in batches below MAX_LINE. */
export function batches(parts: readonly string[], sep = " & "): string[] {
  const out: string[] = [];
  let cur = "";
  for (const p of parts) {
    if (cur !== "" && cur.length + p.length + sep.length > MAX_LINE) {
      out.push(cur);
      cur = "";
    }
    cur = cur === "" ? p : `${cur}${sep}${p}`;
  }
  if (cur !== "") out.push(cur);
  return out;
}

/** certutil's hex line (bytes separated by spaces up to Windows 8, run together later), found by shape, not by its localized header. */
function hexOf(line: string): string | undefined {
  const hex = line.replace(/ /g, "");
  if (hex.length !== 40 && hex.length !== 64) return undefined;
  for (let i = 0; i < hex.length; i++) {
    const c = hex.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102))) return undefined;
  }
  return hex.toUpperCase();
}

/** Hashes of files, by `echo #i` markers then certutil's output; a file certutil cannot read is absent. */
async function hashFiles(client: WinRMClient, files: readonly string[], alg: CmdHashAlgorithm, remotePath: string, signal: AbortSignal | undefined): Promise<(string | undefined)[]> {
  const parts = files.map((f, i) => `echo #${i}& certutil -hashfile ${cmdQuote(f)}${alg === "SHA256" ? " SHA256" : ""}`);
  const result: (string | undefined)[] = files.map(() => undefined);
  for (const line of batches(parts)) {
    const out = await runCmd(client, line, remotePath, "hashing", signal, [0, ...[1, -1, -2147024894, -2146893816]]);
    let index: number | undefined;
    for (const raw of out.split("\n")) {
      const l = raw.trim();
      if (l.startsWith("#") && /^#\d+$/.test(l)) index = Number(l.slice(1));
      else if (index !== undefined && result[index] === undefined) {
        const h = hexOf(l);
        if (h !== undefined) result[index] = h;
      }
    }
  }
  return result;
}

/** The cmd counterpart of psScripts.ts TREE (lengths unknown: -1). */
export async function cmdTree(client: WinRMClient, paths: readonly string[], alg: CmdHashAlgorithm, remotePath: string, signal?: AbortSignal): Promise<TreeLine[]> {
  const out: TreeLine[] = [];
  for (const p of paths) {
    const q = cmdQuote(p);
    const isDir = (await runCmd(client, `if exist ${cmdQuote(`${p.replace(/\\$/, "")}\\`)} echo D`, remotePath, "listing", signal)).includes("D");
    if (isDir) {
      out.push({ kind: "dir", path: p });
      const listed = await runCmd(client, `dir /s /b /a-d ${q}`, remotePath, "listing", signal, [0, 1]);
      const files = listed.split("\n").map((l) => l.replace(/\r$/, "")).filter((l) => l !== "");
      const hashes = await hashFiles(client, files, alg, remotePath, signal);
      files.forEach((f, i) => {
        const h = hashes[i];
        if (h !== undefined) out.push({ kind: "file", path: f, length: -1, hash: h });
      });
      continue;
    }
    const [h] = await hashFiles(client, [p], alg, remotePath, signal);
    out.push(h === undefined ? { kind: "absent", path: p } : { kind: "file", path: p, length: -1, hash: h });
  }
  return out;
}

export async function cmdMkdirs(client: WinRMClient, dirs: readonly string[], remotePath: string, signal?: AbortSignal): Promise<void> {
  // mkdir with command extensions (the default) creates the parents too.
  const parts = dirs.map((d) => `if not exist ${cmdQuote(`${d.replace(/\\$/, "")}\\`)} mkdir ${cmdQuote(d)}`);
  for (const line of batches(parts)) await runCmd(client, line, remotePath, "creating directories", signal);
}

export async function cmdRemove(client: WinRMClient, path: string, remotePath: string, signal?: AbortSignal): Promise<void> {
  await runCmd(client, `if exist ${cmdQuote(`${path.replace(/\\$/, "")}\\`)} rd /s /q ${cmdQuote(path)}`, remotePath, "removing", signal);
  await runCmd(client, `if exist ${cmdQuote(path)} del /f /q ${cmdQuote(path)}`, remotePath, "removing", signal);
}

/** Delete files (no error when absent), several per line. */
export async function cmdDeleteFiles(client: WinRMClient, paths: readonly string[], remotePath: string, signal?: AbortSignal): Promise<void> {
  const parts = paths.map((p) => `if exist ${cmdQuote(p)} del /f /q ${cmdQuote(p)}`);
  for (const line of batches(parts)) await runCmd(client, line, remotePath, "removing", signal);
}

/** Put verified partials in place: `move /y` lines joined by && (the first failure stops the line with its code). */
export async function cmdRenameAll(client: WinRMClient, pairs: readonly { partial: string; target: string }[], signal?: AbortSignal): Promise<void> {
  const parts = pairs.map((x) => `move /y ${cmdQuote(x.partial)} ${cmdQuote(x.target)} > nul`);
  for (const line of batches(parts, " && ")) await runCmd(client, line, pairs[0]?.target ?? "", "renaming into place", signal);
}

/**
 * Stream one file through findstr into FILE.b64, decode it into `partial`, and hash it there: one command in the
 * shell the whole copy shares (Command, Sends, Receive; the Signal terminate before its next Command: sharedShell.ts).
 */
export async function cmdWriteFile(
  client: WinRMClient,
  shell: SharedShell,
  ctx: { codePage: number; envelopeSize: number; signal: AbortSignal | undefined },
  req: WriteRequest,
  alg: CmdHashAlgorithm,
): Promise<{ bytesSent: number; hash: string | undefined }> {
  const p = cmdQuote(req.partial);
  const b64 = cmdQuote(`${req.partial}.b64`);
  const hash = `echo #0& certutil -hashfile ${p}${alg === "SHA256" ? " SHA256" : ""}`;
  if (req.size === 0) {
    const out = await runCmd(client, `type nul > ${p} & ${hash}`, req.remotePath, "writing", req.signal, [0, 1, -2147024894]);
    return { bytesSent: 0, hash: out.split("\n").map((l) => hexOf(l.trim())).find((h) => h !== undefined) };
  }
  const line = `findstr /r "^" > ${b64} & certutil -f -decode ${b64} ${p} > nul & del /q ${b64} & ${hash}`;
  const chunk = payloadPerSend(ctx.envelopeSize, LINE_BYTES);
  const id = await shell.command(line, []);
  const { bytesSent: sent } = await sendFile(shell, id, {
    localPath: req.localPath,
    fromByte: 0,
    size: req.size,
    chunk,
    encode: (piece) => encodeStdinLines(piece, LINE_BYTES),
    signal: ctx.signal,
    onSent: req.onSent,
  });
  const out: Buffer[] = [];
  let done = false;
  while (!done) {
    const r = await shell.receive(id);
    for (const s of r.streams) if (s.name === "stdout") out.push(s.data);
    done = r.done;
  }
  const text = decodeOutput(Buffer.concat(out), ctx.codePage);
  return { bytesSent: sent, hash: text.split("\n").map((l) => hexOf(l.trim())).find((h) => h !== undefined) };
}
