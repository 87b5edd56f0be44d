/**
 * A small cmd.exe: the line a WinRM cmd shell receives runs as `cmd.exe /c <line>`.
 *
 * What it copies from cmd.exe:
 * - `cmd /c`'s quote rule (`cmd /?`): a line starting with `"` loses that quote and its last one, unless it is exactly
 *   one quoted executable name with blanks in it (slashCLine); the same for a nested `cmd /c`.
 * - %VAR% is expanded once for the whole line before anything runs (so `set X=1 & echo %X%` prints `%X%` when X
 *   was undefined); an undefined variable stays literal, as on the command line (not in a batch file).
 * - `&` always runs the next pipeline; `&&` when the last executed one succeeded; `||` when it failed; `|` pipes
 *   stdout; `( ... )` groups; `^` escapes; `"` protects operators; `@` before a command is dropped.
 * - Redirections `>`, `>>`, `<`, `n>`, `>&n` (`>&2` and `1>&2` send stdout to stderr), `2>&1`, `nul`; text before a
 *   redirection keeps its spaces (`echo hi >&2` prints "hi ").
 * - `for /L %i in (start,step,end) do ...` and `for %i in (a b c) do ...`; the body runs to the end of the line (or of
 *   the enclosing parentheses), like cmd; `if [/i] [not] errorlevel n | defined X | exist f | a==b | a OP b ...`.
 * - Unknown commands print the localized "is not recognized" message on stderr; ERRORLEVEL 9009.
 * - The exit code of the line is the ERRORLEVEL at the end; echo / rem leave ERRORLEVEL as it was.
 */
import { FOR_F_HEAD, forFIterations, parseForFOptions } from "./cmdForF.js";
import { BUILTIN_PROGRAMS, echoProgram } from "./builtins.js";
import { NETSH_PROGRAMS } from "./netsh.js";
import { POWERSHELL_PROGRAMS } from "./powershell.js";
import { PROXYCFG_PROGRAMS } from "./proxycfg.js";
import { REG_PROGRAMS } from "./reg.js";
import { WINRM_PROGRAMS } from "./winrmCmd.js";
import { FILE_PROGRAMS } from "./fileCommands.js";
import { decodeCodePage, NUL_SINK, splitArgs, StringSink, type ProcState, type ProgramIO, type Sink } from "./process.js";
import type { HostProfile } from "./profiles.js";
import type { Program } from "./process.js";

export interface ProgramSpec {
  run: Program;
  /** A cmd.exe built-in: only found by its bare name, never with a path or extension. */
  internal?: boolean;
  /** The command does not change ERRORLEVEL (echo, rem). */
  keepsErrorLevel?: boolean;
  /** Whether this invocation reads stdin (so the shell waits for the client's Send End="true"). */
  readsStdin?: (args: string[]) => boolean;
  /** Present on this Windows version (default: yes). */
  available?: (p: HostProfile) => boolean;
  /** Its file under %windir% (default System32\\<name>.exe); only external programs have one. */
  file?: string;
}

const PROGRAMS: Record<string, ProgramSpec> = {
  ...BUILTIN_PROGRAMS,
  ...NETSH_PROGRAMS,
  ...PROXYCFG_PROGRAMS,
  ...REG_PROGRAMS,
  ...WINRM_PROGRAMS,
  ...POWERSHELL_PROGRAMS,
  ...FILE_PROGRAMS,
};

export interface Redir {
  /** 0 = stdin, 1 = stdout, 2 = stderr */
  fd: number;
  kind: "write" | "append" | "dup" | "read";
  /** file name, or the fd number for "dup" */
  target: string;
}

export type CmdNode =
  | { kind: "simple"; text: string; redirs: Redir[] }
  | { kind: "group"; body: Seq; redirs: Redir[] }
  | { kind: "for"; variable: string; numeric: boolean; set: string; body: string; fileOptions?: string }
  | { kind: "if"; negate: boolean; ignoreCase: boolean; cond: IfCondition; body: string }
  | { kind: "syntaxError" };

export type IfCondition =
  | { kind: "errorlevel"; n: number }
  | { kind: "defined"; name: string }
  | { kind: "exist"; path: string }
  | { kind: "compare"; op: "==" | "EQU" | "NEQ" | "LSS" | "LEQ" | "GTR" | "GEQ"; a: string; b: string };

export interface Seq {
  items: { op: "&" | "&&" | "||" | null; pipeline: CmdNode[] }[];
}

