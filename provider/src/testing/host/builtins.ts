/**
 * cmd.exe built-ins and the small console tools every Windows version has: echo, set, exit, ver, chcp, cd, type, rem,
 * hostname, whoami, more, findstr, sort. Messages come from the locale table; values are printed as stored.
 */
import type { ProgramSpec } from "./cmd.js";
import { codePageSupported, toCrlf, type ProcState, type ProgramIO } from "./process.js";

/** Split text into lines without the final empty one. */
function lines(text: string): string[] {
  if (text === "") return [];
  const ls = text.split(/\r?\n/);
  if (ls[ls.length - 1] === "") ls.pop();
  return ls;
}

/**
 * echo: `rest` is what follows the word "echo", delimiter included. A space delimiter is dropped; "echo." /
 * "echo:" print what follows (possibly nothing); a bare echo prints the ECHO state.
 */
export function echoProgram(proc: ProcState, io: ProgramIO, _args: string[], rest: string): number {
  const delim = rest[0];
  if (delim === undefined || /\s/.test(delim)) {
    const msg = rest.slice(1);
    if (msg.trim() === "") {
      io.stdout.write(`${proc.strings.cmd.echoIsOn}\r\n`);
    } else if (/^\s*(on|off)\s*$/i.test(msg)) {
      // `echo off` changes the echo state only (nothing is echoed under cmd /c anyway)
    } else {
      io.stdout.write(`${msg}\r\n`);
    }
    return 0;
  }
  io.stdout.write(`${rest.slice(1)}\r\n`);
  return 0;
}

/** A minimal `set /a`: integers, + - * / %, parentheses, unary minus, variable names. */
function evalArithmetic(expr: string, proc: ProcState): number | undefined {
  const tokens = expr.match(/\d+|[A-Za-z_][\w]*|[-+*/%()]/g) ?? [];
  let pos = 0;
  const peek = (): string | undefined => tokens[pos];
  const primary = (): number | undefined => {
    const t = tokens[pos++];
    if (t === undefined) return undefined;
    if (t === "(") {
      const v = sum();
      if (tokens[pos++] !== ")") return undefined;
      return v;
    }
    if (t === "-") {
      const v = primary();
      return v === undefined ? undefined : -v;
    }
    if (/^\d+$/.test(t)) return Number(t);
    if (/^[A-Za-z_]/.test(t)) return Number.parseInt(proc.env.get(t) ?? "0", 10) || 0;
    return undefined;
  };
  const product = (): number | undefined => {
    let v = primary();
    while (v !== undefined && (peek() === "*" || peek() === "/" || peek() === "%")) {
      const op = tokens[pos++];
      const r = primary();
      if (r === undefined) return undefined;
      if ((op === "/" || op === "%") && r === 0) return undefined;
      v = op === "*" ? v * r : op === "/" ? Math.trunc(v / r) : v % r;
    }
    return v;
  };
  const sum = (): number | undefined => {
    let v = product();
    while (v !== undefined && (peek() === "+" || peek() === "-")) {
      const op = tokens[pos++];
      const r = product();
      if (r === undefined) return undefined;
      v = op === "+" ? v + r : v - r;
    }
    return v;
  };
  const v = sum();
  return pos === tokens.length ? v : undefined;
}

