/**
 * The emulated host's file system: binary file contents and directories, names case-insensitive and case-preserving
 * as on NTFS. Paths are absolute ("C:\\dir\\file"); "/" is read as "\\" and a trailing "\\" is dropped, as Win32 does.
 * Drive roots always exist. Contents are kept as the list of pieces written (an append costs the piece, not the file),
 * joined when read.
 *
 * `files` of EmulatedHost is a text view over this (TextFileView), for the cmd interpreter's `>`, `>>`, `<`, `type`,
 * `if exist`: text is stored as UTF-8.
 */

interface FileNode {
  name: string;
  pieces: Buffer[];
  length: number;
}

export class FsError extends Error {
  constructor(
    readonly kind: "notFound" | "pathNotFound" | "isDirectory" | "exists" | "notEmpty",
    readonly path: string,
  ) {
    super(`${kind}: ${path}`);
  }
}

export function normalizeHostPath(path: string): string {
  let p = path.replace(/\//g, "\\");
  while (p.length > 3 && p.endsWith("\\")) p = p.slice(0, -1);
  if (/^[A-Za-z]:$/.test(p)) p += "\\";
  return p;
}

function key(path: string): string {
  return normalizeHostPath(path).toLowerCase();
}

function parentOf(path: string): string | undefined {
  const p = normalizeHostPath(path);
  const at = p.lastIndexOf("\\");
  if (at < 0 || /^[A-Za-z]:\\$/.test(p)) return undefined;
  const parent = p.slice(0, at);
  return /^[A-Za-z]:$/.test(parent) ? `${parent}\\` : parent;
}

export class HostFileSystem {
  private readonly files = new Map<string, FileNode>();
  /** Directory key -> its spelling. */
  private readonly dirs = new Map<string, string>();
  /** Test knob (scenario corruptFileWrites): flip the first byte of every piece written through `append`. */
  corruptWrites = false;

  constructor(initialDirs: readonly string[] = []) {
    for (const d of initialDirs) this.mkdirs(d);
  }

  isDirectory(path: string): boolean {
    const k = key(path);
    return /^[a-z]:\\$/.test(k) || this.dirs.has(k);
  }

  isFile(path: string): boolean {
    return this.files.has(key(path));
  }

  /** Create a directory and its parents (Directory.CreateDirectory, mkdir with extensions); a file in the way fails. */
  mkdirs(path: string): void {
    const p = normalizeHostPath(path);
    if (this.isDirectory(p)) return;
    if (this.isFile(p)) throw new FsError("exists", p);
    const parent = parentOf(p);
    if (parent !== undefined) this.mkdirs(parent);
    this.dirs.set(key(p), p);
  }

  private requireParent(path: string): void {
    const parent = parentOf(path);
    if (parent !== undefined && !this.isDirectory(parent)) throw new FsError("pathNotFound", normalizeHostPath(path));
  }

  read(path: string): Buffer | undefined {
    const f = this.files.get(key(path));
    if (f === undefined) return undefined;
    if (f.pieces.length > 1) f.pieces = [Buffer.concat(f.pieces, f.length)];
    return f.pieces[0] ?? Buffer.alloc(0);
  }

  size(path: string): number | undefined {
    return this.files.get(key(path))?.length;
  }

  /** The spelling a file or directory was created with. */
  displayName(path: string): string | undefined {
    return this.files.get(key(path))?.name ?? this.dirs.get(key(path));
  }

  /** Replace a file's content (the parent must exist unless `createParents`). */
  write(path: string, data: Buffer, createParents = false): void {
    const p = normalizeHostPath(path);
    if (this.isDirectory(p)) throw new FsError("isDirectory", p);
    if (createParents) {
      const parent = parentOf(p);
      if (parent !== undefined) this.mkdirs(parent);
    } else this.requireParent(p);
    const existing = this.files.get(key(p));
    this.files.set(key(p), { name: existing?.name ?? p, pieces: [data], length: data.length });
  }

  /** FileMode.Append: create when absent, add at the end. */
  append(path: string, data: Buffer): void {
    const p = normalizeHostPath(path);
    if (this.isDirectory(p)) throw new FsError("isDirectory", p);
    this.requireParent(p);
    let f = this.files.get(key(p));
    if (f === undefined) {
      f = { name: p, pieces: [], length: 0 };
      this.files.set(key(p), f);
    }
    if (data.length === 0) return;
    const piece = Buffer.from(data);
    if (this.corruptWrites) piece[0] = (piece[0] ?? 0) ^ 0xff;
    f.pieces.push(piece);
    f.length += piece.length;
  }

  /** File.Delete: nothing when absent; a directory's path fails. */
  deleteFile(path: string): void {
    if (this.isDirectory(path)) throw new FsError("isDirectory", normalizeHostPath(path));
    this.requireParent(path);
    this.files.delete(key(path));
  }

  /** File.Move: the source must exist, the destination must not. */
  move(from: string, to: string): void {
    const f = this.files.get(key(from));
    if (f === undefined) throw new FsError("notFound", normalizeHostPath(from));
    if (this.isFile(to) || this.isDirectory(to)) throw new FsError("exists", normalizeHostPath(to));
    this.requireParent(to);
    this.files.delete(key(from));
    this.files.set(key(to), { ...f, name: normalizeHostPath(to) });
  }

  /** Directory.Delete(path, recursive). */
  deleteDirectory(path: string, recursive: boolean): void {
    const k = key(path);
    if (!this.dirs.has(k)) throw new FsError("pathNotFound", normalizeHostPath(path));
    const prefix = `${k}\\`;
    const inside = [...this.files.keys(), ...this.dirs.keys()].filter((x) => x.startsWith(prefix));
    if (inside.length > 0 && !recursive) throw new FsError("notEmpty", normalizeHostPath(path));
    for (const x of inside) {
      this.files.delete(x);
      this.dirs.delete(x);
    }
    this.dirs.delete(k);
  }

  /**
   * Directory.GetFiles(path, "*", AllDirectories): every file below, each as `path` (the caller's spelling) joined
   * with the names below it. Order: by directory, then name (NTFS returns names sorted).
   */
  filesBelow(path: string): string[] {
    const root = normalizeHostPath(path);
    const prefix = `${key(root)}\\`.replace(/\\\\$/, "\\");
    const out: string[] = [];
    for (const [k, f] of this.files) {
      if (!k.startsWith(prefix)) continue;
      out.push(`${root.endsWith("\\") ? root : `${root}\\`}${f.name.slice(prefix.length)}`);
    }
    return out.sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0));
  }
}

/** The text view of the file system the cmd interpreter uses (keys: lower-case absolute paths; text as UTF-8). */
export class TextFileView {
  constructor(private readonly fs: HostFileSystem) {}

  get(path: string): string | undefined {
    return this.fs.read(path)?.toString("utf8");
  }

  has(path: string): boolean {
    return this.fs.isFile(path) || this.fs.isDirectory(path);
  }

  /** cmd's redirections create the file; the emulator has always let them create its directory too. */
  set(path: string, text: string): this {
    this.fs.write(path, Buffer.from(text, "utf8"), true);
    return this;
  }

  delete(path: string): boolean {
    const had = this.fs.isFile(path);
    if (had) this.fs.deleteFile(path);
    return had;
  }
}
