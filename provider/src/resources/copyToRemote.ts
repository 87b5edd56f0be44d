/**
 * CopyToRemote: @pulumi/command's remote.CopyToRemote (a local file or directory to a path on the host, `triggers`
 * that replace) for Windows hosts over WinRM, driven by content hashes, on the copy engine of provider/src/copy
 * (copyEngine.ts: streamed through a remote writer's stdin, verified by a hash computed on the host).
 *
 * - create copies `source` to `remotePath` (a file to that file; a directory's contents into that directory) and
 *   records what the host now holds: every file's relative path, sha256 and size (and its sha1 on a host that
 *   computes SHA-1 only: Server 2003), and `contentHash`, one sha256 over the paths and sha256s (contentHashOf).
 * - check, at every preview, hashes the local source (no network) into the input `sourceHash` (the engine shows a
 *   content change as that input's change); diff compares it with the state's `contentHash`:
 *   a changed, added or removed local file replaces the resource, as a new remotePath (compared as Windows does:
 *   case-insensitive, `/` as `\`), a triggers change or another endpoint does. A replacement on the same host and
 *   path deletes first (deleteBeforeReplace): the new copy's path is the old one's, and a delete after the create
 *   would remove what the create just wrote. Other changes (a rotated password, deleteOnDestroy, the source spelled
 *   differently with the same content) only update the stored state: nothing is copied.
 * - read (refresh) hashes the recorded files on the host (remoteHashes; SHA-1 compared with the recorded sha1 on a
 *   host without SHA-256: liveFile) and records what it found: a file changed
 *   or deleted there gives another `contentHash`, so `pulumi preview --refresh` shows the replacement and
 *   `pulumi up --refresh` copies again. Files the host has under remotePath that the copy did not write are not
 *   tracked (no drift), and names are matched case-insensitively (NTFS keeps an existing file's case).
 * - delete removes remotePath from the host with everything in it (deleteOnDestroy, default true; false leaves the
 *   files). pulumi-command's CopyToRemote leaves them always; here the resource owns the path it created, so a
 *   destroy leaves no stale copy behind unless the program asks for it.
 *
 * id: `copy-to-remote:<random UUID>`. State (schemaVersion 1): connection (secret), endpoint, source, remotePath,
 * triggers, deleteOnDestroy as declared; contentHash, files, fileCount, bytes; declared (the inputs as written).
 */
import { randomUUID } from "node:crypto";
import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { relative, resolve, sep } from "node:path";
import { readLocalTree } from "../copy/localFiles.js";
import { joinRemote, MAX_REMOTE_PATH, PARTIAL_SUFFIX, remotePathProblem as copyPathProblem } from "../copy/remotePaths.js";
import { ConfigurationError, LimitExceededError } from "../errors.js";
import { getClient } from "./clientPool.js";
import { compareTriggers } from "./remoteCommand.js";
import { copyEngine } from "./copyEngine.js";
import { stderrWriter } from "./engineLog.js";
import {
  checkWith,
  connectionOf,
  copyToRemoteInputs,
  declaredOf,
  isUnknown,
  parseInputs,
  plain,
  remotePathForm,
  remotePathKey,
  remotePathProblem,
  SCHEMA_VERSION,
  storedDeclared,
  storedState,
  withoutProvider,
  type CheckFailure,
  type CopyToRemoteInputs,
} from "./schemas.js";
import { DiffBuilder, type OperationContext, type Props, type ResourceProviderFunctions } from "./types.js";

export const COPY_TO_REMOTE_ID_PREFIX = "copy-to-remote:";

/** One file of the copy as the host holds it. */
export interface CopiedFileState {
  /** Relative to remotePath, `/`-separated ("" when the source is one file). */
  path: string;
  /**
   * Hex sha256 of the file on the host; "" when read() found it missing, or (on a host that computes SHA-1 only)
   * holding other content than was copied.
   */
  sha256: string;
  /**
   * Only on hosts that compute SHA-1 alone (Server 2003: certutil -hashfile has no SHA-2 there): hex SHA-1 of the
   * file, recorded at create from the local file the host verified, and after a refresh the host's ("" when
   * missing). read() compares it with the host's SHA-1 and keeps sha256 while they agree: like with like.
   */
  sha1?: string;
  /** Its size when it was copied. */
  bytes: number;
}

export interface CopyToRemoteState extends Omit<CopyToRemoteInputs, "connection"> {
  schemaVersion: number;
  connection: unknown;
  endpoint: string;
  contentHash: string;
  files: CopiedFileState[];
  fileCount: number;
  bytes: number;
  declared?: Props;
}

