/**
 * Remote (Windows) paths: joining the copied root with relative parts, the temporary name beside the final one, and
 * the bounds checked before anything is sent.
 */
import { ConfigurationError } from "../errors.js";

/**
 * MAX_PATH is 260 characters with the terminating NUL: Windows PowerShell 2.0-5.1 (.NET Framework) and cmd.exe refuse
 * longer paths (PathTooLongException), so every remote path, temporary name included, stays at most 259 characters.
 */
export const MAX_REMOTE_PATH = 259;

/** Suffix of the temporary file a copy writes to; the final path appears only after the host's hash matched. */
export const PARTIAL_SUFFIX = ".partial";

export function joinRemote(root: string, relative: string): string {
  if (relative === "") return root;
  const base = root.endsWith("\\") || root.endsWith("/") ? root.slice(0, -1) : root;
  return `${base}\\${relative}`;
}

/** A path with `\` for every `/` (Win32 takes both; cmd's output and the listing use `\`). */
export function windowsSeparators(remote: string): string {
  return remote.replaceAll("/", "\\");
}

export function partialPath(remote: string): string {
  return remote + PARTIAL_SUFFIX;
}

/** The parent directory of a remote path ("" when it has none, e.g. "C:\\x" -> "C:\\"). */
export function remoteParent(remote: string): string {
  const norm = remote.replace(/\//g, "\\");
  const at = norm.lastIndexOf("\\");
  if (at < 0) return "";
  const parent = norm.slice(0, at);
  return /^[A-Za-z]:$/.test(parent) ? `${parent}\\` : parent;
}

/** Characters no Windows file name may hold (Naming Files, Paths, and Namespaces: learn.microsoft.com). */
const BAD_NAME_CHARS = new Set(["<", ">", ":", '"', "|", "?", "*"]);

/**
 * Reserved device names: a component named so (with any extension, e.g. `nul.txt`, before Windows 11) opens the
 * device, not a file (Naming Files, Paths, and Namespaces). Compared upper-case, on the part before the first dot
 * with trailing spaces dropped, as Win32 path parsing does.
 */
const DEVICE_NAMES = new Set(["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]);
const DEVICE_DIGITS = "0123456789\u00B9\u00B2\u00B3";

function isDeviceName(component: string): boolean {
  const dot = component.indexOf(".");
  let base = (dot < 0 ? component : component.slice(0, dot)).toUpperCase();
  while (base.endsWith(" ")) base = base.slice(0, -1);
  if (DEVICE_NAMES.has(base)) return true;
  return base.length === 4 && (base.startsWith("COM") || base.startsWith("LPT")) && DEVICE_DIGITS.includes(base[3] ?? "");
}

export interface PathRules {
  /** Refuse `%` (cmd would expand it: the resource runs on either kind of host). */
  readonly percent?: boolean;
  /** Refuse the root of a drive or share itself (what is removed must lie below it). */
  readonly root?: boolean;
}

/**
 * Why a remote path is refused, or undefined: absolute (`C:\dir\name` or `\\server\share\name`, `/` taken as `\`;
 * no `\\?\` or `\\.\` device namespace), no empty, `.` or `..` component (the path would leave the directory it
 * names), no component ending in a dot or a space (Windows strips those, so two spellings would name one file), no
 * reserved device name (CON, NUL, COM1...), no character file names cannot hold (`:` of an alternate data stream
 * included). A linear scan.
 */
export function remotePathProblem(path: string, rules: PathRules = { percent: true, root: true }): string | undefined {
  const p = path.replaceAll("/", "\\");
  let rest: string;
  let root: string;
  if (/^[A-Za-z]:\\/.test(p)) {
    root = p.slice(0, 3);
    rest = p.slice(3);
  } else if (p.startsWith("\\\\") && !p.startsWith("\\\\?\\") && !p.startsWith("\\\\.\\")) {
    const parts = p.slice(2).split("\\");
    if (parts.length < 2 || parts[0] === "" || parts[1] === "") return 'must name a share as "\\\\server\\share\\..."';
    root = `\\\\${parts[0] ?? ""}\\${parts[1] ?? ""}\\`;
    rest = parts.slice(2).join("\\");
  } else {
    return 'must be an absolute Windows path such as "C:\\deploy\\app" or "\\\\server\\share\\app"';
  }
  const components = rest.split("\\").filter((c, i, all) => c !== "" || i < all.length - 1);
  if (components.length === 0 || components.every((c) => c === "")) {
    if (rules.root === true) return `must name something below ${root} (destroy removes the path); e.g. "${root}deploy\\app"`;
    return undefined;
  }
  for (const c of components) {
    if (c === "") return "has an empty component (two separators in a row)";
    if (c === "." || c === "..") return 'must not hold "." or ".." components; give the path as the host should see it';
    if (c.endsWith(".") || c.endsWith(" ")) return `has a component ending in a dot or a space ("${c}"), which Windows strips`;
    if (isDeviceName(c)) return `has a component named like a device ("${c}": CON, PRN, AUX, NUL, COM1-9, LPT1-9 open the device, not a file)`;
    for (const ch of c) {
      if (ch.charCodeAt(0) < 0x20 || BAD_NAME_CHARS.has(ch)) {
        return `has a character no Windows file name may hold (${JSON.stringify(ch)}; ":" would name an alternate data stream)`;
      }
      if (rules.percent === true && ch === "%") return `has a character cmd would expand (${JSON.stringify(ch)})`;
    }
  }
  return undefined;
}

/**
 * A remote path the copy can use (remotePathProblem; `%` is the cmd writer's concern: cmdHost.ts cmdQuote), within
 * MAX_PATH with the temporary suffix. `root`: refuse a drive or share root itself (a removal).
 */
export function checkRemotePath(remote: string, field = "remotePath", rules: PathRules = {}): void {
  if (remote === "") throw new ConfigurationError(field, "is empty; give an absolute Windows path such as C:\\data\\file.bin");
  const problem = remotePathProblem(remote, rules);
  if (problem !== undefined) throw new ConfigurationError(field, `${remote} ${problem}`);
  if (remote.length + PARTIAL_SUFFIX.length > MAX_REMOTE_PATH) {
    throw new ConfigurationError(
      field,
      `${remote} is ${remote.length} characters; with the temporary suffix ${PARTIAL_SUFFIX} it passes Windows' MAX_PATH (${MAX_REMOTE_PATH}); use a shorter path`,
    );
  }
}
