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
import { open } from "node:fs/promises";
import { encodeStdinLines, payloadPerSend, stdinPerSend } from "./chunking.js";
import { joinRemote, MAX_REMOTE_PATH, remoteParent } from "./remotePaths.js";
import { CopyRemoteError } from "./errors.js";
import { HostOutput, MAX_ERROR_BYTES, maxWriterOutput } from "./hostOutput.js";
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
function batches(parts: readonly string[], sep = " & "): string[] {
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
  if (line.length > 200) return undefined;
  const hex = line.replace(/ /g, "");
  if (hex.length !== 40 && hex.length !== 64) return undefined;
  for (let i = 0; i < hex.length; i++) {
    const c = hex.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102))) return undefined;
  }
  return hex.toUpperCase();
}

/**
 * Exit codes of a line of certutil calls that still printed what it could: 1 and -1 (an error of the last one), the
 * HRESULTs of a missing file (0x80070002) and of an algorithm CryptoAPI lacks (NTE_BAD_ALGID, 0x80090008).
 */
const CERTUTIL_CODES: readonly number[] = [0, 1, -1, -2147024894, -2146893816];

/** The index of an `echo #<i>` marker line, or undefined (a scan: no expression over host output). */
function markerIndex(line: string): number | undefined {
  if (line.length < 2 || line.length > 8 || line[0] !== "#") return undefined;
  for (let i = 1; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return Number(line.slice(1));
}

/**
 * certutil's hashes in the output of a line of `echo #<i>& certutil -hashfile` calls: the first hash-shaped line after
 * marker i is file i's (a file certutil could not read prints none; an index outside `into` is ignored).
 */
export function readMarkedHashes(out: string, into: (string | undefined)[]): void {
  let index: number | undefined;
  for (const raw of out.split("\n")) {
    const line = raw.trim();
    const marker = markerIndex(line);
    if (marker !== undefined) index = marker < into.length ? marker : undefined;
    else if (index !== undefined && into[index] === undefined) {
      const h = hexOf(line);
      if (h !== undefined) into[index] = h;
    }
  }
}

/** Hashes of files, by `echo #i` markers then certutil's output; a file certutil cannot read is absent. */
async function hashFiles(client: WinRMClient, files: readonly string[], alg: CmdHashAlgorithm, remotePath: string, signal: AbortSignal | undefined): Promise<(string | undefined)[]> {
  const parts = files.map((f, i) => `echo #${i}& certutil -hashfile ${cmdQuote(f)}${alg === "SHA256" ? " SHA256" : ""}`);
  const result: (string | undefined)[] = files.map(() => undefined);
  for (const line of batches(parts)) {
    readMarkedHashes(await runCmd(client, line, remotePath, "hashing", signal, CERTUTIL_CODES), result);
  }
  return result;
}

/** The cmd counterpart of psScripts.ts TREE (lengths unknown: -1). */
export async function cmdTree(
  client: WinRMClient,
  paths: readonly string[],
  alg: CmdHashAlgorithm,
  remotePath: string,
  signal?: AbortSignal,
  wanted?: ReadonlySet<string>,
): Promise<TreeLine[]> {
  const out: TreeLine[] = [];
  for (const p of paths) {
    const q = cmdQuote(p);
    const isDir = (await runCmd(client, `if exist ${cmdQuote(`${p.replace(/\\$/, "")}\\`)} echo D`, remotePath, "listing", signal)).includes("D");
    if (isDir) {
      out.push({ kind: "dir", path: p });
      const listed = await runCmd(client, `dir /s /b /a-d ${q}`, remotePath, "listing", signal, [0, 1]);
      // A name holding % cannot be quoted for cmd (cmdQuote): no copy writes one here, so it is left unlisted rather
      // than failing the whole listing.
      const files = listed
        .split("\n")
        .map((l) => l.replace(/\r$/, ""))
        .filter((l) => l !== "" && !l.includes("%") && (wanted === undefined || wanted.has(l.toLowerCase())));
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
  // mkdir with command extensions (the default) creates the parents too. Each `if` in parentheses: an if's body
  // runs to the end of the line, `&` included, so unbracketed the first existing directory would skip the rest.
  const parts = dirs.map((d) => `(if not exist ${cmdQuote(`${d.replace(/\\$/, "")}\\`)} mkdir ${cmdQuote(d)})`);
  for (const line of batches(parts)) await runCmd(client, line, remotePath, "creating directories", signal);
}

export async function cmdRemove(client: WinRMClient, path: string, remotePath: string, signal?: AbortSignal): Promise<void> {
  await runCmd(client, `if exist ${cmdQuote(`${path.replace(/\\$/, "")}\\`)} rd /s /q ${cmdQuote(path)}`, remotePath, "removing", signal);
  await runCmd(client, `if exist ${cmdQuote(path)} del /f /q ${cmdQuote(path)}`, remotePath, "removing", signal);
}

/** Delete files (no error when absent), several per line. */
export async function cmdDeleteFiles(client: WinRMClient, paths: readonly string[], remotePath: string, signal?: AbortSignal): Promise<void> {
  const parts = paths.map((p) => `(if exist ${cmdQuote(p)} del /f /q ${cmdQuote(p)})`);
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
  const out = new HostOutput(maxWriterOutput(1), `writing ${req.remotePath}`);
  let done = false;
  while (!done) {
    const r = await shell.receive(id);
    for (const s of r.streams) if (s.name === "stdout") out.push(s.data);
    done = r.done;
  }
  const text = decodeOutput(out.bytes(), ctx.codePage);
  return { bytesSent: sent, hash: text.split("\n").map((l) => hexOf(l.trim())).find((h) => h !== undefined) };
}

/** Base64 characters per staged line (findstr's piped-input line limit is 8191 bytes; certutil takes any length). */
const STAGE_LINE_CHARS = 3000;

/** The staging command: every job's `<index> <base64>` lines through one findstr, split by `for /f`. */
async function stageFiles(
  shell: SharedShell,
  ctx: { codePage: number; envelopeSize: number; signal: AbortSignal | undefined },
  jobs: readonly CmdBatchJob[],
  line: string,
  stage: string,
): Promise<void> {
  const id = await shell.command(line, []);
  const budget = stdinPerSend(ctx.envelopeSize);
  let pending: string[] = [];
  let used = 0;
  const touched = new Map<CmdBatchJob, number>();
  const flush = async (end: boolean): Promise<void> => {
    await shell.send(id, Buffer.from(pending.join(""), "latin1"), end);
    pending = [];
    used = 0;
    for (const [j, n] of touched) j.onSent?.(n);
    touched.clear();
  };
  for (const [i, j] of jobs.entries()) {
    if (j.size === 0) continue;
    const fh = await open(j.localPath, "r");
    try {
      const piece = Buffer.allocUnsafe((STAGE_LINE_CHARS / 4) * 3);
      let sent = 0;
      for (let off = 0; off < j.size; ) {
        const { bytesRead } = await fh.read(piece, 0, Math.min(piece.length, j.size - off), off);
        if (bytesRead === 0) break;
        const text = `${i} ${piece.subarray(0, bytesRead).toString("base64")}\r\n`;
        if (used + text.length > budget) await flush(false);
        pending.push(text);
        used += text.length;
        off += bytesRead;
        sent += bytesRead;
        touched.set(j, sent);
      }
    } finally {
      await fh.close();
    }
  }
  await flush(true);
  let exitCode: number | undefined;
  const err = new HostOutput(MAX_ERROR_BYTES);
  while (exitCode === undefined) {
    const r = await shell.receive(id);
    for (const s of r.streams) if (s.name === "stderr") err.push(s.data);
    if (r.done) exitCode = r.exitCode ?? 0;
  }
  if (exitCode !== 0) throw new CopyRemoteError(jobs[0]?.target ?? stage, "staging", exitCode, firstLines(decodeOutput(err.bytes(), ctx.codePage)));
}

/** A job of the cmd batch writer (hostOps.ts FileJob's fields it needs). */
export interface CmdBatchJob {
  readonly localPath: string;
  readonly target: string;
  readonly partial: string;
  readonly size: number;
  readonly onSent?: ((bytes: number) => void) | undefined;
}

/** Where a batch stages its files: `~copy.partial` beside the first target (its `.partial` names keep it out of listings). */
export function cmdStageDir(jobs: readonly CmdBatchJob[]): string | undefined {
  const first = jobs[0];
  if (first === undefined) return undefined;
  const stage = joinRemote(remoteParent(first.target), "~copy.partial");
  return `${stage}\\${jobs.length - 1}.partial`.length <= MAX_REMOTE_PATH ? stage : undefined;
}

/**
 * Many files through ONE findstr: stdin carries `<index> <base64>` lines of every file (packed into Sends filled to
 * the envelope), findstr stages them into one file, `for /f` appends each line's base64 to `<stage>\<index>.partial`;
 * then lines of `certutil -decode` into each `.partial` + `certutil -hashfile` (under MAX_LINE each), and the stage
 * is removed. The host's hash of each partial, in order (undefined when it printed none).
 */
export async function cmdWriteBatch(
  client: WinRMClient,
  shell: SharedShell,
  ctx: { codePage: number; envelopeSize: number; signal: AbortSignal | undefined },
  jobs: readonly CmdBatchJob[],
  stage: string,
  alg: CmdHashAlgorithm,
): Promise<{ hashes: (string | undefined)[]; bytesSent: number }> {
  const all = cmdQuote(`${stage}\\all.partial`);
  // %a is the loop's variable (cmdQuote refuses % in paths; the stage path itself has none).
  const split = `for /f "usebackq tokens=1,*" %a in (${all}) do @>>"${stage}\\%a.partial" echo %b`;
  // A stage left by a copy cut off is removed first: its files would be appended to.
  const line = `(if exist ${cmdQuote(`${stage}\\`)} rd /s /q ${cmdQuote(stage)}) & mkdir ${cmdQuote(stage)} && findstr /r "^" > ${all} && ${split}`;
  if (jobs.some((j) => j.size > 0)) await stageFiles(shell, ctx, jobs, line, stage);
  // Decode each staged file into its partial (an empty file: an empty partial) and hash it, then drop the stage.
  const algArg = alg === "SHA256" ? " SHA256" : "";
  const parts = jobs.map((j, i) => {
    const p = cmdQuote(j.partial);
    const make = j.size === 0 ? `type nul > ${p}` : `certutil -f -decode ${cmdQuote(`${stage}\\${i}.partial`)} ${p} > nul`;
    return `${make} & echo #${i}& certutil -hashfile ${p}${algArg}`;
  });
  const hashes: (string | undefined)[] = jobs.map(() => undefined);
  const lines = batches([...parts, `rd /s /q ${cmdQuote(stage)}`]);
  for (const l of lines) {
    readMarkedHashes(await runCmd(client, l, jobs[0]?.target ?? stage, "decoding and hashing", ctx.signal, CERTUTIL_CODES), hashes);
  }
  return { hashes, bytesSent: jobs.reduce((n, j) => n + j.size, 0) };
}
