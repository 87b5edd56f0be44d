/**
 * The PowerShell the copy runs on hosts with WinRM 2.0 or later (which came with PowerShell 2.0: Windows Management
 * Framework, KB968930; built into 2008 R2 and later). Every script is PowerShell 2.0 / .NET 2.0: no Get-FileHash
 * (PowerShell 4.0), no -LiteralPath recursion quirks of Get-ChildItem in 2.0: the file system is reached through
 * System.IO, hashes through System.Security.Cryptography.SHA256.
 *
 * Paths enter a script only as single-quoted literals assigned to variables ($p, $f); the statements that use them
 * are constant text. In a single-quoted string PowerShell gives no character a meaning except the quote itself,
 * written twice to stand for one; the typographic single quotes U+2018-U+201B are quotes too (PowerShell's tokenizer,
 * CharExtensions.IsSingleQuote), so they are doubled as well.
 */

const SINGLE_QUOTES = new Set(["'", "\u2018", "\u2019", "\u201A", "\u201B"]);

export function psLiteral(s: string): string {
  let out = "'";
  for (const ch of s) out += SINGLE_QUOTES.has(ch) ? ch + ch : ch;
  return `${out}'`;
}

/**
 * The hasher. SHA256.Create() is SHA256Managed, which .NET Framework before 4.8 refuses to construct when the
 * "System cryptography: Use FIPS compliant algorithms" policy is on (InvalidOperationException; PowerShell 2.0 runs
 * on CLR 2); there the CryptoAPI implementation, SHA256CryptoServiceProvider (System.Core, .NET 3.5), is FIPS
 * validated and gives the same digest. try/catch is PowerShell 2.0 syntax.
 */
export const SHA_CREATE =
  "try { $sha = [Security.Cryptography.SHA256]::Create() } catch { [void][Reflection.Assembly]::LoadWithPartialName('System.Core'); " +
  "$sha = New-Object Security.Cryptography.SHA256CryptoServiceProvider }";

const PRELUDE = `$ErrorActionPreference = 'Stop'\n${SHA_CREATE}\n`;

/** One line per file: `F <length> <SHA-256 hex> <path>`. */
const HASH_LINE = "'F ' + $s.Length + ' ' + [BitConverter]::ToString($sha.ComputeHash($s)).Replace('-', '') + ' ' + $x";

/**
 * List $p: `D <path>` then one F line per file below it (every level, hidden files too) when it is a directory, one F
 * line when it is a file, `- <path>` when it is absent.
 */
const TREE =
  "if ([IO.Directory]::Exists($p)) { 'D ' + $p; foreach ($x in [IO.Directory]::GetFiles($p, '*', 'AllDirectories')) { " +
  `$s = [IO.File]::OpenRead($x); try { ${HASH_LINE} } finally { $s.Close() } } } ` +
  `elseif ([IO.File]::Exists($p)) { $x = $p; $s = [IO.File]::OpenRead($x); try { ${HASH_LINE} } finally { $s.Close() } } ` +
  "else { '- ' + $p }";

/** Lengths and hashes of everything under each path (see TREE), in order. */
export function treeScript(paths: readonly string[]): string {
  return PRELUDE + paths.map((p) => `$p = ${psLiteral(p)}\n${TREE}\n`).join("");
}

/**
 * The batch writer: one command writes any number of files, all read from stdin (so its text is constant and no path
 * is ever part of the script). Per file, on stdin: the final path as base64 of its UTF-8 (the console's input code
 * page would mangle non-ASCII text), the expected `<length> <SHA-256 hex>`, the file's base64 lines from where its
 * `.partial` ends, then an empty line. The host appends the lines to `<final>.partial` (opened and closed per line,
 * with read sharing, so a copy cut off mid-way leaves no handle that would stop the next one from reading and appending), hashes the partial, and only when length and hash equal the expected ones
 * replaces the final file with it: `M <length> <hash>` (moved) or `F <length> <hash>` (left as the partial). So the
 * final path only ever gets a file the host verified, and the client checks each printed hash again.
 */