/** A relative path in the one spelling the state uses: `/` separators. */
function relativeKey(path: string): string {
  return path.replaceAll("\\", "/");
}

/**
 * The content hash of a file tree: sha256 over its (relative path, sha256) pairs sorted by path, as JSON (no
 * separator a name could hold is ambiguous). The same function for the local source (diff) and the host (read),
 * so equal trees give equal hashes whatever order they were listed in.
 */
export function contentHashOf(entries: Iterable<{ path: string; sha256: string }>): string {
  const pairs = [...entries].map((e) => [relativeKey(e.path), e.sha256.toLowerCase()] as const);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return createHash("sha256").update(JSON.stringify(pairs), "utf8").digest("hex");
}

/** The local source as an absolute path (relative to the provider's working directory: the project directory). */
function localSourcePath(source: string): string {
  return resolve(source);
}

/** The content hash of the local source now. */
async function localContentHash(source: string): Promise<string> {
  const hashes = await copyEngine().localHashes(localSourcePath(source));
  return contentHashOf([...hashes].map(([path, sha256]) => ({ path, sha256 })));
}

/**
 * check's rules that need the local disk only: the source exists and is a file or a directory within the copy's
 * bounds (provider/src/copy/localFiles.ts), and every file's path on the host, with the copy's temporary suffix,
 * fits in MAX_PATH (provider/src/copy/remotePaths.ts), so preview refuses what the copy would refuse mid-way.
 */
