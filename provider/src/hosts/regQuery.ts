/**
 * One value out of `reg query` output, found by its name and read by shape, never by localized text.
 *
 * reg.exe prints each value on an indented line: Vista and later `    <name>    <type>    <data>` (four-space columns),
 * XP / 2003 (REG.EXE 3.0) `    <name>\t<type>\t<data>` (tabs). The value name, the type name (REG_SZ, REG_BINARY, ...)
 * and the data are the same in every display language; the messages around them are not (see
 * provider/src/testing/host/locales.ts). The scan is linear in the output's length: the host controls that text, so nothing
 * here backtracks.
 */

export interface RegQueryValue {
  /** REG_SZ, REG_BINARY, REG_DWORD, ... as reg printed it. */
  type: string;
  /** The data column as printed, blanks around it removed: hex digits for REG_BINARY, the text for REG_SZ ("" when empty). */
  data: string;
}

/** One value line of `reg query` output: `<indent><name><blanks><REG_type>[<blanks><data>]`. */
export interface RegQueryLine {
  /** The value name as printed (may contain inner blanks: "Proxy Override" style names exist). */
  name: string;
  /** The type token, e.g. REG_BINARY, REG_SZ, REG_DWORD. */
  type: string;
  /** Everything after the type, blanks around it removed; "" when the line ends at the type. */
  data: string;
  /** Whether the line starts with a blank: value lines are indented, the key line is not. */
  indented: boolean;
}

function isBlank(c: number): boolean {
  // Space, tab, and the CR of a line split on LF only.
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0b || c === 0x0c;
}

/** Whether s[start, end) is a type token: "REG_" then upper-case letters or "_" (REG_BINARY, REG_EXPAND_SZ). */
function isRegType(s: string, start: number, end: number): boolean {
  if (end - start < 5 || !s.startsWith("REG_", start)) return false;
  for (let i = start + 4; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x41 && c <= 0x5a) || c === 0x5f)) return false;
  }
  return true;
}

/**
 * Split one line of `reg query` output into name, type and data, or undefined when it is not a value line. One pass
 * over the line (the host controls this text, so no backtracking regular expression reads it): the type is the first
 * blank-delimited REG_* token after a non-empty name, as reg.exe prints it in every display language.
 */
export function parseRegQueryLine(line: string): RegQueryLine | undefined {
  const n = line.length;
  let i = 0;
  while (i < n && isBlank(line.charCodeAt(i))) i++;
  const nameStart = i;
  let nameEnd = -1; // end of the last word before the current one
  while (i < n) {
    const wordStart = i;
    while (i < n && !isBlank(line.charCodeAt(i))) i++;
    const wordEnd = i;
    if (nameEnd >= 0 && isRegType(line, wordStart, wordEnd)) {
      while (i < n && isBlank(line.charCodeAt(i))) i++;
      let dataEnd = n;
      while (dataEnd > i && isBlank(line.charCodeAt(dataEnd - 1))) dataEnd--;
      return {
        name: line.slice(nameStart, nameEnd),
        type: line.slice(wordStart, wordEnd),
        data: line.slice(i, dataEnd),
        indented: nameStart > 0,
      };
    }
    nameEnd = wordEnd;
    while (i < n && isBlank(line.charCodeAt(i))) i++;
  }
  return undefined;
}

/** The value named `name` (case-insensitive, as the registry compares names) in `stdout`, or undefined. */
export function findRegValue(stdout: string, name: string): RegQueryValue | undefined {
  const wanted = name.toLowerCase();
  let start = 0;
  while (start <= stdout.length) {
    let end = stdout.indexOf("\n", start);
    if (end < 0) end = stdout.length;
    const v = parseRegQueryLine(stdout.slice(start, end));
    start = end + 1;
    // Value lines are indented; key lines (HKEY_...) are not.
    if (v?.indented === true && v.name.toLowerCase() === wanted) return { type: v.type, data: v.data };
  }
  return undefined;
}

/** The bytes of a REG_BINARY data column (hex digits, no separators); undefined when it is not that shape. */
export function hexBytes(data: string): Buffer | undefined {
  const hex = data.trimEnd();
  if (hex.length % 2 !== 0) return undefined;
  for (let i = 0; i < hex.length; i++) {
    const c = hex.charAt(i).toLowerCase();
    if (!((c >= "0" && c <= "9") || (c >= "a" && c <= "f"))) return undefined;
  }
  return Buffer.from(hex, "hex");
}