export const BATCH_WRITER =
  "while ($true) { $h = $in.ReadLine(); if ($h -eq $null) { break }; $e = $in.ReadLine(); " +
  "$t = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($h)); $p = $t + '.partial'; " +
  "[void][IO.Directory]::CreateDirectory([IO.Path]::GetDirectoryName($p)); " +
  "$w = [IO.File]::Open($p, 'Append', 'Write', 'Read'); $w.Close(); " +
  "while ($true) { $l = $in.ReadLine(); if ($l -eq $null -or $l -eq '') { break }; $b = [Convert]::FromBase64String($l); " +
  "$w = [IO.File]::Open($p, 'Append', 'Write', 'Read'); try { $w.Write($b, 0, $b.Length) } finally { $w.Close() } }; " +
  "$s = [IO.File]::OpenRead($p); try { $r = '' + $s.Length + ' ' + [BitConverter]::ToString($sha.ComputeHash($s)).Replace('-', '') } finally { $s.Close() }; " +
  "if ($r -eq $e) { [IO.File]::Delete($t); [IO.File]::Move($p, $t); 'M ' + $r } else { 'F ' + $r } }";

export function batchWriterScript(): string {
  return `${PRELUDE}$in = [Console]::In\n${BATCH_WRITER}\n`;
}

export interface BatchLine {
  /** The host put the verified partial at the final path. */
  readonly moved: boolean;
  readonly length: number;
  readonly hash: string;
}

/** The batch writer's M / F lines, in order (one per file); other lines are skipped. */
export function parseBatchOutput(stdout: string): BatchLine[] {
  const out: BatchLine[] = [];
  for (const raw of stdout.split("\n")) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (!line.startsWith("M ") && !line.startsWith("F ")) continue;
    const a = line.indexOf(" ", 2);
    if (a < 0) continue;
    const length = Number(line.slice(2, a));
    const hash = line.slice(a + 1);
    if (!Number.isSafeInteger(length) || length < 0 || hash.length !== 64) continue;
    out.push({ moved: line[0] === "M", length, hash: hash.toUpperCase() });
  }
  return out;
}

/** Put verified partials in place, several per script: the old final file (if any) goes, the partial takes its name. */
export function finalizeAllScript(pairs: readonly { partial: string; target: string }[]): string {
  return (
    "$ErrorActionPreference = 'Stop'\n" +
    pairs.map((x) => `$p = ${psLiteral(x.partial)}\n$f = ${psLiteral(x.target)}\n[IO.File]::Delete($f)\n[IO.File]::Move($p, $f)\n`).join("")
  );
}

/** Delete several files (no error when absent). */
export function deleteFilesScript(paths: readonly string[]): string {
  return "$ErrorActionPreference = 'Stop'\n" + paths.map((p) => `$p = ${psLiteral(p)}\n[IO.File]::Delete($p)\n`).join("");
}

/** Create directories (with their parents; existing ones are fine). */
export function mkdirScript(paths: readonly string[]): string {
  return "$ErrorActionPreference = 'Stop'\n" + paths.map((p) => `$p = ${psLiteral(p)}\n[void][IO.Directory]::CreateDirectory($p)\n`).join("");
}

/** Remove a file or a directory tree; nothing when absent. */
export function removeScript(path: string): string {
  return (
    `$ErrorActionPreference = 'Stop'\n$p = ${psLiteral(path)}\n` +
    "if ([IO.Directory]::Exists($p)) { [IO.Directory]::Delete($p, $true) } elseif ([IO.File]::Exists($p)) { [IO.File]::Delete($p) }\n"
  );
}

export type TreeLine =
  | { readonly kind: "dir"; readonly path: string }
  | { readonly kind: "file"; readonly path: string; readonly length: number; readonly hash: string }
  | { readonly kind: "absent"; readonly path: string };

/** The lines TREE prints, read by position (no regular expression over host output); unknown lines are skipped. */
export function parseTreeOutput(stdout: string): TreeLine[] {
  const out: TreeLine[] = [];
  for (const raw of stdout.split("\n")) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.startsWith("D ")) out.push({ kind: "dir", path: line.slice(2) });
    else if (line.startsWith("- ")) out.push({ kind: "absent", path: line.slice(2) });
    else if (line.startsWith("F ")) {
      const a = line.indexOf(" ", 2);
      const b = a < 0 ? -1 : line.indexOf(" ", a + 1);
      if (b < 0) continue;
      const length = Number(line.slice(2, a));
      const hash = line.slice(a + 1, b);
      if (!Number.isSafeInteger(length) || length < 0 || hash.length !== 64) continue;
      out.push({ kind: "file", path: line.slice(b + 1), length, hash: hash.toUpperCase() });
    }
  }
  return out;
}