async function sourceFailures(source: unknown, remotePath: unknown): Promise<CheckFailure[]> {
  if (typeof source !== "string" || source === "" || isUnknown(source)) return [];
  const at = localSourcePath(source);
  try {
    const st = statSync(at);
    if (!st.isFile() && !st.isDirectory()) {
      return [{ property: "source", reason: `is neither a file nor a directory: ${at}; give the path of a local file or directory` }];
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "unreadable";
    return [{ property: "source", reason: `cannot be read here (${code}): ${at}; give the path of a local file or directory (relative paths start at the project directory)` }];
  }
  let tree;
  try {
    tree = await readLocalTree(at, "source");
  } catch (e) {
    if (e instanceof ConfigurationError || e instanceof LimitExceededError) {
      return [{ property: "source", reason: e instanceof ConfigurationError ? e.message.slice(e.field.length + 2) : e.message.replace(/^source: /, "") }];
    }
    throw e;
  }
  if (typeof remotePath !== "string" || isUnknown(remotePath) || remotePathProblem(remotePath) !== undefined) return [];
  const root = remotePathForm(remotePath);
  // A local name Windows cannot hold (`con.txt`, `a:b`, a Linux name with `\..\` in it) is refused here, as the copy
  // would refuse it (copy/remotePaths.ts), so preview says so before anything is sent.
  for (const f of tree.files) {
    const problem = f.relative === "" ? undefined : copyPathProblem(joinRemote(root, f.relative), {});
    if (problem !== undefined) {
      return [{ property: "source", reason: `holds ${f.relative}, which cannot be a file on the host: its path there ${problem}; rename it` }];
    }
  }
  const tooLong = tree.files.find((f) => joinRemote(root, f.relative).length + PARTIAL_SUFFIX.length > MAX_REMOTE_PATH);
  if (tooLong === undefined) return [];
  const remote = joinRemote(root, tooLong.relative);
  return [{
    property: "remotePath",
    reason:
      `gives ${remote} for ${tooLong.relative === "" ? "the source" : tooLong.relative}: ${remote.length} characters, more than Windows' MAX_PATH ` +
      `(${MAX_REMOTE_PATH}) allows with the copy's temporary suffix ${PARTIAL_SUFFIX}; use a shorter remotePath`,
  }];
}

/**
 * Whether a replacement's new copy lands apart from the old one, so it can be made before the old one is removed
 * (the engine's default order): another host (endpoint known and changed), or a known remotePath that neither holds
 * nor lies inside the old one. Otherwise the old copy is deleted first: removing it after the create would remove
 * what the create just wrote.
 */
export function elsewhere(old: { remotePath: string }, news: Props, endpointChange: string | undefined): boolean {
  if (endpointChange === "update-replace") return true;
  const path = news.remotePath;
  if (typeof path !== "string" || isUnknown(path)) return false;
  const a = remotePathKey(old.remotePath);
  const b = remotePathKey(path);
  return a !== b && !a.startsWith(`${b}\\`) && !b.startsWith(`${a}\\`);
}

/**
 * The input check adds: the local source's content hash (contentHashOf). Not declared by programs (the schema
 * refuses it), never stored in `declared`.
 */
const SOURCE_HASH = "sourceHash";

/** The inputs as the program gave them: without `__provider` and without the provider's own SOURCE_HASH. */
function programInputs(news: Props): Props {
  const { [SOURCE_HASH]: _h, ...rest } = withoutProvider(news);
  return rest;
}

const stateOf = (props: Props): CopyToRemoteState => storedState(props, "CopyToRemote");
const json = (v: unknown): string => JSON.stringify(v ?? null);

function stateFrom(inputs: CopyToRemoteInputs, news: Props, files: CopiedFileState[]): CopyToRemoteState {
  const { connection: _c, ...rest } = inputs;
  const raw = withoutProvider(news).connection;
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return plain({
    ...rest,
    schemaVersion: SCHEMA_VERSION,
    connection: raw,
    endpoint: connectionOf({ connection: raw }).endpoint,
    contentHash: contentHashOf(sorted),
    files: sorted,
    fileCount: sorted.length,
    bytes: sorted.reduce((n, f) => n + f.bytes, 0),
    declared: declaredOf(programInputs(news)),
  });
}

/** "1.2 MB" for the log line. */
function size(bytes: number): string {
  return bytes >= 1_000_000 ? `${(bytes / 1_000_000).toFixed(1)} MB` : bytes >= 1000 ? `${(bytes / 1000).toFixed(1)} kB` : `${bytes} B`;
}

/** Copies of at least this size log their progress, one line per tenth. */
const PROGRESS_MIN_BYTES = 1_000_000;

/** A progress callback that logs a line each time a copy of PROGRESS_MIN_BYTES or more passes another tenth. */
export function progressLogger(remote: string, log: (line: string) => void): (p: { bytesSent: number; totalBytes: number }) => void {
  let logged = 0;
  return ({ bytesSent, totalBytes }) => {
    if (totalBytes < PROGRESS_MIN_BYTES) return;
    const tenth = Math.floor((bytesSent * 10) / totalBytes);
    if (tenth <= logged || tenth >= 10) return;
    logged = tenth;
    log(`CopyToRemote: ${tenth * 10}% of ${size(totalBytes)} to ${remote}`);
  };
}

async function copy(inputs: CopyToRemoteInputs, news: Props, ctx: OperationContext | undefined): Promise<CopyToRemoteState> {
  const raw = withoutProvider(news).connection;
  const { client } = getClient(raw);
  const local = localSourcePath(inputs.source);
  const remote = remotePathForm(inputs.remotePath);
  const log = ctx?.log ?? stderrWriter;
  const result = await copyEngine().copyToRemote(client, local, remote, { onProgress: progressLogger(remote, log) });
  const files = result.files.map((f): CopiedFileState => ({
    path: relativeKey(relative(local, f.localPath).split(sep).join("/")),
    sha256: f.sha256.toLowerCase(),
    ...(f.sha1 !== undefined ? { sha1: f.sha1.toLowerCase() } : {}),
    bytes: f.bytes,
  }));
  const state = stateFrom(inputs, news, files);
  log(
    `CopyToRemote: ${state.fileCount} file(s), ${size(state.bytes)} to ${remote} on ${state.endpoint} (${size(result.bytesSent)} sent)`,
  );
  return state;
}

/**
 * A recorded file as the host holds it now, from remoteHashes' value for it (undefined: missing). A host that
 * computes SHA-1 only answers `sha1:<hex>`: it is compared with the SHA-1 recorded at create, never with a sha256;
 * while they agree the recorded sha256 stands (the content is the one copied), otherwise sha256 becomes "" so the
 * contentHash differs and the engine replaces. A state recorded without sha1 on such a host (made before sha1 was
 * kept) shows drift once; the replacement records it.
 */
export function liveFile(f: CopiedFileState, live: string | undefined): CopiedFileState {
  if (live === undefined) return { ...f, sha256: "", ...(f.sha1 !== undefined ? { sha1: "" } : {}) };
  if (live.startsWith("sha1:")) {
    const sha1 = live.slice("sha1:".length);
    return { ...f, sha256: f.sha1 !== undefined && f.sha1 === sha1 ? f.sha256 : "", sha1 };
  }
  return { ...f, sha256: live };
}

export const copyToRemote: ResourceProviderFunctions = {
  async check(_olds, news) {
    const r = checkWith(copyToRemoteInputs, news);
    const known = r.failures.some((f) => f.property === "remotePath") ? undefined : r.inputs.remotePath;
    if (!r.failures.some((f) => f.property === "source")) r.failures.push(...(await sourceFailures(r.inputs.source, known)));
    // The local content's hash, as an input the provider adds: the engine then shows a content change as
    // `sourceHash: "<old>" => "<new>"` (the dynamic-provider RPC forwards no detailed diff), and diff reads it here.
    if (r.failures.length === 0 && typeof r.inputs.source === "string" && !isUnknown(r.inputs.source)) {
      r.inputs[SOURCE_HASH] = await localContentHash(r.inputs.source);
    }
    return r;
  },

  async diff(_id, olds, news) {
    const old = stateOf(olds);
    const n = withoutProvider(news);
    const d = new DiffBuilder();
    d.compareConnection(old.connection, n.connection);
    compareTriggers(d, old.triggers, n.triggers);
    d.compare("remotePath", remotePathKey(old.remotePath), n.remotePath, (v) => (typeof v === "string" ? remotePathKey(v) : json(v)), true);
    if (isUnknown(n.source)) d.change("source", true);
    else if (typeof n.source === "string") {
      // The content decides (hashed by check, locally); the same content under another spelling of the path is no copy.
      const local = typeof n[SOURCE_HASH] === "string" ? n[SOURCE_HASH] : await localContentHash(n.source);
      if (local !== old.contentHash) d.change(SOURCE_HASH, true);
      if (n.source !== old.source) d.change("source", local !== old.contentHash);
    }
    d.compare("deleteOnDestroy", old.deleteOnDestroy ?? true, n.deleteOnDestroy ?? true, json);
    const r = d.result();
    return { ...r, deleteBeforeReplace: r.replaces.length > 0 && !elsewhere(old, n, r.detailedDiff["connection.endpoint"]?.kind) };
  },

  async create(news, ctx) {
    const inputs = parseInputs(copyToRemoteInputs, programInputs(news));
    const outs = await copy(inputs, news, ctx);
    return { id: `${COPY_TO_REMOTE_ID_PREFIX}${randomUUID()}`, outs: outs as unknown as Props };
  },

  async read(id, props = {}) {
    if (withoutProvider(props).remotePath === undefined) {
      // pulumi import (the native provider reads with no state): nothing on the host says which local source it was.
      throw new ConfigurationError(
        "id",
        "a CopyToRemote cannot be imported: declare it with its source and remotePath and run `pulumi up`; files the " +
          "host already holds with the same SHA-256 are not sent again",
      );
    }
    const old = stateOf(props);
    const { client } = getClient(old.connection);
    const live = await copyEngine().remoteHashes(client, remotePathForm(old.remotePath));
    // Case-insensitive names (NTFS keeps the case a file already had when it was overwritten).
    const byKey = new Map<string, string>();
    for (const [path, sha256] of live ?? []) byKey.set(relativeKey(path).toLowerCase(), sha256.toLowerCase());
    const files = old.files.map((f) => liveFile(f, byKey.get(f.path.toLowerCase())));
    const state = plain({ ...old, files, contentHash: contentHashOf(files) });
    const declared = storedDeclared(old as unknown as Props) ?? {
      source: old.source,
      remotePath: old.remotePath,
      ...(old.triggers !== undefined ? { triggers: old.triggers } : {}),
      deleteOnDestroy: old.deleteOnDestroy,
    };
    // The program's inputs as declared (its source and path still say what they said); drift shows in the state's
    // contentHash and files, and in sourceHash: what the host holds, so the next diff sees it as that input's change.
    return { id, props: state as unknown as Props, inputs: plain({ ...declared, connection: old.connection, [SOURCE_HASH]: state.contentHash }) };
  },

  async update(id, olds, news) {
    const diff = await copyToRemote.diff(id, olds, news);
    if (diff.replaces.length > 0) {
      throw new ConfigurationError(diff.replaces[0] ?? "source", "changed in a way that needs a replacement, not an update; run `pulumi up` again");
    }
    // Nothing to do on the host: the files are the same; record the new connection and inputs.
    const old = stateOf(olds);
    const inputs = parseInputs(copyToRemoteInputs, programInputs(news));
    return { outs: stateFrom(inputs, news, old.files) as unknown as Props };
  },

  async delete(_id, props) {
    const old = stateOf(props);
    if (old.deleteOnDestroy === false) return;
    const { client } = getClient(old.connection);
    await copyEngine().removeRemote(client, remotePathForm(old.remotePath));
  },
};

