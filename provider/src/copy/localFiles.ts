/**
 * The local side: which files a copy covers (a file, or a directory walked recursively, bounded), and their SHA-256
 * (whole file, or a prefix for the resume decision), read in pieces so memory stays flat for any file size.
 */
import { createHash } from "node:crypto";
import { open, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { ConfigurationError, LimitExceededError } from "../errors.js";

/** Most files one copy takes (a directory tree); a larger tree is refused before anything is sent. */
export const MAX_FILES = 10_000;
/** Most directory levels below the copied directory. */
const MAX_DEPTH = 64;

export interface LocalEntry {
  /** Path relative to the copied root, with "\\" between parts ("" for a single file). */
  readonly relative: string;
  readonly absolute: string;
  readonly size: number;
}

export interface LocalTree {
  readonly kind: "file" | "directory";
  readonly files: readonly LocalEntry[];
  /** Directories to create, relative to the root ("\\"-joined), parents before children; the root is "". */
  readonly directories: readonly string[];
}

/** What `localPath` holds; a ConfigurationError naming `field` when it does not exist or is neither file nor directory. */
export async function readLocalTree(localPath: string, field = "localPath"): Promise<LocalTree> {
  let st;
  try {
    st = await stat(localPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigurationError(field, `${localPath} does not exist or cannot be read (${code ?? "error"}); give an existing file or directory`, { cause: err });
  }
  if (st.isFile()) return { kind: "file", files: [{ relative: "", absolute: localPath, size: st.size }], directories: [] };
  if (!st.isDirectory()) throw new ConfigurationError(field, `${localPath} is neither a file nor a directory`);
  const files: LocalEntry[] = [];
  const directories: string[] = [""];
  const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) throw new LimitExceededError("copy directory depth", MAX_DEPTH, `${field}: ${localPath} is nested too deeply`);
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const abs = join(dir, e.name);
      const r = rel === "" ? e.name : `${rel}\\${e.name}`;
      if (e.isDirectory()) {
        directories.push(r);
        await walk(abs, r, depth + 1);
      } else if (e.isFile()) {
        if (files.length >= MAX_FILES) throw new LimitExceededError("copy file count", MAX_FILES, `${field}: ${localPath} holds too many files for one copy`);
        files.push({ relative: r, absolute: abs, size: (await stat(abs)).size });
      }
      // Symbolic links and special files are not followed (a link could leave the tree or loop).
    }
  };
  await walk(localPath, "", 0);
  return { kind: "directory", files, directories };
}

const READ_PIECE = 1024 * 1024;

/** SHA-256 (upper-case hex, as the host prints it) of the first `length` bytes of a file (all of it by default). */
export async function hashFile(path: string, length?: number, algorithm: "sha256" | "sha1" = "sha256"): Promise<string> {
  const h = createHash(algorithm);
  const fh = await open(path, "r");
  try {
    const buf = Buffer.allocUnsafe(READ_PIECE);
    let pos = 0;
    for (;;) {
      const want = length === undefined ? READ_PIECE : Math.min(READ_PIECE, length - pos);
      if (want <= 0) break;
      const { bytesRead } = await fh.read(buf, 0, want, pos);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return h.digest("hex").toUpperCase();
}
