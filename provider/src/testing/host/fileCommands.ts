/**
 * cmd's file commands over the host's file system (fileSystem.ts), the subset a file copy to a cmd-only host uses:
 * `del`/`erase` [/f] [/q], `mkdir`/`md` (with command extensions: parents too), `rd`/`rmdir` [/s] [/q],
 * `move` [/y], `dir /b` [/s] [/a-d], and certutil.exe `-decode` [-f] and `-hashfile FILE [ALGORITHM]`.
 * Switches outside these are refused with cmd's "Invalid switch" (ERRORLEVEL 1); other forms of `dir` (the
 * localized listing) are not emulated and say so on stderr.
 *
 * certutil facts: `-decode` reads base64 with or without the -----BEGIN/END----- lines, whitespace ignored, and
 * refuses an existing output file unless -f (ERROR_FILE_EXISTS). `-hashfile` without an algorithm is SHA-1; Windows
 * Server 2003 has no SHA-2 in its CryptoAPI without KB938397, so there the SHA256 argument fails (NTE_BAD_ALGID);
 * Vista / 2008 and later compute it. Up to Windows 8 / 2012 the hex bytes print separated by spaces.
 */
import { createHash } from "node:crypto";
import type { ProgramSpec } from "./cmd.js";
import { FsError, normalizeHostPath } from "./fileSystem.js";
import type { ProcState, ProgramIO } from "./process.js";

