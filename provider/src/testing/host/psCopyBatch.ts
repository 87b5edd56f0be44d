/**
 * The emulated PowerShell's side of the copy's batch writer (provider/src/copy/psScripts.ts BATCH_WRITER, its text
 * repeated here as the host recognises it): per file, stdin gives the final path (base64 of UTF-8), the expected
 * `<length> <SHA-256 hex>`, base64 lines appended to `<final>.partial`, and an empty line; the partial is hashed and,
 * when it matches, replaces the final file (`M` line), else stays (`F` line). Acts on the host's file system through
 * the same calls as the one-file writer (psFileCommands.ts), so corruptFileWrites and .NET errors apply alike.
 */
import { createHash } from "node:crypto";
import type { PsFileContext } from "./psFileCommands.js";

export const BATCH_WRITER =
  "while ($true) { $h = $in.ReadLine(); if ($h -eq $null) { break }; $e = $in.ReadLine(); " +
  "$t = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($h)); $p = $t + '.partial'; " +
  "[void][IO.Directory]::CreateDirectory([IO.Path]::GetDirectoryName($p)); " +
  "$w = [IO.File]::Open($p, 'Append', 'Write', 'Read'); $w.Close(); " +
  "while ($true) { $l = $in.ReadLine(); if ($l -eq $null -or $l -eq '') { break }; $b = [Convert]::FromBase64String($l); " +
  "$w = [IO.File]::Open($p, 'Append', 'Write', 'Read'); try { $w.Write($b, 0, $b.Length) } finally { $w.Close() } }; " +
  "$s = [IO.File]::OpenRead($p); try { $r = '' + $s.Length + ' ' + [BitConverter]::ToString($sha.ComputeHash($s)).Replace('-', '') } finally { $s.Close() }; " +
  "if ($r -eq $e) { [IO.File]::Delete($t); [IO.File]::Move($p, $t); 'M ' + $r } else { 'F ' + $r } }";

type Call = <T>(method: string, argc: number, f: () => T) => T;

/** Lines of stdin, as it streams or from the whole text. */
function lineReader(stdin: PsFileContext["stdin"]): () => Promise<string | undefined> {
  if (typeof stdin !== "string") return () => stdin.readLine();
  const lines = stdin.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  if (lines.at(-1) === "") lines.pop();
  let i = 0;
  return async () => lines[i++];
}

export async function runBatchWriter(ctx: PsFileContext, fromBase64: (line: string) => Buffer, call: Call): Promise<void> {
  const next = lineReader(ctx.stdin);
  for (;;) {
    const h = await next();
    if (h === undefined) return;
    const e = (await next()) ?? "";
    const t = fromBase64(h).toString("utf8");
    const p = `${t}.partial`;
    const at = p.replace(/\//g, "\\").lastIndexOf("\\");
    call("CreateDirectory", 1, () => ctx.fs.mkdirs(at <= 2 ? p.slice(0, 3) : p.slice(0, at)));
    call("Open", 4, () => ctx.fs.append(p, Buffer.alloc(0)));
    for (;;) {
      const l = await next();
      if (l === undefined || l === "") break;
      const data = fromBase64(l);
      call("Open", 4, () => ctx.fs.append(p, data));
    }
    const data = call("OpenRead", 1, () => ctx.fs.read(p) ?? Buffer.alloc(0));
    const r = `${data.length} ${createHash("sha256").update(data).digest("hex").toUpperCase()}`;
    // PowerShell's -eq compares strings case-insensitively.
    if (r.toLowerCase() === e.toLowerCase()) {
      call("Delete", 1, () => ctx.fs.deleteFile(t));
      call("Move", 2, () => ctx.fs.move(p, t));
      ctx.writeLine(`M ${r}`);
    } else {
      ctx.writeLine(`F ${r}`);
    }
  }
}
