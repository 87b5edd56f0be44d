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

const PRELUDE = "$ErrorActionPreference = 'Stop'\n$sha = [Security.Cryptography.SHA256]::Create()\n";

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
 * The remote writer: base64 lines on stdin, each decoded and appended to `partial` (opened and closed per line, with
 * read sharing, so a copy cut off mid-way leaves no handle that would stop the next one from reading and appending);
 * when stdin closes, the partial file's length and hash (a TREE line). `fresh`: delete an old partial first.
 */
export function writerScript(partial: string, fresh: boolean): string {
  return (
    PRELUDE +
    `$p = ${psLiteral(partial)}\n` +
    "[void][IO.Directory]::CreateDirectory([IO.Path]::GetDirectoryName($p))\n" +
    (fresh ? "[IO.File]::Delete($p)\n" : "") +
    "$w = [IO.File]::Open($p, 'Append', 'Write', 'Read')\n$w.Close()\n" +
    "$in = [Console]::In\n" +
    "while ($true) { $l = $in.ReadLine(); if ($l -eq $null) { break }; $b = [Convert]::FromBase64String($l); " +
    "$w = [IO.File]::Open($p, 'Append', 'Write', 'Read'); try { $w.Write($b, 0, $b.Length) } finally { $w.Close() } }\n" +
    `${TREE}\n`
  );
}

/** Put a verified partial in place: the old final file (if any) goes, the partial takes its name. */
export function finalizeScript(partial: string, final: string): string {
  return `$ErrorActionPreference = 'Stop'\n$p = ${psLiteral(partial)}\n$f = ${psLiteral(final)}\n[IO.File]::Delete($f)\n[IO.File]::Move($p, $f)\n`;
}

/** Delete one file (no error when absent). */
export function deleteFileScript(path: string): string {
  return `$ErrorActionPreference = 'Stop'\n$p = ${psLiteral(path)}\n[IO.File]::Delete($p)\n`;
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
