/**
 * One value out of `reg query` output, found by its name and read by shape, never by localized text.
 *
 * reg.exe prints each value on an indented line: Vista and later `    <name>    <type>    <data>` (four-space columns),
 * XP / 2003 (REG.EXE 3.0) `    <name>\t<type>\t<data>` (tabs). The value name, the type name (REG_SZ, REG_BINARY, ...)
 * and the data are the same in every display language; the messages around them are not (see
 * test/emulator/host/locales.ts). The scan is linear in the output's length: the host controls that text, so nothing
 * here backtracks.
 */

export interface RegQueryValue {
  /** REG_SZ, REG_BINARY, REG_DWORD, ... as reg printed it. */
  type: string;
  /** The data column as printed: hex digits for REG_BINARY, the text for REG_SZ ("" when empty). */
  data: string;
}

const isBlank = (c: string | undefined): boolean => c === " " || c === "\t";

function isTypeChar(c: string): boolean {
  return (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c === "_";
}

/** The value named `name` (case-insensitive, as the registry compares names) in `stdout`, or undefined. */
export function findRegValue(stdout: string, name: string): RegQueryValue | undefined {
  const wanted = name.toLowerCase();
  let start = 0;
  while (start <= stdout.length) {
    let end = stdout.indexOf("\n", start);
    if (end < 0) end = stdout.length;
    const line = stdout.charAt(end - 1) === "\r" ? stdout.slice(start, end - 1) : stdout.slice(start, end);
    start = end + 1;
    const found = valueOfLine(line, wanted);
    if (found !== undefined) return found;
  }
  return undefined;
}

function valueOfLine(line: string, wanted: string): RegQueryValue | undefined {
  let i = 0;
  while (isBlank(line[i])) i++;
  // Value lines are indented; key lines (HKEY_...) are not.
  if (i === 0) return undefined;
  if (line.slice(i, i + wanted.length).toLowerCase() !== wanted) return undefined;
  i += wanted.length;
  if (!isBlank(line[i])) return undefined;
  while (isBlank(line[i])) i++;
  const typeStart = i;
  while (i < line.length && isTypeChar(line.charAt(i))) i++;
  const type = line.slice(typeStart, i);
  if (!type.startsWith("REG_")) return undefined;
  if (i === line.length) return { type, data: "" };
  if (!isBlank(line[i])) return undefined;
  // One separator: a tab (REG.EXE 3.0) or four spaces; the data itself may start with a blank.
  if (line[i] === "\t") i++;
  else for (let n = 0; n < 4 && line[i] === " "; n++) i++;
  return { type, data: line.slice(i) };
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