function abs(proc: ProcState, name: string): string {
  const n = name.replace(/\//g, "\\");
  return normalizeHostPath(/^[a-z]:\\/i.test(n) || n.startsWith("\\\\") ? n : `${proc.cwd.replace(/\\$/, "")}\\${n}`);
}

function split(args: string[], known: string): { switches: Set<string>; names: string[]; bad?: string } {
  const switches = new Set<string>();
  const names: string[] = [];
  for (const a of args) {
    if (a.startsWith("/")) {
      const s = a.slice(1).toLowerCase();
      if (!known.split(",").includes(s)) return { switches, names, bad: a };
      switches.add(s);
    } else names.push(a);
  }
  return { switches, names };
}

function invalidSwitch(io: ProgramIO, sw: string): number {
  io.stderr.write(`Invalid switch - "${sw.slice(1)}".\r\n`);
  return 1;
}

function delProgram(proc: ProcState, io: ProgramIO, args: string[]): number {
  const a = split(args, "f,q");
  if (a.bad !== undefined) return invalidSwitch(io, a.bad);
  if (a.names.length === 0) {
    io.stderr.write(`${proc.strings.cmd.syntaxIncorrect}\r\n`);
    return 1;
  }
  for (const n of a.names) {
    const p = abs(proc, n);
    // del of a missing file prints "Could Not Find" but leaves ERRORLEVEL 0.
    if (!proc.host.fs.isFile(p)) io.stderr.write(`Could Not Find ${p}\r\n`);
    else proc.host.fs.deleteFile(p);
  }
  return 0;
}

function mkdirProgram(proc: ProcState, io: ProgramIO, args: string[]): number {
  if (args.length === 0) {
    io.stderr.write(`${proc.strings.cmd.syntaxIncorrect}\r\n`);
    return 1;
  }
  let code = 0;
  for (const n of args) {
    const p = abs(proc, n);
    if (proc.host.fs.isDirectory(p) || proc.host.fs.isFile(p)) {
      io.stderr.write(`A subdirectory or file ${n} already exists.\r\n`);
      code = 1;
      continue;
    }
    try {
      proc.host.fs.mkdirs(p);
    } catch (e) {
      if (!(e instanceof FsError)) throw e;
      io.stderr.write(`${proc.strings.cmd.fileNotFound}\r\n`);
      code = 1;
    }
  }
  return code;
}

function rdProgram(proc: ProcState, io: ProgramIO, args: string[]): number {
  const a = split(args, "s,q");
  if (a.bad !== undefined) return invalidSwitch(io, a.bad);
  let code = 0;
  for (const n of a.names) {
    try {
      proc.host.fs.deleteDirectory(abs(proc, n), a.switches.has("s"));
    } catch (e) {
      if (!(e instanceof FsError)) throw e;
      io.stderr.write(e.kind === "notEmpty" ? "The directory is not empty.\r\n" : `${proc.strings.cmd.fileNotFound}\r\n`);
      code = 2;
    }
  }
  return code;
}

function moveProgram(proc: ProcState, io: ProgramIO, args: string[]): number {
  const a = split(args, "y,-y");
  if (a.bad !== undefined) return invalidSwitch(io, a.bad);
  const [from, to] = a.names;
  if (from === undefined || to === undefined || a.names.length !== 2) {
    io.stderr.write(`${proc.strings.cmd.syntaxIncorrect}\r\n`);
    return 1;
  }
  const src = abs(proc, from);
  let dst = abs(proc, to);
  const fs = proc.host.fs;
  if (!fs.isFile(src)) {
    io.stderr.write(`${proc.strings.cmd.fileNotFound}\r\n`);
    return 1;
  }
  if (fs.isDirectory(dst)) dst = `${dst}\\${src.slice(src.lastIndexOf("\\") + 1)}`;
  // Over a WinRM shell there is no console to ask "Overwrite?": without /Y cmd answers as if told no.
  if (fs.isFile(dst) && !a.switches.has("y")) return 1;
  try {
    if (fs.isFile(dst)) fs.deleteFile(dst);
    fs.move(src, dst);
  } catch (e) {
    if (!(e instanceof FsError)) throw e;
    io.stderr.write(`${proc.strings.cmd.fileNotFound}\r\n`);
    return 1;
  }
  io.stdout.write("        1 file(s) moved.\r\n");
  return 0;
}

function dirProgram(proc: ProcState, io: ProgramIO, args: string[]): number {
  const a = split(args, "b,s,a-d");
  if (a.bad !== undefined || !a.switches.has("b")) {
    io.stderr.write("emulator: only dir /b [/s] [/a-d] is emulated\r\n");
    return 1;
  }
  const root = abs(proc, a.names[0] ?? ".");
  const fs = proc.host.fs;
  let found: string[];
  if (fs.isFile(root)) found = [a.switches.has("s") ? root : root.slice(root.lastIndexOf("\\") + 1)];
  else if (fs.isDirectory(root)) {
    // Files only (/a-d): every level with /s (full paths), else the names in the directory itself.
    const below = fs.filesBelow(root);
    found = a.switches.has("s") ? below : below.filter((p) => !p.slice(root.length + 1).includes("\\")).map((p) => p.slice(root.length + 1));
  } else found = [];
  if (found.length === 0) {
    io.stderr.write("File Not Found\r\n");
    return 1;
  }
  io.stdout.write(found.map((p) => `${p}\r\n`).join(""));
  return 0;
}

/** HRESULTs certutil prints (and returns as its exit code, signed). */
const HR = { fileNotFound: 0x80070002, fileExists: 0x80070050, badAlgId: 0x80090008, invalidArg: 0x80070057 };

function certutilFailed(io: ProgramIO, verb: string, hr: number, text: string): number {
  const win32 = hr & 0xffff;
  io.stdout.write(`CertUtil: -${verb} command FAILED: 0x${hr.toString(16)} (${(hr & 0xffff0000) === 0x80070000 ? `WIN32: ${win32}` : "NTE"})\r\nCertUtil: ${text}\r\n`);
  return hr | 0;
}

function certutilProgram(proc: ProcState, io: ProgramIO, args: string[]): number {
  let force = false;
  const rest: string[] = [];
  for (const a of args) {
    if (a.toLowerCase() === "-f") force = true;
    else rest.push(a);
  }
  const verb = (rest[0] ?? "").toLowerCase();
  const fs = proc.host.fs;
  if (verb === "-decode" && rest.length === 3) {
    const input = fs.read(abs(proc, rest[1] ?? ""));
    if (input === undefined) return certutilFailed(io, "decode", HR.fileNotFound, proc.strings.cmd.fileNotFound);
    const out = abs(proc, rest[2] ?? "");
    if (fs.isFile(out) && !force) return certutilFailed(io, "decode", HR.fileExists, "The file exists.");
    const text = input
      .toString("latin1")
      .split(/\r?\n/)
      .filter((l) => !l.startsWith("-----"))
      .join("")
      .replace(/[ \t]/g, "");
    const data = Buffer.from(text, "base64");
    fs.write(out, data);
    io.stdout.write(`Input Length = ${input.length}\r\nOutput Length = ${data.length}\r\nCertUtil: -decode command completed successfully.\r\n`);
    return 0;
  }
  if (verb === "-hashfile" && (rest.length === 2 || rest.length === 3)) {
    const alg = (rest[2] ?? "SHA1").toUpperCase();
    const node = { SHA1: "sha1", MD5: "md5", SHA256: "sha256", SHA384: "sha384", SHA512: "sha512" }[alg];
    const legacy = proc.host.profile.osVersion.startsWith("5."); // NT 5.x: no SHA-2 in CryptoAPI
    if (node === undefined || (legacy && alg.startsWith("SHA") && alg !== "SHA1")) {
      return certutilFailed(io, "hashfile", HR.badAlgId, "Invalid algorithm specified.");
    }
    const path = abs(proc, rest[1] ?? "");
    const data = fs.read(path);
    if (data === undefined) return certutilFailed(io, "hashfile", HR.fileNotFound, proc.strings.cmd.fileNotFound);
    const hex = createHash(node).update(data).digest("hex");
    // Bytes separated by spaces up to NT 6.2 (Windows 8 / 2012), run together after.
    const [major = 0, minor = 0] = proc.host.profile.osVersion.split(".").map(Number);
    const shown = major < 6 || (major === 6 && minor < 2) ? (hex.match(/../g)?.join(" ") ?? "") : hex;
    io.stdout.write(`${alg} hash of file ${path}:\r\n${shown}\r\nCertUtil: -hashfile command completed successfully.\r\n`);
    return 0;
  }
  return certutilFailed(io, verb.replace(/^-/, "") || "?", HR.invalidArg, "The parameter is incorrect.");
}

export const FILE_PROGRAMS: Record<string, ProgramSpec> = {
  del: { run: delProgram, internal: true },
  erase: { run: delProgram, internal: true },
  mkdir: { run: mkdirProgram, internal: true },
  md: { run: mkdirProgram, internal: true },
  rd: { run: rdProgram, internal: true },
  rmdir: { run: rdProgram, internal: true },
  move: { run: moveProgram, internal: true },
  dir: { run: dirProgram, internal: true },
  certutil: { run: certutilProgram },
};
