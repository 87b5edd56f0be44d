/**
 * The words after `--` turned into the one command line a WinRM cmd shell runs, so that what the user typed is what
 * runs. Two interpreters read that line on Windows, one after the other, and each has its own rules:
 *
 * 1. cmd.exe (a WinRM cmd shell runs `cmd.exe /c <line>` unless WINRS_SKIP_CMD_SHELL is TRUE, MS-WSMV 2.2.4.7):
 *    - phase 1 expands `%NAME%` everywhere, inside quotes too; on a command line (not in a batch file) `%%` is no
 *      escape and an undefined name is left as written;
 *    - phase 2 reads `& | < > ( )` as operators and `^` as the escape of the next character, except between double
 *      quotes, where all of them (and `^` itself) are plain text; every `"` toggles that quoted state;
 *    - `cmd /c` strips the first and the last `"` of the line when the line starts with one (`cmd /?`, rule 2).
 * 2. The program's C runtime (Microsoft C/C++ docs, "Parsing C++ command-line arguments"; CommandLineToArgvW): blanks
 *    separate arguments outside double quotes; `\"` is a literal quote; 2n backslashes before a `"` are n
 *    backslashes and the quote delimits, 2n+1 are n backslashes and a literal quote; other backslashes are literal.
 *
 * The rule implemented (quoteCmdArgs), word by word:
 * - a word of only safe characters (none of: blank, `"`, `& | < > ^ ( )`, `%`; for the first word, the program name,
 *   also none of `, ; =`, where cmd ends a command name, and no leading `@`) goes as it is;
 * - any other word is first quoted for the C runtime: `"` + the word with each run of backslashes before a `"` (or
 *   before the closing quote) doubled and each `"` written `\"` + `"`;
 * - if that quoted word contains no `"` of the user's and no `%`, and is not the first word, cmd sees one quoted region
 *   and passes it through untouched: done (`"<local>"`, `"a b"`);
 * - otherwise every `"`, `& | < > ^ ( )` and `%` of the quoted word gets a `^` before it, so cmd never enters its
 *   quoted state and removes each `^` in phase 2 (D. Colascione, "Everyone quotes command line arguments the wrong
 *   way", MSDN blog 2011). A `%` written `^%` cannot be expanded: the name phase 1 would look up ends with `^`, which
 *   names no variable. The first word uses this form too, so the line never starts with `"` and `cmd /c` strips
 *   nothing.
 * - a word with a line break (CR or LF) or NUL is refused: cmd ends the command there and nothing can escape it.
 * - `!` is not touched: delayed expansion is off in `cmd /c` unless the host's registry turns it on
 *   (HKCU\Software\Microsoft\Command Processor\DelayedExpansion).
 *
 * This quotes for programs, which split their command line with the C runtime rules (netsh, reg, findstr, ...). cmd's
 * built-ins (echo, set, dir, ...) read the raw text, quotes included: for them, give the whole command line as one word.
 */
import { UsageError } from "./usageError.js";

/** cmd.exe's operators and escape (phase 2), `%` (phase 1) and what the C runtime splits on or unquotes. */
const CMD_SPECIAL = new Set([" ", "\t", "\v", '"', "&", "|", "<", ">", "^", "(", ")", "%"]);
/** Where cmd.exe ends the command name besides blanks (its token delimiters). A leading `@` is eaten (echo off). */
const FIRST_WORD_SPECIAL = new Set([",", ";", "="]);
const CARET_ESCAPED = new Set(['"', "&", "|", "<", ">", "^", "(", ")", "%"]);

function checkNoLineBreak(word: string, shell: string): void {
  if (word.includes("\n") || word.includes("\r") || word.includes("\0")) {
    throw new UsageError(
      `an argument after -- contains a line break or NUL, which ${shell} cannot take inside one command; ` +
        "give such text through --stdin",
    );
  }
}

/** One argument for the Microsoft C runtime: quoted, backslashes before quotes doubled, quotes escaped. */
export function quoteForCRuntime(word: string): string {
  let out = '"';
  let backslashes = 0;
  for (const c of word) {
    if (c === "\\") {
      backslashes++;
      continue;
    }
    if (c === '"') {
      // 2n+1 backslashes before a quote: n literal backslashes and a literal quote.
      out += "\\".repeat(backslashes * 2 + 1) + '"';
    } else {
      out += "\\".repeat(backslashes) + c;
    }
    backslashes = 0;
  }
  // Before the closing quote, 2n backslashes stand for n.
  return `${out}${"\\".repeat(backslashes * 2)}"`;
}

/** Every cmd.exe special character of `text` preceded by `^` (used on a C-runtime-quoted word). */
function caretEscape(text: string): string {
  let out = "";
  for (const c of text) out += CARET_ESCAPED.has(c) ? `^${c}` : c;
  return out;
}

/** One word for a cmd.exe command line (see the rule above); `first` for the program name. */
export function quoteCmdWord(word: string, first = false): string {
  checkNoLineBreak(word, "cmd.exe");
  const special = (c: string): boolean => CMD_SPECIAL.has(c) || (first && FIRST_WORD_SPECIAL.has(c));
  if (word !== "" && ![...word].some(special) && !(first && word.startsWith("@"))) return word;
  const quoted = quoteForCRuntime(word);
  if (!first && !word.includes('"') && !word.includes("%")) return quoted;
  return caretEscape(quoted);
}

/** The cmd.exe command line that runs `words[0]` with the arguments `words[1..]` exactly as given. */
export function quoteCmdArgs(words: readonly string[]): string {
  return words.map((w, i) => quoteCmdWord(w, i === 0)).join(" ");
}

/**
 * PowerShell: a word that is a plain name, path or parameter (letters, digits, `_ - . / \ :`) goes as it is; any
 * other becomes a verbatim string '...' (about_Quoting_Rules: nothing is expanded inside single quotes; a quote is
 * written twice, and PowerShell takes the typographic single quotes U+2018..U+201B as quotes too). A quoted first
 * word is called with `&` (about_Operators: the call operator), since a string alone would only be printed.
 */
const PS_BARE = /^[A-Za-z0-9_\-./\\:]+$/;
const PS_QUOTES = new Set(["'", "\u2018", "\u2019", "\u201A", "\u201B"]);

export function quotePowerShellWord(word: string): string {
  if (PS_BARE.test(word)) return word;
  let out = "'";
  for (const c of word) out += PS_QUOTES.has(c) ? c + c : c;
  return `${out}'`;
}

export function quotePowerShellArgs(words: readonly string[]): string {
  for (const w of words) checkNoLineBreak(w, "a PowerShell command");
  return words.map((w, i) => (i === 0 && !PS_BARE.test(w) ? `& ${quotePowerShellWord(w)}` : quotePowerShellWord(w))).join(" ");
}

/**
 * How the words after `--` become the command (decided like ssh, which sends one word as the remote command line):
 * - "auto" (default): one word is a command line, sent verbatim (`-- "echo a & echo b"`); several words are a program
 *   and its arguments, each quoted for the shell (`-- netsh winhttp set proxy p:80 "<local>"`);
 * - "argv" (--argv): always quoted, even one word (a program path with blanks);
 * - "raw" (--raw): always verbatim, the words joined with blanks.
 */
export type QuoteMode = "auto" | "argv" | "raw";

export function commandLineFor(words: readonly string[], shell: "cmd" | "powershell", mode: QuoteMode = "auto"): string {
  if (mode === "raw" || (mode === "auto" && words.length === 1)) return words.join(" ");
  return shell === "powershell" ? quotePowerShellArgs(words) : quoteCmdArgs(words);
}