export interface ParsedLine {
  seq: Seq;
}

/** Expand %VAR% (command-line rules: undefined names stay literal; %ERRORLEVEL%, %CD%, %RANDOM% are dynamic). */
export function expandVariables(line: string, proc: ProcState): string {
  let out = "";
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c !== "%") {
      out += c;
      i++;
      continue;
    }
    const end = line.indexOf("%", i + 1);
    if (end < 0) {
      out += line.slice(i);
      break;
    }
    const name = line.slice(i + 1, end);
    const value = name === "" ? undefined : lookupVariable(name, proc);
    if (value === undefined) {
      out += "%";
      i++;
    } else {
      out += value;
      i = end + 1;
    }
  }
  return out;
}

function lookupVariable(name: string, proc: ProcState): string | undefined {
  const v = proc.env.get(name);
  if (v !== undefined) return v;
  switch (name.toUpperCase()) {
    case "ERRORLEVEL":
      return String(proc.errorLevel);
    case "CD":
      return proc.cwd;
    case "CMDCMDLINE":
      return `${proc.env.get("ComSpec") ?? "cmd.exe"} /c`;
    default:
      return undefined;
  }
}

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  parseLine(): Seq {
    const seq = this.parseSeq(0);
    return seq;
  }

  private ws(): void {
    while (this.i < this.s.length && /[ \t\r\n]/.test(this.s[this.i] ?? "")) this.i++;
  }

  private parseSeq(depth: number): Seq {
    const items: Seq["items"] = [];
    let op: "&" | "&&" | "||" | null = null;
    for (;;) {
      this.ws();
      if (this.i >= this.s.length || (depth > 0 && this.s[this.i] === ")")) break;
      items.push({ op, pipeline: this.parsePipeline(depth) });
      this.ws();
      if (this.s.startsWith("&&", this.i)) {
        op = "&&";
        this.i += 2;
      } else if (this.s.startsWith("||", this.i)) {
        op = "||";
        this.i += 2;
      } else if (this.s[this.i] === "&") {
        op = "&";
        this.i += 1;
      } else {
        break;
      }
    }
    return { items };
  }

  private parsePipeline(depth: number): CmdNode[] {
    const cmds = [this.parseCommand(depth)];
    for (;;) {
      this.ws();
      if (this.s[this.i] === "|" && this.s[this.i + 1] !== "|") {
        this.i++;
        cmds.push(this.parseCommand(depth));
      } else {
        break;
      }
    }
    return cmds;
  }

  /** Index just past the body that runs to the end of the line or of the enclosing parentheses. */
  private bodyEnd(depth: number): number {
    let j = this.i;
    let inQuotes = false;
    let nest = 0;
    while (j < this.s.length) {
      const c = this.s[j];
      if (c === '"') inQuotes = !inQuotes;
      else if (!inQuotes && c === "^") j++;
      else if (!inQuotes && c === "(") nest++;
      else if (!inQuotes && c === ")") {
        if (nest === 0 && depth > 0) break;
        nest--;
      }
      j++;
    }
    return Math.min(j, this.s.length);
  }

  private parseCommand(depth: number): CmdNode {
    this.ws();
    if (this.s[this.i] === "(") {
      this.i++;
      const body = this.parseSeq(depth + 1);
      if (this.s[this.i] === ")") this.i++;
      else return { kind: "syntaxError" };
      const rest = this.parseSimple(depth);
      return { kind: "group", body, redirs: rest.redirs };
    }
    const tail = this.s.slice(this.i);
    const forF = FOR_F_HEAD.exec(tail);
    if (forF) {
      this.i += forF[0].length;
      const end = this.bodyEnd(depth);
      const body = this.s.slice(this.i, end);
      this.i = end;
      return { kind: "for", variable: (forF[2] ?? "").replace(/^%%/, "%"), numeric: false, set: forF[3] ?? "", body, fileOptions: forF[1] ?? "" };
    }
    const forM = /^@?\s*for\s+(\/L\s+)?(%%?[A-Za-z])\s+in\s*\(([^)]*)\)\s*do\s+/i.exec(tail);
    if (forM) {
      this.i += forM[0].length;
      const end = this.bodyEnd(depth);
      const body = this.s.slice(this.i, end);
      this.i = end;
      return { kind: "for", variable: (forM[2] ?? "").replace(/^%%/, "%"), numeric: forM[1] !== undefined, set: forM[3] ?? "", body };
    }
    if (/^@?\s*for\s/i.test(tail)) return this.syntaxErrorToEnd(depth);
    const ifM = /^@?\s*if\s+(\/i\s+)?(not\s+)?/i.exec(tail);
    if (ifM) {
      this.i += ifM[0].length;
      const cond = this.parseIfCondition();
      if (!cond) return this.syntaxErrorToEnd(depth);
      this.ws();
      const end = this.bodyEnd(depth);
      const body = this.s.slice(this.i, end);
      this.i = end;
      return { kind: "if", negate: ifM[2] !== undefined, ignoreCase: ifM[1] !== undefined, cond, body };
    }
    return this.parseSimple(depth);
  }

  private syntaxErrorToEnd(depth: number): CmdNode {
    this.i = this.bodyEnd(depth);
    return { kind: "syntaxError" };
  }

  private word(): string | undefined {
    this.ws();
    const m = /^("[^"]*"|[^\s=]+)/.exec(this.s.slice(this.i));
    if (!m) return undefined;
    this.i += m[0].length;
    return m[0];
  }

  private parseIfCondition(): IfCondition | undefined {
    const tail = this.s.slice(this.i);
    let m = /^errorlevel\s+(\d+)\s+/i.exec(tail);
    if (m) {
      this.i += m[0].length;
      return { kind: "errorlevel", n: Number(m[1]) };
    }
    m = /^defined\s+(\S+)\s+/i.exec(tail);
    if (m) {
      this.i += m[0].length;
      return { kind: "defined", name: m[1] ?? "" };
    }
    m = /^exist\s+("[^"]*"|\S+)\s+/i.exec(tail);
    if (m) {
      this.i += m[0].length;
      return { kind: "exist", path: (m[1] ?? "").replace(/"/g, "") };
    }
    const a = this.word();
    if (a === undefined) return undefined;
    this.ws();
    if (this.s.startsWith("==", this.i)) {
      this.i += 2;
      const b = this.word();
      return b === undefined ? undefined : { kind: "compare", op: "==", a, b };
    }
    const opM = /^(EQU|NEQ|LSS|LEQ|GTR|GEQ)\s+/i.exec(this.s.slice(this.i));
    if (!opM) return undefined;
    this.i += opM[0].length;
    const b = this.word();
    const op = (opM[1] ?? "").toUpperCase() as "EQU" | "NEQ" | "LSS" | "LEQ" | "GTR" | "GEQ";
    return b === undefined ? undefined : { kind: "compare", op, a, b };
  }

  private parseSimple(depth: number): { kind: "simple"; text: string; redirs: Redir[] } {
    let text = "";
    const redirs: Redir[] = [];
    let inQuotes = false;
    while (this.i < this.s.length) {
      const c = this.s[this.i] ?? "";
      if (c === '"') {
        inQuotes = !inQuotes;
        text += c;
        this.i++;
        continue;
      }
      if (inQuotes) {
        text += c;
        this.i++;
        continue;
      }
      if (c === "^") {
        text += this.s[this.i + 1] ?? "";
        this.i += 2;
        continue;
      }
      if (c === "&" || c === "|" || (c === ")" && depth > 0)) break;
      const atTokenStart = text === "" || /\s$/.test(text);
      if (c === ">" || c === "<" || (/[0-9]/.test(c) && atTokenStart && (this.s[this.i + 1] === ">" || this.s[this.i + 1] === "<"))) {
        redirs.push(this.parseRedir(depth));
        continue;
      }
      text += c;
      this.i++;
    }
    return { kind: "simple", text, redirs };
  }

  private parseRedir(depth: number): Redir {
    let fd: number | undefined;
    const c = this.s[this.i] ?? "";
    if (/[0-9]/.test(c)) {
      fd = Number(c);
      this.i++;
    }
    let kind: Redir["kind"];
    if (this.s[this.i] === "<") {
      kind = "read";
      fd ??= 0;
      this.i++;
    } else {
      this.i++; // '>'
      kind = "write";
      if (this.s[this.i] === ">") {
        kind = "append";
        this.i++;
      }
      fd ??= 1;
    }
    if (this.s[this.i] === "&" && /[0-9]/.test(this.s[this.i + 1] ?? "")) {
      const target = this.s[this.i + 1] ?? "1";
      this.i += 2;
      return { fd, kind: "dup", target };
    }
    while (this.s[this.i] === " " || this.s[this.i] === "\t") this.i++;
    let target = "";
    let inQuotes = false;
    while (this.i < this.s.length) {
      const ch = this.s[this.i] ?? "";
      if (ch === '"') {
        inQuotes = !inQuotes;
        this.i++;
        continue;
      }
      if (!inQuotes && (/\s/.test(ch) || ch === "&" || ch === "|" || ch === "<" || ch === ">" || (ch === ")" && depth > 0))) break;
      target += ch;
      this.i++;
    }
    return { fd, kind, target };
  }
}

/**
 * Parse the line a `cmd /c` runs (the WinRM cmd shell runs every Command as `cmd.exe /c <line>`, MS-WSMV 2.2.4.7
 * WINRS_SKIP_CMD_SHELL), after its quote rule (slashCLine) and %VAR% expansion.
 */
export function parseCommandLine(line: string, proc: ProcState): ParsedLine {
  const isExecutable = (name: string): boolean => {
    const spec = resolveProgram(name, proc.host.profile);
    return spec !== undefined && spec.internal !== true;
  };
  return { seq: new Parser(expandVariables(slashCLine(line, isExecutable), proc)).parseLine() };
}

/**
 * What `cmd /c` makes of the quotes of the line after /c (`cmd /?`): they are kept when all of these hold: exactly two
 * quote characters, none of & < > ( ) @ ^ | between them, whitespace between them, and the text between them names an
 * executable file. Otherwise, when the line's first character is a quote, that quote and the line's last quote are
 * removed (text after the last quote stays).
 */
export function slashCLine(line: string, isExecutable: (name: string) => boolean): string {
  let start = 0;
  while (line[start] === " " || line[start] === "\t") start++;
  const t = line.slice(start);
  if (!t.startsWith('"')) return line;
  let quotes = 0;
  for (const c of t) if (c === '"') quotes++;
  if (quotes === 2) {
    const inner = t.slice(1, t.indexOf('"', 1));
    const special = [...inner].some((c) => "&<>()@^|".includes(c));
    if (!special && /\s/.test(inner) && isExecutable(inner)) return t;
  }
  const last = t.lastIndexOf('"');
  return last === 0 ? t.slice(1) : t.slice(1, last) + t.slice(last + 1);
}

/**
 * The argv a program receives when `line` is one simple command (no operator, no redirection, no group): the name as
 * cmd resolves it, then the arguments as the C runtime splits them (CommandLineToArgvW). undefined for any other line.
 * Tests check with it that a quoted line reaches the program as the words it was made from.
 */
export function programArgv(line: string, proc: ProcState): string[] | undefined {
  const { seq } = parseCommandLine(line, proc);
  const only = seq.items.length === 1 ? seq.items[0]?.pipeline : undefined;
  const node = only?.length === 1 ? only[0] : undefined;
  if (node?.kind !== "simple" || node.redirs.length > 0) return undefined;
  const w = splitCommandWord(node.text);
  return w === undefined ? undefined : [w.name, ...splitArgs(w.rest)];
}

/** Parse without %VAR% expansion (for / if bodies, already expanded with the line). */
function parseExpanded(text: string): Seq {
  return new Parser(text).parseLine();
}

interface CommandWord {
  name: string;
  rest: string;
}

function splitCommandWord(text: string): CommandWord | undefined {
  const t = text.replace(/^[\s@]+/, "");
  if (t === "") return undefined;
  // echo is special: "echo." "echo/" "echo:" print what follows the delimiter.
  const echoM = /^echo(?=$|[\s.\/:;,=(\[\]+\\])/i.exec(t);
  if (echoM) return { name: "echo", rest: t.slice(4) };
  let name: string;
  if (t.startsWith('"')) {
    const close = t.indexOf('"', 1);
    name = close < 0 ? t.slice(1) : t.slice(1, close);
    return { name, rest: close < 0 ? "" : t.slice(close + 1) };
  }
  const m = /^[^\s]+/.exec(t);
  name = m ? m[0] : t;
  return { name, rest: t.slice(name.length) };
}

/**
 * The program whose file is at `path`, as CreateProcess finds it when given the application name (WINRS_SKIP_CMD_SHELL
 * starts the program without cmd.exe): a partial path is completed with the current directory, and neither PATH nor
 * a default extension is tried. cmd.exe itself is System32\\cmd.exe.
 */
export function programFileExists(path: string, cwd: string, windir: string, profile: HostProfile): boolean {
  const p = path.trim().split("/").join("\\");
  const full = /^[a-z]:\\/i.test(p) ? p : p.startsWith("\\") ? cwd.slice(0, 2) + p : `${cwd.replace(/\\+$/, "")}\\${p}`;
  const wanted = full.toLowerCase();
  if (wanted === `${windir}\\System32\\cmd.exe`.toLowerCase()) return true;
  return Object.entries(PROGRAMS).some(
    ([name, spec]) =>
      spec.internal !== true &&
      (spec.available === undefined || spec.available(profile)) &&
      `${windir}\\${spec.file ?? `System32\\${name}.exe`}`.toLowerCase() === wanted,
  );
}

/** The program a command name resolves to on this host, or undefined ("is not recognized"). */
function resolveProgram(name: string, profile: HostProfile): ProgramSpec | undefined {
  const lower = name.toLowerCase();
  const hasPath = /[\\/:]/.test(lower);
  const base = lower.split(/[\\/]/).pop() ?? lower;
  const ext = /\.(exe|com|cmd|bat)$/.exec(base);
  const stem = ext ? base.slice(0, -ext[0].length) : base;
  const spec = PROGRAMS[stem];
  if (!spec) return undefined;
  if (spec.internal && (hasPath || ext)) return undefined;
  if (spec.available && !spec.available(profile)) return undefined;
  return spec;
}

function nodeReadsStdin(node: CmdNode, piped: boolean, profile: HostProfile): boolean {
  switch (node.kind) {
    case "simple": {
      if (piped || node.redirs.some((r) => r.fd === 0)) return false;
      const w = splitCommandWord(node.text);
      if (!w) return false;
      const lower = w.name.toLowerCase().split(/[\\/]/).pop() ?? "";
      const stem = lower.replace(/\.(exe|com|cmd|bat)$/, "");
      if (stem === "cmd") {
        const m = /^\s*((?:\/[a-z]\s*)*?)\/[ck]\s*(.*)$/is.exec(w.rest);
        if (!m) return false;
        const isExecutable = (name: string): boolean => {
          const spec = resolveProgram(name, profile);
          return spec !== undefined && spec.internal !== true;
        };
        return seqReadsStdin(parseExpanded(slashCLine(m[2] ?? "", isExecutable)), profile);
      }
      const spec = resolveProgram(w.name, profile);
      return spec?.readsStdin ? spec.readsStdin(splitArgs(w.rest)) : false;
    }
    case "group":
      return !piped && !node.redirs.some((r) => r.fd === 0) && seqReadsStdin(node.body, profile);
    case "for":
    case "if":
      return !piped && seqReadsStdin(parseExpanded(node.body), profile);
    default:
      return false;
  }
}

function seqReadsStdin(seq: Seq, profile: HostProfile): boolean {
  return seq.items.some((it) => it.pipeline.some((n, idx) => nodeReadsStdin(n, idx > 0, profile)));
}

/** Whether running this line reads the shell's stdin (first command of a pipeline that is a stdin reader). */
export function readsStdin(parsed: ParsedLine, profile?: HostProfile): boolean {
  // The profile only changes availability (e.g. powershell on 2003); without it assume the program exists.
  const p = profile ?? ({ hasProxycfg: true, hasPowerShell: true, hasNetshWinhttp: true } as HostProfile);
  return seqReadsStdin(parsed.seq, p);
}


class Runner {
  constructor(
    private readonly proc: ProcState,
    private readonly processStdin: string,
    private readonly stdout: Sink,
    private readonly stderr: Sink,
  ) {}

  async runSeq(seq: Seq, io: { stdin: string; stdout: Sink; stderr: Sink }): Promise<number> {
    let last = 0;
    for (const item of seq.items) {
      if (this.proc.exited) break;
      if (item.op === "&&" && last !== 0) continue;
      if (item.op === "||" && last === 0) continue;
      last = await this.runPipeline(item.pipeline, io);
    }
    return last;
  }

  private async runPipeline(nodes: CmdNode[], io: { stdin: string; stdout: Sink; stderr: Sink }): Promise<number> {
    let input = io.stdin;
    let code = 0;
    for (let k = 0; k < nodes.length; k++) {
      const node = nodes[k];
      if (!node) continue;
      const isLast = k === nodes.length - 1;
      const pipeOut = isLast ? io.stdout : new StringSink();
      code = await this.runNode(node, { stdin: input, stdout: pipeOut, stderr: io.stderr });
      if (!isLast) input = (pipeOut as StringSink).text;
      if (this.proc.exited) break;
    }
    return code;
  }

  /** Apply redirections; returns undefined (after printing the error) when an input file is missing. */
  private redirect(redirs: Redir[], io: ProgramIO): ProgramIO | undefined {
    let stdin = io.stdin;
    const fds: Sink[] = [NUL_SINK, io.stdout, io.stderr];
    for (const r of redirs) {
      if (r.kind === "dup") {
        fds[r.fd] = fds[Number(r.target)] ?? NUL_SINK;
      } else if (r.kind === "read") {
        const content = this.readFile(r.target);
        if (content === undefined) {
          io.stderr.write(`${this.proc.strings.cmd.fileNotFound}\r\n`);
          return undefined;
        }
        stdin = content;
      } else {
        fds[r.fd] = this.fileSink(r.target, r.kind === "append");
      }
    }
    return { stdin, stdout: fds[1] ?? NUL_SINK, stderr: fds[2] ?? NUL_SINK };
  }

  private filePath(name: string): string {
    const n = name.replace(/\//g, "\\");
    const abs = /^[a-z]:\\/i.test(n) ? n : `${this.proc.cwd.replace(/\\$/, "")}\\${n}`;
    return abs.toLowerCase();
  }

  private readFile(name: string): string | undefined {
    if (name.toLowerCase() === "nul") return "";
    return this.proc.host.files.get(this.filePath(name));
  }

  private fileSink(name: string, append: boolean): Sink {
    if (name.toLowerCase() === "nul") return NUL_SINK;
    const files = this.proc.host.files;
    const path = this.filePath(name);
    if (!append || !files.has(path)) files.set(path, "");
    return { write: (t: string) => void files.set(path, (files.get(path) ?? "") + t) };
  }

  private async runNode(node: CmdNode, io: ProgramIO): Promise<number> {
    const proc = this.proc;
    switch (node.kind) {
      case "syntaxError":
        io.stderr.write(`${proc.strings.cmd.syntaxIncorrect}\r\n`);
        proc.errorLevel = 1;
        return 1;
      case "group": {
        const rio = this.redirect(node.redirs, io);
        if (!rio) return this.fail(1);
        return this.runSeq(node.body, rio);
      }
      case "for":
        return this.runFor(node, io);
      case "if":
        return this.runIf(node, io);
      case "simple":
        return this.runSimple(node, io);
    }
  }

  private fail(code: number): number {
    this.proc.errorLevel = code;
    return code;
  }

  private async runFor(node: Extract<CmdNode, { kind: "for" }>, io: ProgramIO): Promise<number> {
    if (node.fileOptions !== undefined) return this.runForF(node, node.fileOptions, io);
    let values: string[];
    if (node.numeric) {
      const nums = node.set.split(/[\s,;=]+/).filter((x) => x !== "").map((x) => Number.parseInt(x, 10) || 0);
      const [start = 0, step = 0, end = 0] = nums;
      values = [];
      if (step === 0) return this.fail(0);
      for (let v = start; step > 0 ? v <= end : v >= end; v += step) values.push(String(v));
    } else {
      values = node.set.split(/[\s,;=]+/).filter((x) => x !== "");
    }
    const re = new RegExp(`%%?${node.variable.slice(1).replace(/[^A-Za-z]/g, "")}`, "g");
    let last = 0;
    // Substituted and parsed per iteration: simpler than cmd (which parses the body once, so operators inside a
    // value stay literal there); the values used here are numbers and plain words.
    for (const v of values) {
      if (this.proc.exited) break;
      const text = node.body.replace(re, () => v);
      last = await this.runSeq(parseExpanded(text), io);
    }
    return last;
  }

  /** `for /f` over a file's lines (cmdForF.ts). */
  private async runForF(node: Extract<CmdNode, { kind: "for" }>, optionText: string, io: ProgramIO): Promise<number> {
    const parsed = parseForFOptions(optionText);
    const quoted = node.set.startsWith('"');
    if (parsed === undefined || quoted !== parsed.usebackq) {
      io.stderr.write(`${optionText} was unexpected at this time.\r\n`);
      return this.fail(255);
    }
    const name = quoted ? node.set.slice(1, -1) : node.set;
    const text = this.proc.host.files.get(this.filePath(name));
    if (text === undefined) {
      io.stderr.write(`The system cannot find the file ${name}.\r\n`);
      return this.fail(1);
    }
    let last = 0;
    for (const values of forFIterations(parsed.options, node.variable.slice(1), text)) {
      if (this.proc.exited) break;
      // Substituted per iteration (cmd parses the body once); the copy's values are digits and base64.
      let body = node.body;
      for (const [v, value] of values) body = body.replace(new RegExp(`%%?${v}`, "g"), () => value);
      last = await this.runSeq(parseExpanded(body), io);
    }
    return last;
  }

  private async runIf(node: Extract<CmdNode, { kind: "if" }>, io: ProgramIO): Promise<number> {
    const proc = this.proc;
    const c = node.cond;
    let result: boolean;
    switch (c.kind) {
      case "errorlevel":
        result = proc.errorLevel >= c.n;
        break;
      case "defined":
        result = proc.env.get(c.name) !== undefined;
        break;
      case "exist":
        result = proc.host.files.has(this.filePath(c.path));
        break;
      case "compare": {
        let a = c.a;
        let b = c.b;
        if (node.ignoreCase) {
          a = a.toLowerCase();
          b = b.toLowerCase();
        }
        if (c.op === "==") {
          result = a === b;
        } else {
          const na = Number(a.replace(/"/g, ""));
          const nb = Number(b.replace(/"/g, ""));
          const numeric = !Number.isNaN(na) && !Number.isNaN(nb) && a.trim() !== "" && b.trim() !== "";
          const cmp = numeric ? na - nb : a < b ? -1 : a > b ? 1 : 0;
          result = { EQU: cmp === 0, NEQ: cmp !== 0, LSS: cmp < 0, LEQ: cmp <= 0, GTR: cmp > 0, GEQ: cmp >= 0 }[c.op];
        }
        break;
      }
    }
    if (node.negate) result = !result;
    if (!result) return 0;
    return this.runSeq(parseExpanded(node.body), io);
  }

  private async runSimple(node: Extract<CmdNode, { kind: "simple" }>, io: ProgramIO): Promise<number> {
    const proc = this.proc;
    const rio = this.redirect(node.redirs, io);
    if (!rio) return this.fail(1);
    const w = splitCommandWord(node.text);
    if (!w) return proc.errorLevel;
    if (w.name === "echo") {
      echoProgram(proc, rio, [], w.rest);
      return 0;
    }
    const stem = (w.name.toLowerCase().split(/[\\/]/).pop() ?? "").replace(/\.(exe|com)$/, "");
    if (stem === "cmd") return this.runNestedCmd(w.rest, rio);
    const spec = resolveProgram(w.name, proc.host.profile);
    if (!spec) {
      rio.stderr.write(`${proc.strings.cmd.notRecognized(w.name)}\r\n`);
      return this.fail(9009);
    }
    const code = await spec.run(proc, rio, splitArgs(w.rest), w.rest);
    if (spec.keepsErrorLevel) return code;
    proc.errorLevel = code;
    return code;
  }

  /** `cmd [/s] [/d] [/q] /c <line>`: a child cmd with a copy of the environment and the same console. */
  private async runNestedCmd(rest: string, io: ProgramIO): Promise<number> {
    const m = /^\s*((?:\/[a-z]\s*)*?)\/[ck]\s*(.*)$/is.exec(rest);
    if (!m) return this.fail(0); // an interactive cmd with no /c would wait for input; nothing to do here
    const child: ProcState = { ...this.proc, env: this.proc.env.clone(), errorLevel: 0, exited: false };
    // parseCommandLine applies cmd /c's quote rule to the child's line, as the child cmd.exe does.
    const line = m[2] ?? "";
    const runner = new Runner(child, this.processStdin, this.stdout, this.stderr);
    await runner.runSeq(parseCommandLine(line, child).seq, io);
    this.proc.codePage = child.codePage;
    return this.fail(child.errorLevel);
  }
}

/** Run a parsed line: stdin bytes are decoded with the console code page; returns the exit code (final ERRORLEVEL). */
export async function runParsed(parsed: ParsedLine, proc: ProcState, stdin: Buffer, stdout: Sink, stderr: Sink): Promise<number> {
  const text = decodeCodePage(stdin, proc.codePage);
  const runner = new Runner(proc, text, stdout, stderr);
  await runner.runSeq(parsed.seq, { stdin: text, stdout, stderr });
  return proc.errorLevel;
}