function setProgram(proc: ProcState, io: ProgramIO, _args: string[], rest: string): number {
  let t = rest.replace(/^\s+/, "");
  const cmd = proc.strings.cmd;
  if (/^\/a\s*/i.test(t)) {
    const expr = t.replace(/^\/a\s*/i, "").replace(/"/g, "");
    const assign = /^\s*([A-Za-z_][\w]*)\s*=(.*)$/.exec(expr);
    const value = evalArithmetic(assign ? (assign[2] ?? "") : expr, proc);
    if (value === undefined) {
      io.stderr.write(`${cmd.syntaxIncorrect}\r\n`);
      return 1073750988; // 0x400023CC, what cmd sets for a bad set /a expression
    }
    if (assign) proc.env.set(assign[1] ?? "", String(value));
    // On the command line (not in a batch file) set /a prints the result without a newline.
    io.stdout.write(String(value));
    return 0;
  }
  if (/^\/p\s*/i.test(t)) {
    const m = /^([^=]+)=(.*)$/.exec(t.replace(/^\/p\s*/i, "").replace(/^"(.*)"$/, "$1"));
    if (!m) {
      io.stderr.write(`${cmd.syntaxIncorrect}\r\n`);
      return 1;
    }
    io.stdout.write(m[2] ?? "");
    const first = lines(io.stdin)[0];
    if (first === undefined) return 1;
    proc.env.set(m[1] ?? "", first);
    return 0;
  }
  if (t.startsWith('"')) {
    // set "NAME=value" drops the quotes and anything after the closing one
    const close = t.lastIndexOf('"');
    t = close > 0 ? t.slice(1, close) : t.slice(1);
  }
  const eq = t.indexOf("=");
  if (eq < 0) {
    const prefix = t.trimEnd();
    const found = proc.env.entries().filter(([k]) => k.toUpperCase().startsWith(prefix.toUpperCase()));
    if (found.length === 0) {
      io.stderr.write(`${cmd.envNotDefined(prefix)}\r\n`);
      return 1;
    }
    io.stdout.write(found.map(([k, v]) => `${k}=${v}\r\n`).join(""));
    return 0;
  }
  const name = t.slice(0, eq);
  const value = t.slice(eq + 1);
  if (name === "") {
    io.stderr.write(`${cmd.syntaxIncorrect}\r\n`);
    return 1;
  }
  if (value === "") proc.env.delete(name);
  else proc.env.set(name, value);
  return 0;
}

function exitProgram(proc: ProcState, _io: ProgramIO, args: string[]): number {
  const rest = args[0]?.toLowerCase() === "/b" ? args.slice(1) : args;
  const n = rest[0] !== undefined ? Number.parseInt(rest[0], 10) : Number.NaN;
  proc.exited = true;
  return Number.isNaN(n) ? proc.errorLevel : n;
}

function verProgram(proc: ProcState, io: ProgramIO): number {
  io.stdout.write(`\r\nMicrosoft Windows [${proc.strings.cmd.versionWord} ${proc.host.profile.verNumber}]\r\n`);
  return 0;
}

function chcpProgram(proc: ProcState, io: ProgramIO, args: string[]): number {
  const arg = args[0];
  if (arg === undefined) {
    io.stdout.write(`${proc.strings.cmd.activeCodePage(proc.codePage)}\r\n`);
    return 0;
  }
  const cp = Number(arg);
  // The 2003 console has no usable UTF-8 code page (profiles.ts); the emulator refuses it there.
  const ok = Number.isInteger(cp) && codePageSupported(cp) && (cp !== 65001 || proc.host.profile.supportsUtf8CodePage);
  if (!ok) {
    io.stderr.write(`${proc.strings.cmd.invalidCodePage}\r\n`);
    return 1;
  }
  proc.codePage = cp;
  io.stdout.write(`${proc.strings.cmd.activeCodePage(cp)}\r\n`);
  return 0;
}

function cdProgram(proc: ProcState, io: ProgramIO, args: string[], rest: string): number {
  const target = rest.trim().replace(/^\/d\s+/i, "").replace(/"/g, "");
  if (args.length === 0 || target === "") {
    io.stdout.write(`${proc.cwd}\r\n`);
    return 0;
  }
  proc.cwd = /^[a-z]:\\/i.test(target) ? target.replace(/\\$/, "") : `${proc.cwd.replace(/\\$/, "")}\\${target}`;
  return 0;
}

function typeProgram(proc: ProcState, io: ProgramIO, args: string[]): number {
  let code = 0;
  for (const name of args) {
    if (name.toLowerCase() === "nul") continue; // the NUL device: nothing to print (`type nul > f` makes an empty file)
    const n = name.replace(/\//g, "\\");
    const path = (/^[a-z]:\\/i.test(n) ? n : `${proc.cwd.replace(/\\$/, "")}\\${n}`).toLowerCase();
    const content = proc.host.files.get(path);
    if (content === undefined) {
      io.stderr.write(`${proc.strings.cmd.fileNotFound}\r\n`);
      code = 1;
      continue;
    }
    io.stdout.write(content);
  }
  return code;
}

function moreProgram(_proc: ProcState, io: ProgramIO): number {
  // Over a pipe, more copies its input, each line ending in CRLF (no paging: there is no console).
  const ls = lines(io.stdin);
  if (ls.length > 0) io.stdout.write(toCrlf(ls.join("\n") + "\n"));
  return 0;
}

function sortProgram(_proc: ProcState, io: ProgramIO, args: string[]): number {
  const reverse = args.some((a) => a.toLowerCase() === "/r");
  const ls = lines(io.stdin).sort((a, b) => {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  });
  if (reverse) ls.reverse();
  io.stdout.write(ls.map((l) => `${l}\r\n`).join(""));
  return 0;
}

function findstrRegex(pattern: string): RegExp {
  // findstr's regex dialect is a subset of JavaScript's: . * ^ $ [class] [^class] \x \< \>
  const js = pattern.replace(/\\</g, "\\b").replace(/\\>/g, "\\b");
  return new RegExp(js);
}

function findstrProgram(proc: ProcState, io: ProgramIO, args: string[]): number {
  let ignoreCase = false;
  let invert = false;
  let number = false;
  let regex = false;
  let begin = false;
  let end = false;
  let exact = false;
  const patterns: string[] = [];
  const files: string[] = [];
  for (const a of args) {
    if (a.startsWith("/")) {
      const opt = a.slice(1);
      const lower = opt.toLowerCase();
      if (lower.startsWith("c:")) patterns.push(opt.slice(2));
      else
        for (const ch of lower) {
          if (ch === "i") ignoreCase = true;
          else if (ch === "v") invert = true;
          else if (ch === "n") number = true;
          else if (ch === "r") regex = true;
          else if (ch === "l") regex = false;
          else if (ch === "b") begin = true;
          else if (ch === "e") end = true;
          else if (ch === "x") exact = true;
        }
    } else if (patterns.length === 0) {
      patterns.push(...a.split(/\s+/).filter((p) => p !== ""));
    } else {
      files.push(a);
    }
  }
  if (patterns.length === 0) {
    io.stderr.write("FINDSTR: Bad command line\r\n");
    return 2;
  }
  let input = io.stdin;
  if (files.length > 0) {
    input = "";
    for (const f of files) {
      const path = (/^[a-z]:\\/i.test(f) ? f : `${proc.cwd.replace(/\\$/, "")}\\${f}`).toLowerCase();
      const content = proc.host.files.get(path);
      if (content === undefined) {
        io.stderr.write(`FINDSTR: Cannot open ${f}\r\n`);
        continue;
      }
      input += content;
    }
  }
  const norm = (s: string): string => (ignoreCase ? s.toLowerCase() : s);
  const matchers = patterns.map((p) => {
    if (regex) {
      const re = findstrRegex(p);
      const flags = ignoreCase ? "i" : "";
      const src = exact ? `^(?:${re.source})$` : `${begin ? "^" : ""}${re.source}${end ? "$" : ""}`;
      const r = new RegExp(src, flags);
      return (l: string): boolean => r.test(l);
    }
    const np = norm(p);
    return (l: string): boolean => {
      const nl = norm(l);
      if (exact) return nl === np;
      if (begin && end) return nl === np;
      if (begin) return nl.startsWith(np);
      if (end) return nl.endsWith(np);
      return nl.includes(np);
    };
  });
  let matched = 0;
  let out = "";
  lines(input).forEach((l, idx) => {
    const hit = matchers.some((m) => m(l));
    if (hit !== invert) {
      matched++;
      out += `${number ? `${idx + 1}:` : ""}${l}\r\n`;
    }
  });
  io.stdout.write(out);
  return matched > 0 ? 0 : 1;
}

function hostnameProgram(proc: ProcState, io: ProgramIO): number {
  io.stdout.write(`${proc.host.computerName}\r\n`);
  return 0;
}

function whoamiProgram(proc: ProcState, io: ProgramIO): number {
  const user = proc.env.get("USERNAME") ?? proc.host.userName;
  const domain = proc.env.get("USERDOMAIN") ?? proc.host.domain;
  io.stdout.write(`${domain.toLowerCase()}\\${user.toLowerCase()}\r\n`);
  return 0;
}

/** Most echo requests one `ping` sends (each waits a second): a command stays bounded in time. */
const PING_MAX_COUNT = 60;

/**
 * `ping [-n count] host`: cmd has no sleep, so scripts wait with `ping -n 2 127.0.0.1 >nul` (about one second per
 * reply after the first). Every host answers, from loopback, in under a millisecond; one reply per second, printed as
 * it comes, so long-running commands stream their output. English text only (tests redirect it to nul).
 */
async function pingProgram(_proc: ProcState, io: ProgramIO, args: string[]): Promise<number> {
  let count = 4;
  let target: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? "";
    if (a.toLowerCase() === "-n" || a.toLowerCase() === "/n") {
      const n = Number(args[++i]);
      if (!Number.isInteger(n) || n < 1) {
        io.stderr.write("Bad value for option -n, valid range is from 1 to 4294967295.\r\n");
        return 1;
      }
      count = Math.min(n, PING_MAX_COUNT);
    } else if (!a.startsWith("-") && !a.startsWith("/")) target = a;
  }
  if (target === undefined) {
    io.stdout.write("Usage: ping [-n count] target_name\r\n");
    return 1;
  }
  io.stdout.write(`\r\nPinging ${target} with 32 bytes of data:\r\n`);
  for (let i = 0; i < count; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 1000));
    io.stdout.write(`Reply from ${target}: bytes=32 time<1ms TTL=128\r\n`);
  }
  io.stdout.write(`\r\nPing statistics for ${target}:\r\n    Packets: Sent = ${count}, Received = ${count}, Lost = 0 (0% loss),\r\n`);
  return 0;
}

