/**
 * powershell.exe, a small subset: `-EncodedCommand <base64 of UTF-16LE>` (what WinRM clients send), `-Command <text>`,
 * `-Command -` / no command (script read from stdin). Statements separated by `;` or new lines:
 *   Write-Output / echo / write <expr...>, Write-Host <expr...>, Write-Error [-Message] <expr>, throw <expr>,
 *   $env:NAME = <expr>, $name = <expr>, exit [N], and bare expressions.
 * Expressions: 'single' and "double $env:X $name `n" strings, numbers, $env:NAME, $name, $true/$false/$null,
 * [Console]::In.ReadToEnd(), <term>.Length, ( ... ), and `+` concatenation.
 * Exit code: the `exit` value, else 1 when the last statement failed (what powershell.exe -Command reports), else 0.
 * Not on 2003 R2 (profile hasPowerShell false): cmd answers "is not recognized".
 */
import type { ProgramSpec } from "./cmd.js";
import type { ProcState, ProgramIO } from "./process.js";
import { runFileStatement, scriptStreamsStdin, type PsFileContext } from "./psFileCommands.js";

/** `exit N` / `throw` unwinding the script (not an error of the emulator). */
class PsExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

interface PsOptions {
  script?: string;
  fromStdin: boolean;
}

/** Parse powershell.exe's own options (case-insensitive, unique prefixes allowed). */
function parseOptions(args: string[]): PsOptions | undefined {
  const withValue = ["executionpolicy", "inputformat", "outputformat", "windowstyle", "version", "configurationname"];
  const flags = ["noprofile", "noninteractive", "nologo", "noexit", "sta", "mta"];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? "";
    if (!a.startsWith("-") && !a.startsWith("/")) {
      // The first bare argument starts the command (-Command is the default).
      return { script: args.slice(i).join(" "), fromStdin: false };
    }
    const name = a.slice(1).toLowerCase();
    if (name === "") return { fromStdin: true };
    if (["encodedcommand", "enc", "ec", "e"].includes(name) || ("encodedcommand".startsWith(name) && name.length >= 2)) {
      const b64 = args[i + 1];
      if (b64 === undefined) return undefined;
      return { script: Buffer.from(b64, "base64").toString("utf16le"), fromStdin: false };
    }
    if (name === "c" || (name.length >= 2 && "command".startsWith(name))) {
      const rest = args.slice(i + 1);
      if (rest.length === 1 && rest[0] === "-") return { fromStdin: true };
      return { script: rest.join(" "), fromStdin: false };
    }
    if (withValue.some((w) => w.startsWith(name))) {
      i++;
      continue;
    }
    if (flags.some((f) => f.startsWith(name))) continue;
    return undefined;
  }
  return { fromStdin: true };
}

/** Whether this powershell invocation reads stdin (script from stdin, or a script that reads [Console]::In / $input). */
export function powershellReadsStdin(args: string[]): boolean {
  const o = parseOptions(args);
  if (!o) return false;
  if (o.fromStdin) return true;
  return /\[console\]::in\b|\$input\b/i.test(o.script ?? "");
}

/** Split a script into statements on `;` and new lines outside quotes, parentheses and braces. */
function statements(script: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote: string | undefined;
  let depth = 0;
  for (let i = 0; i < script.length; i++) {
    const c = script[i] ?? "";
    if (quote) {
      cur += c;
      if (c === "`" && quote === '"') {
        cur += script[++i] ?? "";
      } else if (c === quote) {
        if (script[i + 1] === quote) cur += script[++i] ?? "";
        else quote = undefined;
      }
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === "(" || c === "{") depth++;
    else if (c === ")" || c === "}") depth--;
    if (depth === 0 && (c === ";" || c === "\n" || c === "\r")) {
      if (cur.trim() !== "") out.push(cur.trim());
      cur = "";
      continue;
    }
    cur += c;
  }
  if (cur.trim() !== "") out.push(cur.trim());
  return out;
}

class PsInterpreter {
  private readonly vars = new Map<string, string | boolean | null>();
  private stdinConsumed = false;

  constructor(
    private readonly proc: ProcState,
    private readonly io: ProgramIO,
  ) {}

  async run(script: string): Promise<number> {
    let lastFailed = false;
    try {
      for (const st of statements(script)) {
        // File-system statements (psFileCommands.ts) first; a failed one stops the script under
        // $ErrorActionPreference = 'Stop', as a terminating .NET method error does.
        const file = await runFileStatement(st, this.fileContext());
        if (file === false && this.vars.get("erroractionpreference") === "Stop") throw new PsExit(1);
        lastFailed = file === undefined ? !this.statement(st) : !file;
      }
    } catch (e) {
      if (e instanceof PsExit) return e.code;
      throw e;
    }
    return lastFailed ? 1 : 0;
  }

