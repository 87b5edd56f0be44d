/**
 * Console code pages of remote cmd shells.
 *
 * The Create option WINRS_CODEPAGE (MS-WSMV 2.2.4.37 / MS-WSMV 3.1.4 Create) decides how the shell's stdin/stdout bytes are
 * encoded. We ask for 65001 (UTF-8). Hosts before Vista/2008 (Identify "OS: 5.x", e.g. Server 2003 R2 with WinRM 1.1)
 * ignore it and print in their OEM code page (437 en-US, 850 es-ES / it-IT, ...). There we learn the page once by
 * running `chcp` and reading the number: the sentence around it is localized ("Active code page: 850",
 * "Página de códigos activa: 850", "Tabella codici attiva: 850"), so we parse by shape, not by words.
 */
import { createRequire } from "node:module";
import { StringDecoder } from "node:string_decoder";
import type IconvLite from "iconv-lite";

/*
 * iconv-lite (about 8 MB of a client process's RSS) is loaded on first use only: every host since Vista prints
 * UTF-8 (WINRS_CODEPAGE 65001), which Node decodes itself, exactly as iconv-lite does (its "utf8" codec is Node's
 * StringDecoder plus the byte order mark handling below; test/unit/code-page.test.ts compares the two).
 */
const requireLazily = createRequire(import.meta.url);
let iconvModule: typeof IconvLite | undefined;
function iconv(): typeof IconvLite {
  return (iconvModule ??= requireLazily("iconv-lite") as typeof IconvLite);
}

const BOM = "\ufeff";

export const UTF8_CODE_PAGE = 65001;

/** The iconv-lite encoding for a Windows code page. Unknown pages fall back to latin1 (every byte maps to a char). */
export function encodingForCodePage(codePage: number): string {
  switch (codePage) {
    case 65001:
      return "utf8";
    case 1200:
      return "utf16le";
    case 1201:
      return "utf16be";
    case 20127:
      return "ascii";
    case 28591:
      return "latin1";
    default: {
      const name = `cp${codePage}`;
      return iconv().encodingExists(name) ? name : "latin1";
    }
  }
}

export function decodeOutput(bytes: Uint8Array, codePage: number): string {
  if (codePage === UTF8_CODE_PAGE) {
    // As iconv-lite's decode: one write, a leading byte order mark removed, then the decoder's end.
    const d = new StringDecoder("utf8");
    const text = d.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
    return (text.startsWith(BOM) ? text.slice(1) : text) + d.end();
  }
  return iconv().decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), encodingForCodePage(codePage));
}

export function encodeInput(text: string, codePage: number): Buffer {
  if (codePage === UTF8_CODE_PAGE) return Buffer.from(text, "utf8");
  return iconv().encode(text, encodingForCodePage(codePage));
}

/** Incremental decoder: a multi-byte character split across two Receive chunks decodes once, whole. */
export interface StreamDecoder {
  write(bytes: Uint8Array): string;
  end(): string;
}

export function streamDecoder(codePage: number): StreamDecoder {
  if (codePage === UTF8_CODE_PAGE) return utf8StreamDecoder();
  const d = iconv().getDecoder(encodingForCodePage(codePage));
  return {
    write: (bytes) => d.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)),
    end: () => d.end() ?? "",
  };
}

/** iconv-lite's utf8 decoder: a byte order mark is removed from the first non-empty text only. */
function utf8StreamDecoder(): StreamDecoder {
  const d = new StringDecoder("utf8");
  let started = false;
  return {
    write: (bytes) => {
      const text = d.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
      if (started || text === "") return text;
      started = true;
      return text.startsWith(BOM) ? text.slice(1) : text;
    },
    end: () => d.end(),
  };
}

/**
 * The code page in `chcp` output, in any language: the last 3-5 digit number ("Active code page: 437." in some
 * locales ends with a period). Undefined when there is none.
 */
export function parseChcp(output: string): number | undefined {
  const all = [...output.matchAll(/(?<!\d)(\d{3,5})(?!\d)/g)];
  const last = all[all.length - 1];
  if (last?.[1] === undefined) return undefined;
  const n = Number(last[1]);
  return n > 0 && n <= 65535 ? n : undefined;
}

/**
 * Whether a host honours WINRS_CODEPAGE=65001, from Identify's ProductVersion OS ("OS: 5.2.3790 SP: 2.0 Stack: 1.1"):
 * NT 6.0 (Vista/2008) and later do; NT 5.x prints in its OEM page whatever we ask.
 */
export function honoursUtf8CodePage(osVersion: string): boolean {
  const major = Number(/^(\d+)/.exec(osVersion.trim())?.[1] ?? "NaN");
  return !(major < 6);
}
