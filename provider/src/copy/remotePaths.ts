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

/**
 * A remote path the copy can use: absolute (drive letter or UNC: a relative one would depend on the shell's working
 * directory), no characters Windows file names cannot hold, within MAX_PATH with the temporary suffix.
 */
export function checkRemotePath(remote: string, field = "remotePath"): void {
  if (remote === "") throw new ConfigurationError(field, "is empty; give an absolute Windows path such as C:\\data\\file.bin");
  if (!/^[A-Za-z]:[\\/]/.test(remote) && !remote.startsWith("\\\\")) {
    throw new ConfigurationError(field, `${remote} is not an absolute Windows path; give one such as C:\\data\\file.bin`);
  }
  for (let i = 0; i < remote.length; i++) {
    const c = remote.charCodeAt(i);
    const ch = remote[i] ?? "";
    if (c < 32 || '"<>|?*'.includes(ch) || (ch === ":" && i !== 1)) {
      throw new ConfigurationError(field, `${remote} holds a character Windows file names cannot contain (${JSON.stringify(ch)} at ${i})`);
    }
  }
  if (remote.length + PARTIAL_SUFFIX.length > MAX_REMOTE_PATH) {
    throw new ConfigurationError(
      field,
      `${remote} is ${remote.length} characters; with the temporary suffix ${PARTIAL_SUFFIX} it passes Windows' MAX_PATH (${MAX_REMOTE_PATH}); use a shorter path`,
    );
  }
}
