/**
 * The file-system statements of the emulated PowerShell: what a file copy runs (PowerShell 2.0 over .NET's
 * System.IO and SHA256; provider/src/copy/psScripts.ts is the client side). Paths come from variables ($p, $f)
 * assigned single-quoted literals by the interpreter (powershell.ts); each statement below is recognised by its
 * whole text (whitespace runs count as one space) and then really acts on the host's file system (fileSystem.ts).
 * Statements outside this set fall through to the interpreter, which refuses an unknown command as PowerShell does.
 * .NET exceptions surface as PowerShell 2.0 prints them (MethodInvocationException, "Exception calling ...").
 */
import { createHash } from "node:crypto";
import { decodeStrictBase64 } from "../../wire/base64.js";
import { FsError, type HostFileSystem } from "./fileSystem.js";
import { BATCH_WRITER, runBatchWriter } from "./psCopyBatch.js";
import type { StdinStream } from "./stdinStream.js";

export interface PsFileContext {
  readonly fs: HostFileSystem;
  /** A string variable of the script ($p, $f), undefined when unset or not a string. */
  readonly variable: (name: string) => string | undefined;
  /** Stdin as it arrives (a streaming command), or the whole stdin text already read. */
  readonly stdin: StdinStream | string;
  readonly writeLine: (text: string) => void;
  readonly error: (statement: string, message: string, category: string, id: string) => void;
  /** Objects the statements keep between them ($sha, $in, $w). */
  readonly objects: Map<string, "sha256" | "stdin" | "stream">;
}

/** handled: ran (true) or failed with an error record already written (false); undefined: not a file statement. */
export type PsFileOutcome = boolean | undefined;

const HASH_LINE = "'F ' + $s.Length + ' ' + [BitConverter]::ToString($sha.ComputeHash($s)).Replace('-', '') + ' ' + $x";
const TREE =
  "if ([IO.Directory]::Exists($p)) { 'D ' + $p; foreach ($x in [IO.Directory]::GetFiles($p, '*', 'AllDirectories')) { " +
  `$s = [IO.File]::OpenRead($x); try { ${HASH_LINE} } finally { $s.Close() } } } ` +
  `elseif ([IO.File]::Exists($p)) { $x = $p; $s = [IO.File]::OpenRead($x); try { ${HASH_LINE} } finally { $s.Close() } } ` +
  "else { '- ' + $p }";
const WRITER_LOOP =
  "while ($true) { $l = $in.ReadLine(); if ($l -eq $null) { break }; $b = [Convert]::FromBase64String($l); " +
  "$w = [IO.File]::Open($p, 'Append', 'Write', 'Read'); try { $w.Write($b, 0, $b.Length) } finally { $w.Close() } }";
const REMOVE = "if ([IO.Directory]::Exists($p)) { [IO.Directory]::Delete($p, $true) } elseif ([IO.File]::Exists($p)) { [IO.File]::Delete($p) }";

function norm(s: string): string {
  return s.trim().replace(/\s+/g, " ");
}

/** The copy's hasher, with its fallback for hosts under the FIPS policy (the emulated host has no such policy). */
const SHA_CREATE =
  "try { $sha = [Security.Cryptography.SHA256]::Create() } catch { [void][Reflection.Assembly]::LoadWithPartialName('System.Core'); " +
  "$sha = New-Object Security.Cryptography.SHA256CryptoServiceProvider }";

const N = { TREE: norm(TREE), WRITER_LOOP: norm(WRITER_LOOP), REMOVE: norm(REMOVE), BATCH: norm(BATCH_WRITER), SHA_CREATE: norm(SHA_CREATE) };

/** The hasher statement as the emulated host recognises it (compared with the client's text in a unit test). */
export const EMULATED_SHA_CREATE = SHA_CREATE;

/** Whether a script reads stdin line by line while it runs ($in = [Console]::In, then $in.ReadLine()). */
export function scriptStreamsStdin(script: string): boolean {
  const n = norm(script);
  return n.includes(N.WRITER_LOOP) || n.includes(N.BATCH);
}

class DotNetError extends Error {
  constructor(
    readonly method: string,
    readonly argc: number,
    message: string,
  ) {
    super(message);
  }
}

function fsMessage(e: FsError): string {
  switch (e.kind) {
    case "notFound":
      return `Could not find file '${e.path}'.`;
    case "pathNotFound":
      return `Could not find a part of the path '${e.path}'.`;
    case "isDirectory":
      return `Access to the path '${e.path}' is denied.`;
    case "exists":
      return "Cannot create a file when that file already exists.";
    case "notEmpty":
      return "The directory is not empty.";
  }
}

function call<T>(method: string, argc: number, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof FsError) throw new DotNetError(method, argc, fsMessage(e));
    throw e;
  }
}

