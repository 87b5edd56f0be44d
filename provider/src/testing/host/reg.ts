/**
 * reg.exe: `query <key> [/v <name> | /ve]`, `add <key> [/v <name> | /ve] [/t <type>] [/d <data>] [/f]`,
 * `delete <key> [/v <name> | /ve] [/f]`, over the host's in-memory registry (registry.ts).
 *
 * Exit codes, the only part of a result a caller may read (the messages are localized): 0 success, 1 failure (a key
 * or value that does not exist, invalid syntax, a prompt answered with anything but Yes). `reg add` without /f on a
 * value that exists asks "overwrite (Yes/No)?" and reads the answer from stdin; `reg delete` of a whole key (no /v)
 * removes the key with all its values and subkeys (with /f; without it reg asks too). Both prompts are answered from
 * stdin, so a caller that gives none (a WinRM command with no Send) always passes /f.
 *
 * Output layout: Vista and later print `    <name>    <type>    <data>` (four-space columns); XP / 2003 (REG.EXE 3.0)
 * start with "! REG.EXE VERSION 3.0" and separate the columns with tabs. REG_BINARY prints as upper-case hex without
 * spaces, REG_DWORD as 0x<hex>. Type names and data are never localized, which is what makes the WinHttpSettings read
 * locale-independent (provider/src/hosts/winhttpSettings.ts); only the messages are.
 */
import type { ProgramSpec } from "./cmd.js";
import type { ProcState, ProgramIO } from "./process.js";
import { canonicalKey, type RegValue } from "./registry.js";

function formatData(v: RegValue): string {
  switch (v.type) {
    case "REG_BINARY":
      return v.data.toString("hex").toUpperCase();
    case "REG_DWORD":
      return `0x${v.data.toString(16)}`;
    case "REG_MULTI_SZ":
      return v.data.join("\\0");
    default:
      return v.data;
  }
}

function valueLine(proc: ProcState, name: string, v: RegValue): string {
  const legacy = proc.host.profile.name === "win2003r2";
  const shown = name === "" ? "(Default)" : name;
  return legacy ? `    ${shown}\t${v.type}\t${formatData(v)}` : `    ${shown}    ${v.type}    ${formatData(v)}`;
}

function preamble(proc: ProcState): string {
  return proc.host.profile.name === "win2003r2" ? "\r\n! REG.EXE VERSION 3.0\r\n" : "";
}

interface RegArgs {
  key?: string;
  valueName?: string;
  type?: string;
  data?: string;
  force: boolean;
  recurse: boolean;
  bad: boolean;
}

function parseArgs(args: string[]): RegArgs {
  const r: RegArgs = { force: false, recurse: false, bad: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? "";
    const lower = a.toLowerCase();
    if (lower === "/v") {
      r.valueName = args[++i];
      if (r.valueName === undefined) r.bad = true;
    } else if (lower === "/ve") r.valueName = "";
    else if (lower === "/t") r.type = args[++i]?.toUpperCase();
    else if (lower === "/d") r.data = args[++i];
    else if (lower === "/f") r.force = true;
    else if (lower === "/s") r.recurse = true;
    else if (lower.startsWith("/")) r.bad = true;
    else if (r.key === undefined) r.key = a;
    else r.bad = true;
  }
  return r;
}

function parseData(type: string, data: string): RegValue | undefined {
  switch (type) {
    case "REG_SZ":
    case "REG_EXPAND_SZ":
      return { type, data };
    case "REG_DWORD": {
      const n = /^0x/i.test(data) ? Number.parseInt(data, 16) : Number(data);
      return Number.isInteger(n) && n >= 0 && n <= 0xffffffff ? { type, data: n } : undefined;
    }
    case "REG_BINARY":
      return /^([0-9a-f]{2})*$/i.test(data) ? { type, data: Buffer.from(data, "hex") } : undefined;
    case "REG_MULTI_SZ":
      return { type, data: data.split("\\0") };
    default:
      return undefined;
  }
}

/** The first line of stdin, as reg reads an answer; "yes" / "y" in any case (the localized words: unconfirmed). */
function answeredYes(stdin: string): boolean {
  const first = (stdin.split(/\r?\n/)[0] ?? "").trim().toLowerCase();
  return ["y", "yes", "s", "si", "sí"].includes(first);
}

function regProgram(proc: ProcState, io: ProgramIO, args: string[]): number {
  const t = proc.strings.reg;
  const [op, ...rest] = args;
  const r = parseArgs(rest);
  const opName = (op ?? "").toUpperCase();
  const syntax = (): number => {
    io.stderr.write(`${t.invalidSyntax(["QUERY", "ADD", "DELETE"].includes(opName) ? opName : "QUERY")}\r\n`);
    return 1;
  };
  const notFound = (): number => {
    io.stderr.write(`${t.notFound}\r\n`);
    return 1;
  };
  const confirmed = (prompt: string): boolean => {
    io.stdout.write(prompt);
    if (answeredYes(io.stdin)) return true;
    io.stdout.write(`\r\n${t.cancelled}\r\n`);
    return false;
  };
  if (r.bad || r.key === undefined) return syntax();
  const key = canonicalKey(r.key);
  if (key === undefined) return syntax();
  const reg = proc.host.registry;
  switch (op?.toLowerCase()) {
    case "query": {
      if (!reg.keyExists(key)) return notFound();
      const shownKey = key;
      if (r.valueName !== undefined) {
        const v = reg.getValue(key, r.valueName);
        if (!v) return notFound();
        const name = reg.valueName(key, r.valueName) ?? r.valueName;
        io.stdout.write(`${preamble(proc)}\r\n${shownKey}\r\n${valueLine(proc, name, v)}\r\n\r\n`);
        return 0;
      }
      let out = `${preamble(proc)}\r\n${shownKey}\r\n`;
      for (const { name, value } of reg.listValues(key)) out += `${valueLine(proc, name, value)}\r\n`;
      out += "\r\n";
      for (const sub of reg.subkeys(key)) out += `${sub}\r\n`;
      io.stdout.write(out);
      return 0;
    }
    case "add": {
      const type = r.type ?? "REG_SZ";
      const value = parseData(type, r.data ?? "");
      if (!value) return syntax();
      const name = r.valueName ?? "";
      if (!r.force && reg.getValue(key, name) !== undefined && !confirmed(t.overwritePrompt(name === "" ? "(Default)" : name))) {
        return 1;
      }
      reg.setValue(key, name, value);
      io.stdout.write(`${t.success}\r\n`);
      return 0;
    }
    case "delete": {
      if (r.valueName === undefined) {
        // The whole key, with its values and subkeys; a root key cannot be deleted.
        if (!key.includes("\\") || !reg.keyExists(key)) return notFound();
        if (!r.force && !confirmed(t.deleteKeyPrompt(key))) return 1;
        reg.deleteKey(key);
        io.stdout.write(`${t.success}\r\n`);
        return 0;
      }
      if (reg.getValue(key, r.valueName) === undefined) return notFound();
      if (!r.force && !confirmed(t.deleteValuePrompt(r.valueName === "" ? "(Default)" : r.valueName))) return 1;
      reg.deleteValue(key, r.valueName);
      io.stdout.write(`${t.success}\r\n`);
      return 0;
    }
    default:
      return syntax();
  }
}

export const REG_PROGRAMS: Record<string, ProgramSpec> = {
  reg: { run: regProgram },
};
