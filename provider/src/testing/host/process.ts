/**
 * What every emulated program sees: the process state shared by one cmd.exe run (environment, working directory,
 * console code page, ERRORLEVEL) and its standard handles. Shared by cmd.ts and the per-command modules.
 */
import iconv from "iconv-lite";
import type { EmulatedHost } from "./host.js";
import type { LocaleStrings } from "./locales.js";
import type { StdinStream } from "./stdinStream.js";

/** Environment variables: names are case-insensitive on Windows, stored with their first spelling. */
export class Env {
  private readonly vars = new Map<string, { name: string; value: string }>();

  constructor(init?: Record<string, string>) {
    if (init) for (const [k, v] of Object.entries(init)) this.set(k, v);
  }

  get(name: string): string | undefined {
    return this.vars.get(name.toUpperCase())?.value;
  }

  set(name: string, value: string): void {
    const existing = this.vars.get(name.toUpperCase());
    this.vars.set(name.toUpperCase(), { name: existing?.name ?? name, value });
  }

  delete(name: string): void {
    this.vars.delete(name.toUpperCase());
  }

  /** All variables sorted by name (the order `set` prints them in). */
  entries(): [string, string][] {
    return [...this.vars.values()]
      .map((v): [string, string] => [v.name, v.value])
      .sort((a, b) => (a[0].toUpperCase() < b[0].toUpperCase() ? -1 : a[0].toUpperCase() > b[0].toUpperCase() ? 1 : 0));
  }

  clone(): Env {
    const e = new Env();
    for (const [k, v] of this.entries()) e.set(k, v);
    return e;
  }
}

export interface Sink {
  write(text: string): void;
}

/** A sink that keeps the text (pipes, redirection to a file, captured output of a nested program). */
export class StringSink implements Sink {
  text = "";
  write(text: string): void {
    this.text += text;
  }
}

export const NUL_SINK: Sink = { write: () => undefined };

export interface ProcState {
  readonly host: EmulatedHost;
  readonly strings: LocaleStrings;
  env: Env;
  cwd: string;
  /** The console code page in effect (chcp changes it); output is encoded with it as it is written. */
  codePage: number;
  errorLevel: number;
  /** Set by `exit`: the rest of the command line is skipped. */
  exited: boolean;
  /** Stdin of a command that reads it while it runs (host.ts startCommand, stdinStream.ts). */
  stdinStream?: StdinStream;
}

export interface ProgramIO {
  /** Standard input, already decoded from the console code page. */
  readonly stdin: string;
  readonly stdout: Sink;
  readonly stderr: Sink;
}

/** One emulated executable or cmd built-in. Returns the exit code. `args` follow CommandLineToArgvW; `raw` is the text after the name. */
export type Program = (proc: ProcState, io: ProgramIO, args: string[], raw: string) => number | Promise<number>;

/** Whether Node's iconv-lite can encode a Windows code page number. */
export function codePageSupported(cp: number): boolean {
  if (cp === 65001) return true;
  return iconv.encodingExists(`cp${cp}`);
}

export function encodeCodePage(text: string, cp: number): Buffer {
  if (cp === 65001) return Buffer.from(text, "utf8");
  return iconv.encode(text, `cp${cp}`);
}

export function decodeCodePage(data: Buffer, cp: number): string {
  if (cp === 65001) return data.toString("utf8");
  return iconv.decode(data, `cp${cp}`);
}

/** Convert lone LF to CRLF (what Windows programs print; stdin passed through `more` gets CRLF too). */
export function toCrlf(text: string): string {
  return text.replace(/\r?\n/g, "\r\n");
}

/**
 * Split a command tail into argv the way CommandLineToArgvW / the MSVC runtime do: whitespace separates, `"` toggles
 * quoting and is removed, `\"` is a literal quote, 2n backslashes before a quote become n.
 */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = s.length;
  while (i < n) {
    while (i < n && /\s/.test(s[i] ?? "")) i++;
    if (i >= n) break;
    let cur = "";
    let inQuotes = false;
    while (i < n) {
      const c = s[i] ?? "";
      if (!inQuotes && /\s/.test(c)) break;
      if (c === "\\") {
        let bs = 0;
        while (s[i] === "\\") {
          bs++;
          i++;
        }
        if (s[i] === '"') {
          cur += "\\".repeat(Math.floor(bs / 2));
          if (bs % 2 === 1) {
            cur += '"';
            i++;
          }
        } else {
          cur += "\\".repeat(bs);
        }
        continue;
      }
      if (c === '"') {
        if (inQuotes && s[i + 1] === '"') {
          cur += '"';
          i += 2;
          continue;
        }
        inQuotes = !inQuotes;
        i++;
        continue;
      }
      cur += c;
      i++;
    }
    out.push(cur);
  }
  return out;
}

/** Write lines ending in CRLF. */
export function writeLines(sink: Sink, lines: string[]): void {
  sink.write(lines.map((l) => `${l}\r\n`).join(""));
}