const noop = (): number => 0;

/** findstr reads stdin when no file is named: with /C: every other argument is a file, else all but the first. */
function findstrReadsStdin(args: string[]): boolean {
  const hasC = args.some((a) => /^\/c:/i.test(a));
  const plain = args.filter((a) => !a.startsWith("/")).length;
  return plain - (hasC ? 0 : 1) <= 0;
}

export const BUILTIN_PROGRAMS: Record<string, ProgramSpec> = {
  echo: { run: echoProgram, internal: true, keepsErrorLevel: true },
  rem: { run: noop, internal: true, keepsErrorLevel: true },
  cls: { run: noop, internal: true, keepsErrorLevel: true },
  title: { run: noop, internal: true, keepsErrorLevel: true },
  set: { run: setProgram, internal: true, readsStdin: (args) => args[0]?.toLowerCase() === "/p" },
  exit: { run: exitProgram, internal: true },
  ver: { run: verProgram, internal: true },
  cd: { run: cdProgram, internal: true },
  chdir: { run: cdProgram, internal: true },
  type: { run: typeProgram, internal: true },
  chcp: { run: chcpProgram },
  more: { run: moreProgram, readsStdin: (args) => args.length === 0 },
  sort: { run: sortProgram, readsStdin: (args) => args.every((a) => a.startsWith("/")) },
  findstr: { run: findstrProgram, readsStdin: findstrReadsStdin },
  hostname: { run: hostnameProgram },
  whoami: { run: whoamiProgram },
  ping: { run: pingProgram },
};