  private readonly fileObjects: PsFileContext["objects"] = new Map();

  private fileContext(): PsFileContext {
    return {
      fs: this.proc.host.fs,
      variable: (name) => {
        const v = this.vars.get(name);
        return typeof v === "string" ? v : undefined;
      },
      stdin: this.proc.stdinStream ?? this.stdinText(),
      writeLine: (text) => this.io.stdout.write(`${text}\r\n`),
      error: (stmt, message, category, id) => this.errorRecord(stmt, message, category, id),
      objects: this.fileObjects,
    };
  }

  private errorRecord(stmt: string, message: string, category: string, id: string): void {
    this.io.stderr.write(
      `${stmt} : ${message}\r\n` +
        `    + CategoryInfo          : ${category}\r\n` +
        `    + FullyQualifiedErrorId : ${id}\r\n \r\n`,
    );
  }

  /** Run one statement; false when it failed ($? false). */
  private statement(st: string): boolean {
    let m = /^exit(?:\s+(.+))?$/i.exec(st);
    if (m) {
      const v = m[1] === undefined ? 0 : Number.parseInt(this.text(this.expr(m[1])), 10);
      throw new PsExit(Number.isNaN(v) ? 0 : v);
    }
    m = /^\$env:([A-Za-z_][\w()]*)\s*=\s*(.+)$/i.exec(st);
    if (m) {
      const v = this.text(this.expr(m[2] ?? ""));
      if (v === "") this.proc.env.delete(m[1] ?? "");
      else this.proc.env.set(m[1] ?? "", v);
      return true;
    }
    m = /^\$([A-Za-z_]\w*)\s*=\s*(.+)$/.exec(st);
    if (m) {
      this.vars.set((m[1] ?? "").toLowerCase(), this.expr(m[2] ?? ""));
      return true;
    }
    m = /^(write-output|echo|write)(?:\s+(.*))?$/i.exec(st);
    if (m) {
      for (const a of this.args(m[2] ?? "")) this.io.stdout.write(`${this.text(this.expr(a))}\r\n`);
      return true;
    }
    m = /^write-host(?:\s+(.*))?$/i.exec(st);
    if (m) {
      const parts = this.args(m[1] ?? "").filter((a) => !/^-nonewline$/i.test(a));
      const noNewline = this.args(m[1] ?? "").some((a) => /^-nonewline$/i.test(a));
      this.io.stdout.write(parts.map((a) => this.text(this.expr(a))).join(" ") + (noNewline ? "" : "\r\n"));
      return true;
    }
    m = /^write-error(?:\s+(?:-message\s+)?(.*))?$/i.exec(st);
    if (m) {
      const msg = this.text(this.expr(m[1] ?? "''"));
      this.errorRecord(st, msg, "NotSpecified: (:) [Write-Error], WriteErrorException", "Microsoft.PowerShell.Commands.WriteErrorException");
      return false;
    }
    m = /^throw(?:\s+(.*))?$/i.exec(st);
    if (m) {
      const msg = m[1] === undefined ? "ScriptHalted" : this.text(this.expr(m[1]));
      this.errorRecord(msg, msg, `OperationStopped: (${msg}:String) [], RuntimeException`, msg);
      throw new PsExit(1);
    }
    if (/^[$'"(\[0-9-]/.test(st)) {
      const v = this.expr(st);
      if (v !== null && v !== "") this.io.stdout.write(`${this.text(v)}\r\n`);
      return true;
    }
    const name = /^\S+/.exec(st)?.[0] ?? st;
    this.errorRecord(
      st,
      this.proc.strings.powershell.notRecognized(name).replace(/^\S+ : /, ""),
      `ObjectNotFound: (${name}:String) [], CommandNotFoundException`,
      "CommandNotFoundException",
    );
    return false;
  }

  /** Split command arguments on whitespace outside quotes and parentheses. */
  private args(s: string): string[] {
    return splitTopLevel(s, (c) => /\s/.test(c)).filter((a) => a !== "");
  }

  private text(v: string | boolean | null): string {
    if (v === null) return "";
    if (typeof v === "boolean") return v ? "True" : "False";
    return v;
  }

  private readStdin(): string {
    if (this.stdinConsumed) return "";
    this.stdinConsumed = true;
    return this.io.stdin;
  }

  /** The whole stdin for a file statement, without consuming it for the rest of the script. */
  private stdinText(): string {
    return this.stdinConsumed ? "" : this.io.stdin;
  }

  /** Evaluate `term (+ term)*`. */
  private expr(s: string): string | boolean | null {
    const parts = splitTopLevel(s, (c) => c === "+");
    if (parts.length === 1) return this.term((parts[0] ?? "").trim());
    return parts.map((p) => this.text(this.term(p.trim()))).join("");
  }

  private term(t: string): string | boolean | null {
    if (t.startsWith("(") && t.endsWith(")")) return this.expr(t.slice(1, -1));
    if (t.startsWith("'") && t.endsWith("'") && t.length >= 2) return t.slice(1, -1).replace(/''/g, "'");
    if (t.startsWith('"') && t.endsWith('"') && t.length >= 2) return this.interpolate(t.slice(1, -1));
    const len = /^(.+)\.Length$/i.exec(t);
    if (len) return String(this.text(this.term((len[1] ?? "").trim())).length);
    if (/^\[console\]::in\.readtoend\(\)$/i.test(t)) return this.readStdin();
    if (/^\$input$/i.test(t)) return this.readStdin().replace(/\r?\n$/, "");
    const lower = t.toLowerCase();
    if (lower === "$true") return true;
    if (lower === "$false") return false;
    if (lower === "$null") return null;
    let m = /^\$env:([A-Za-z_][\w()]*)$/i.exec(t);
    if (m) return this.proc.env.get(m[1] ?? "") ?? null;
    m = /^\$([A-Za-z_]\w*)$/.exec(t);
    if (m) return this.vars.get((m[1] ?? "").toLowerCase()) ?? null;
    // A bare word argument is a string (Write-Output hello).
    return t;
  }

  private interpolate(s: string): string {
    const escapes: Record<string, string> = { n: "\n", r: "\r", t: "\t", "0": "\0", "`": "`", '"': '"', $: "$" };
    let out = "";
    for (let i = 0; i < s.length; i++) {
      const c = s[i] ?? "";
      if (c === "`") {
        const n = s[++i] ?? "";
        out += escapes[n] ?? n;
        continue;
      }
      if (c === '"' && s[i + 1] === '"') {
        out += '"';
        i++;
        continue;
      }
      if (c === "$") {
        const m = /^\$env:([A-Za-z_]\w*)|^\$([A-Za-z_]\w*)/i.exec(s.slice(i));
        if (m) {
          out += this.text(this.term(m[0]));
          i += m[0].length - 1;
          continue;
        }
      }
      out += c;
    }
    return out;
  }
}

/** Whether this invocation reads stdin while it runs, line by line (the file writer of psFileCommands.ts). */
export function powershellStreamsStdin(args: string[]): boolean {
  const o = parseOptions(args);
  return o !== undefined && !o.fromStdin && scriptStreamsStdin(o.script ?? "");
}

function powershellProgram(proc: ProcState, io: ProgramIO, args: string[]): Promise<number> | number {
  const o = parseOptions(args);
  if (!o) {
    io.stderr.write("The argument is not recognized. Use powershell -? for help.\r\n");
    return 1;
  }
  // A child process: its environment changes do not reach cmd.
  const child: ProcState = { ...proc, env: proc.env.clone() };
  const interp = new PsInterpreter(child, io);
  const script = o.fromStdin ? io.stdin : (o.script ?? "");
  return interp.run(script);
}

export const POWERSHELL_PROGRAMS: Record<string, ProgramSpec> = {
  powershell: {
    run: powershellProgram,
    available: (p) => p.hasPowerShell,
    readsStdin: powershellReadsStdin,
    file: "System32\\WindowsPowerShell\\v1.0\\powershell.exe",
  },
};

/**
 * Split `s` at characters `isSeparator` accepts, outside '...' / "..." strings (with "`x" escapes) and parentheses.
 * Empty pieces are kept: the caller decides whether they mean anything.
 */
function splitTopLevel(s: string, isSeparator: (c: string) => boolean): string[] {
  const parts: string[] = [];
  let cur = "";
  let quote: string | undefined;
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? "";
    if (quote) {
      cur += c;
      if (c === "`" && quote === '"') cur += s[++i] ?? "";
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    if (c === "(") depth++;
    if (c === ")") depth--;
    if (depth === 0 && isSeparator(c)) {
      parts.push(cur);
      cur = "";
      continue;
    }
    cur += c;
  }
  parts.push(cur);
  return parts;
}