export async function runFileStatement(statement: string, ctx: PsFileContext): Promise<PsFileOutcome> {
  const st = norm(statement);
  const path = (name: string): string => {
    const v = ctx.variable(name);
    if (v === undefined) throw new DotNetError("", 0, `Value cannot be null.\r\nParameter name: path`);
    return v;
  };
  try {
    switch (st) {
      case "$sha = [Security.Cryptography.SHA256]::Create()":
      case N.SHA_CREATE:
        ctx.objects.set("sha", "sha256");
        return true;
      case "$in = [Console]::In":
        ctx.objects.set("in", "stdin");
        return true;
      case "[void][IO.Directory]::CreateDirectory([IO.Path]::GetDirectoryName($p))": {
        const p = path("p");
        const at = p.replace(/\//g, "\\").lastIndexOf("\\");
        call("CreateDirectory", 1, () => ctx.fs.mkdirs(at <= 2 ? p.slice(0, 3) : p.slice(0, at)));
        return true;
      }
      case "[void][IO.Directory]::CreateDirectory($p)":
        call("CreateDirectory", 1, () => ctx.fs.mkdirs(path("p")));
        return true;
      case "[IO.File]::Delete($p)":
        call("Delete", 1, () => ctx.fs.deleteFile(path("p")));
        return true;
      case "[IO.File]::Delete($f)":
        call("Delete", 1, () => ctx.fs.deleteFile(path("f")));
        return true;
      case "[IO.File]::Move($p, $f)":
        call("Move", 2, () => ctx.fs.move(path("p"), path("f")));
        return true;
      case "$w = [IO.File]::Open($p, 'Append', 'Write', 'Read')":
        call("Open", 4, () => ctx.fs.append(path("p"), Buffer.alloc(0)));
        ctx.objects.set("w", "stream");
        return true;
      case "$w.Close()":
        return ctx.objects.get("w") === "stream";
      case N.REMOVE: {
        const p = path("p");
        if (ctx.fs.isDirectory(p)) call("Delete", 2, () => ctx.fs.deleteDirectory(p, true));
        else if (ctx.fs.isFile(p)) call("Delete", 1, () => ctx.fs.deleteFile(p));
        return true;
      }
      case N.TREE:
        if (ctx.objects.get("sha") !== "sha256") return undefined;
        tree(ctx, path("p"));
        return true;
      case N.WRITER_LOOP:
        if (ctx.objects.get("in") !== "stdin") return undefined;
        await writerLoop(ctx, path("p"));
        return true;
      case N.BATCH:
        if (ctx.objects.get("in") !== "stdin" || ctx.objects.get("sha") !== "sha256") return undefined;
        await runBatchWriter(ctx, fromBase64, call);
        return true;
      default:
        if (!looksLikeFileStatement(st)) return undefined;
        // A .NET call or a flow-control statement outside this set: refused in PowerShell's error-record shape
        // rather than misread as text by the small interpreter.
        ctx.error(
          statement,
          "The emulated host does not implement this statement (provider/src/testing/host/psFileCommands.ts lists what it runs).",
          "NotImplemented: (:) [], PSNotSupportedException",
          "EmulatorNotImplemented",
        );
        return false;
    }
  } catch (e) {
    if (!(e instanceof DotNetError)) throw e;
    ctx.error(
      statement,
      e.method === "" ? e.message : `Exception calling "${e.method}" with "${e.argc}" argument(s): "${e.message}"`,
      "NotSpecified: (:) [], MethodInvocationException",
      e.method === "" ? "ArgumentNullException" : "DotNetMethodException",
    );
    return false;
  }
}

/** Statements the plain interpreter (powershell.ts) does not read: .NET calls, blocks, flow control, method calls. */
function looksLikeFileStatement(st: string): boolean {
  if (st.startsWith("[") || /^\$\w+\.\w+\(/.test(st)) return true;
  const word = st.split(/[\s({]/)[0]?.toLowerCase() ?? "";
  return ["if", "while", "foreach", "for", "try", "do", "switch", "function", "trap"].includes(word);
}

function hashLine(ctx: PsFileContext, shown: string): void {
  const data = ctx.fs.read(shown) ?? Buffer.alloc(0);
  const hex = createHash("sha256").update(data).digest("hex").toUpperCase();
  ctx.writeLine(`F ${data.length} ${hex} ${shown}`);
}

function tree(ctx: PsFileContext, p: string): void {
  if (ctx.fs.isDirectory(p)) {
    ctx.writeLine(`D ${p}`);
    for (const x of ctx.fs.filesBelow(p)) hashLine(ctx, x);
  } else if (ctx.fs.isFile(p)) {
    hashLine(ctx, p);
  } else {
    ctx.writeLine(`- ${p}`);
  }
}

/** Convert.FromBase64String: white space ignored; a bad length or a character outside the alphabet throws (wire/base64.ts). */
function fromBase64(line: string): Buffer {
  const out = decodeStrictBase64(line);
  if (out === "length") throw new DotNetError("FromBase64String", 1, "Invalid length for a Base-64 char array.");
  if (out === "character") throw new DotNetError("FromBase64String", 1, "Invalid character in a Base-64 string.");
  return out;
}

async function writerLoop(ctx: PsFileContext, p: string): Promise<void> {
  if (typeof ctx.stdin === "string") {
    for (const raw of ctx.stdin.split("\n")) {
      const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      if (line !== "") call("Open", 4, () => ctx.fs.append(p, fromBase64(line)));
    }
    return;
  }
  for (;;) {
    const line = await ctx.stdin.readLine();
    if (line === undefined) return;
    const data = fromBase64(line);
    call("Open", 4, () => ctx.fs.append(p, data));
  }
}
