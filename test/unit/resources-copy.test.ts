/**
 * CopyToRemote's decisions without a host: the input errors check gives at preview (full property paths), what diff
 * replaces (and in which order) from the local files alone, what read makes of the host's hashes (drift), and what
 * delete removes. The copy engine is a fake here (an in-memory host keyed by remote path, real sha256 of real local
 * files); test/integration/resources-copy.test.ts runs the resource on the real engine against the emulated host.
 */
import { after, afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { closeAllClients } from "../../provider/src/resources/clientPool.js";
import { setCopyEngine, type CopyEngine } from "../../provider/src/resources/copyEngine.js";
import { contentHashOf, copyToRemote as R, elsewhere, liveFile, progressLogger } from "../../provider/src/resources/copyToRemote.js";
import { packageSchema } from "../../provider/src/native/schema.js";
import { copyToRemoteInputs, remotePathProblem, UNKNOWN } from "../../provider/src/resources/schemas.js";
import { connectionOnlyChange, type Props } from "../../provider/src/resources/types.js";

const connection = { endpoint: "https://web-01.corp.example:5986/wsman", auth: { username: "CORP\\deploy", password: "Copy-Passw0rd!" } };

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

function walk(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (statSync(root).isFile()) return new Map([["", readFileSync(root)]]);
  const go = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) go(p);
      else out.set(relative(root, p), readFileSync(p));
    }
  };
  go(root);
  return out;
}

/** A host's files by full remote path (lower case, as NTFS compares), and every engine call. */
class FakeHost implements CopyEngine {
  readonly files = new Map<string, { name: string; data: Buffer }>();
  readonly calls: string[] = [];

  async copyToRemote(_c: unknown, localPath: string, remotePath: string) {
    this.calls.push(`copy ${remotePath}`);
    const files = [...walk(localPath)].map(([rel, data]) => {
      const name = rel === "" ? remotePath : `${remotePath}\\${rel.replaceAll("/", "\\")}`;
      this.files.set(name.toLowerCase(), { name, data });
      return { localPath: rel === "" ? localPath : join(localPath, rel), remotePath: name, bytes: data.length, sha256: sha(data), skipped: false, resumedFromByte: 0 };
    });
    return { files, bytesSent: files.reduce((n, f) => n + f.bytes, 0) };
  }

  async remoteHashes(_c: unknown, remotePath: string) {
    this.calls.push(`hashes ${remotePath}`);
    const key = remotePath.toLowerCase();
    const out = new Map<string, string>();
    for (const [k, f] of this.files) {
      if (k === key) out.set("", sha(f.data));
      else if (k.startsWith(`${key}\\`)) out.set(f.name.slice(remotePath.length + 1), sha(f.data));
    }
    return out.size > 0 ? out : undefined;
  }

  async localHashes(localPath: string) {
    return new Map([...walk(localPath)].map(([k, v]) => [k, sha(v)] as const));
  }

  async removeRemote(_c: unknown, remotePath: string) {
    this.calls.push(`remove ${remotePath}`);
    const key = remotePath.toLowerCase();
    for (const k of [...this.files.keys()]) if (k === key || k.startsWith(`${key}\\`)) this.files.delete(k);
  }

  /** Change a file on the host (by its path under the copy). */
  write(path: string, data: string): void {
    const f = this.files.get(path.toLowerCase());
    assert.ok(f !== undefined, `no ${path} on the fake host`);
    f.data = Buffer.from(data);
  }
}

let dir: string;
let host: FakeHost;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "copy-res-"));
  mkdirSync(join(dir, "site", "css"), { recursive: true });
  writeFileSync(join(dir, "site", "index.html"), "<h1>v1</h1>");
  writeFileSync(join(dir, "site", "css", "main.css"), "h1 { color: red }");
  host = new FakeHost();
  setCopyEngine(host);
});

afterEach(() => {
  setCopyEngine(undefined);
  rmSync(dir, { recursive: true, force: true });
});

after(async () => {
  await closeAllClients();
});

const inputs = (extra: Props = {}): Props => ({ connection, source: join(dir, "site"), remotePath: "C:\\inetpub\\site", ...extra });

async function created(extra: Props = {}): Promise<{ id: string; outs: Props }> {
  const news = inputs(extra);
  assert.deepEqual((await R.check({}, news)).failures, []);
  return R.create(news, { log: () => undefined });
}

describe("CopyToRemote check: errors at preview, with the full property path", () => {
  const failures = async (news: Props) => (await R.check({}, news)).failures;

  test("remotePath must be an absolute Windows path below a root, without . / .. or reserved characters", async () => {
    const cases: [string, RegExp][] = [
      ["site", /must be an absolute Windows path such as "C:\\deploy\\app"/],
      ["C:\\", /must name something below C:\\ \(destroy removes the path\)/],
      ["D:/", /must name something below D:\\/],
      ["\\\\fs01\\share", /must name something below \\\\fs01\\share\\/],
      ["\\\\fs01", /must name a share/],
      ["C:\\deploy\\..\\Windows", /must not hold "\." or "\.\." components/],
      ["C:\\deploy\\app.", /ending in a dot or a space/],
      ["C:\\deploy\\a|b", /no Windows file name may hold.*"\|"/],
      ["C:\\deploy\\%TEMP%", /cmd would expand.*"%"/],
      ["C:\\deploy\\\\app", /empty component/],
      ["\\\\?\\C:\\deploy", /absolute Windows path/],
    ];
    for (const [remotePath, reason] of cases) {
      const f = await failures(inputs({ remotePath }));
      assert.equal(f.length, 1, `${remotePath}: ${JSON.stringify(f)}`);
      assert.equal(f[0]?.property, "remotePath");
      assert.match(f[0]?.reason ?? "", reason, remotePath);
    }
    for (const ok of ["C:\\inetpub\\site", "c:/inetpub/site/", "\\\\fs01\\share\\app", "D:\\a b\\c.txt"]) {
      assert.equal(remotePathProblem(ok), undefined, ok);
    }
  });

  test("source must exist locally (checked without network); unknown values wait for up", async () => {
    let f = await failures(inputs({ source: join(dir, "nope") }));
    assert.equal(f[0]?.property, "source");
    assert.match(f[0]?.reason ?? "", /cannot be read here \(ENOENT\): .*nope; give the path of a local file or directory/);
    f = await failures(inputs({ source: "" }));
    assert.deepEqual(f, [{ property: "source", reason: "must not be empty; give the path of a local file or directory" }]);
    f = await failures({ connection, remotePath: "C:\\x" });
    assert.equal(f[0]?.property, "source");
    assert.match(f[0]?.reason ?? "", /is required/);
    assert.deepEqual(await failures(inputs({ source: UNKNOWN, remotePath: UNKNOWN })), []);
  });

  test("every file's path on the host must fit MAX_PATH with the copy's temporary suffix", async () => {
    const long = `C:\\${"d".repeat(240)}`;
    let f = await failures(inputs({ remotePath: long }));
    assert.equal(f.length, 1, JSON.stringify(f));
    assert.equal(f[0]?.property, "remotePath");
    assert.match(f[0]?.reason ?? "", /gives C:\\d+\\css\\main\.css for css\\main\.css: 256 characters, more than Windows' MAX_PATH \(259\) allows with the copy's temporary suffix \.partial/);
    f = await failures(inputs({ remotePath: `C:\\${"d".repeat(260)}` }));
    assert.deepEqual(f, [{ property: "remotePath", reason: 'must be at most 251 characters; give an absolute Windows path such as "C:\\deploy\\app"' }]);
    assert.deepEqual(await failures(inputs({ remotePath: `C:\\${"d".repeat(230)}` })), []);
  });

  test("a local name the host cannot hold (a device name, a colon, a \\..\\ climbing out) is refused at preview", async () => {
    for (const [name, reason] of [
      ["con.txt", /holds con\.txt, which cannot be a file on the host: .*named like a device/],
      ["a:b", /holds a:b, .*alternate data stream/],
      ["..\\..\\evil", /holds \.\.\\\.\.\\evil, .*"\.\." components/],
    ] as const) {
      const src = mkdtempSync(join(tmpdir(), "copy-bad-name-"));
      try {
        writeFileSync(join(src, "ok.txt"), "ok");
        writeFileSync(join(src, name), "x");
        const f = await failures(inputs({ source: src }));
        assert.equal(f.length, 1, `${name}: ${JSON.stringify(f)}`);
        assert.equal(f[0]?.property, "source");
        assert.match(f[0]?.reason ?? "", reason);
      } finally {
        rmSync(src, { recursive: true, force: true });
      }
    }
  });

  test("connection and unknown properties are named by their full path", async () => {
    let f = await failures(inputs({ connection: { ...connection, auth: { ...connection.auth, mechanism: "kerberoz" } } }));
    assert.equal(f[0]?.property, "connection.auth.mechanism");
    f = await failures(inputs({ remote_path: "C:\\x" }));
    assert.deepEqual(f, [{ property: "remote_path", reason: "is not a known property; check its spelling" }]);
    f = await failures(inputs({ deleteOnDestroy: "no" }));
    assert.equal(f[0]?.property, "deleteOnDestroy");
    assert.match(f[0]?.reason ?? "", /must be a boolean/);
  });
});

describe("CopyToRemote create, diff, read, update, delete", () => {
  test("create copies and records each file's hash and size, and one content hash", async () => {
    const { id, outs } = await created({ triggers: [1] });
    assert.match(id, /^copy-to-remote:[0-9a-f-]{36}$/);
    assert.deepEqual(host.calls, ["copy C:\\inetpub\\site"]);
    const files = outs.files as { path: string; sha256: string; bytes: number }[];
    assert.deepEqual(files.map((f) => f.path), ["css/main.css", "index.html"], "sorted, /-separated");
    assert.equal(files[1]?.sha256, sha(Buffer.from("<h1>v1</h1>")));
    assert.equal(outs.fileCount, 2);
    assert.equal(outs.bytes, 11 + 17);
    assert.equal(outs.contentHash, contentHashOf(files));
    assert.equal(outs.endpoint, "https://web-01.corp.example:5986/wsman");
    assert.equal(outs.deleteOnDestroy, true, "the default applied");
    assert.deepEqual(outs.declared, { source: join(dir, "site"), remotePath: "C:\\inetpub\\site", triggers: [1] }, "as written");
    assert.deepEqual(JSON.parse(JSON.stringify(outs)), outs, "plain JSON");
  });

  test("unchanged local files: no change; another spelling of remotePath is the same path", async () => {
    const { id, outs } = await created();
    assert.equal((await R.diff(id, outs, inputs())).changes, false);
    assert.equal((await R.diff(id, outs, inputs({ remotePath: "c:/INETPUB/site/" }))).changes, false);
    assert.equal((await R.diff(id, outs, inputs({ deleteOnDestroy: true }))).changes, false, "an explicit default is no change");
  });

  test("a changed, added or removed local file replaces, deleting first (same host and path)", async () => {
    const { id, outs } = await created();
    writeFileSync(join(dir, "site", "index.html"), "<h1>v2</h1>");
    let d = await R.diff(id, outs, inputs());
    assert.deepEqual(d.replaces, ["sourceHash"]);
    assert.equal(d.deleteBeforeReplace, true, "the old copy's delete would remove the new one");
    writeFileSync(join(dir, "site", "index.html"), "<h1>v1</h1>");
    assert.equal((await R.diff(id, outs, inputs())).changes, false, "back to the copied content");
    writeFileSync(join(dir, "site", "new.txt"), "");
    d = await R.diff(id, outs, inputs());
    assert.deepEqual(d.replaces, ["sourceHash"], "an added empty file");
    rmSync(join(dir, "site", "new.txt"));
    rmSync(join(dir, "site", "css", "main.css"));
    assert.deepEqual((await R.diff(id, outs, inputs())).replaces, ["sourceHash"], "a removed file");
    assert.equal(host.calls.length, 1, "diff never reaches the host");
  });

  test("check adds the local content's hash as sourceHash; diff takes it from there; it never reaches declared", async () => {
    const checked = (await R.check({}, inputs())).inputs;
    const { id, outs } = await R.create(checked, { log: () => undefined });
    assert.equal(checked.sourceHash, outs.contentHash);
    assert.equal((outs.declared as Props).sourceHash, undefined);
    assert.equal(outs.sourceHash, undefined, "the state's hash is contentHash");
    writeFileSync(join(dir, "site", "index.html"), "<h1>v2</h1>");
    assert.equal((await R.diff(id, outs, checked)).changes, false, "the hash check computed is what diff compares");
    const again = (await R.check({}, inputs())).inputs;
    assert.notEqual(again.sourceHash, checked.sourceHash);
    assert.deepEqual((await R.diff(id, outs, again)).replaces, ["sourceHash"]);
    assert.equal((await R.check({}, inputs({ source: UNKNOWN }))).inputs.sourceHash, undefined, "not known at preview");
    const declared = await R.check({}, inputs({ sourceHash: "x" }));
    assert.deepEqual(declared.failures, [{ property: "sourceHash", reason: "is not a known property; check its spelling" }]);
  });

  test("the same content under another local path is an update that copies nothing", async () => {
    const { id, outs } = await created();
    mkdirSync(join(dir, "moved"));
    writeFileSync(join(dir, "moved", "index.html"), "<h1>v1</h1>");
    mkdirSync(join(dir, "moved", "css"));
    writeFileSync(join(dir, "moved", "css", "main.css"), "h1 { color: red }");
    const news = inputs({ source: join(dir, "moved") });
    const d = await R.diff(id, outs, news);
    assert.deepEqual(d.replaces, []);
    assert.deepEqual(Object.keys(d.detailedDiff), ["source"]);
    const u = await R.update(id, outs, news);
    assert.equal(u.outs.source, join(dir, "moved"));
    assert.equal(u.outs.contentHash, outs.contentHash);
    assert.deepEqual(host.calls, ["copy C:\\inetpub\\site"], "nothing copied");
  });

  test("remotePath, triggers, endpoint: replace; create-before-delete only where the new copy lands apart", async () => {
    const { id, outs } = await created({ triggers: ["a"] });
    let d = await R.diff(id, outs, inputs({ triggers: ["b"] }));
    assert.deepEqual(d.replaces, ["triggers"]);
    assert.equal(d.deleteBeforeReplace, true);
    d = await R.diff(id, outs, inputs({ triggers: ["a"], remotePath: "C:\\inetpub\\site2" }));
    assert.deepEqual(d.replaces, ["remotePath"]);
    assert.equal(d.deleteBeforeReplace, false, "another path: the new copy first, then the old removed");
    d = await R.diff(id, outs, inputs({ triggers: ["a"], remotePath: "C:\\inetpub\\site\\v2" }));
    assert.equal(d.deleteBeforeReplace, true, "inside the old path: removing the old would remove the new");
    d = await R.diff(id, outs, inputs({ triggers: ["a"], remotePath: "C:\\inetpub" }));
    assert.equal(d.deleteBeforeReplace, true, "holding the old path");
    d = await R.diff(id, outs, inputs({ triggers: ["a"], connection: { ...connection, endpoint: "https://web-02.corp.example:5986/wsman" } }));
    assert.deepEqual(d.replaces, ["connection"]);
    assert.equal(d.deleteBeforeReplace, false, "another host");
    d = await R.diff(id, outs, inputs({ triggers: ["a"], source: UNKNOWN }));
    assert.deepEqual(d.replaces, ["source"], "unknown at preview: may change");
    d = await R.diff(id, outs, inputs({ triggers: ["a"], remotePath: UNKNOWN }));
    assert.deepEqual(d.replaces, ["remotePath"]);
    assert.equal(d.deleteBeforeReplace, true, "an unknown path may be the same one");
    assert.equal(elsewhere({ remotePath: "C:\\a\\b" }, { remotePath: "c:\\A\\bc" }, undefined), true, "a sibling with a common prefix");
  });

  test("a rotated password or deleteOnDestroy only updates the state", async () => {
    const { id, outs } = await created();
    const rotated = inputs({ connection: { ...connection, auth: { ...connection.auth, password: "New-Passw0rd!" } } });
    const d = await R.diff(id, outs, rotated);
    assert.ok(connectionOnlyChange(d), JSON.stringify(d));
    const keep = await R.diff(id, outs, inputs({ deleteOnDestroy: false }));
    assert.deepEqual(keep.replaces, []);
    assert.deepEqual(Object.keys(keep.detailedDiff), ["deleteOnDestroy"]);
    const u = await R.update(id, outs, inputs({ deleteOnDestroy: false }));
    assert.equal(u.outs.deleteOnDestroy, false);
    assert.deepEqual(host.calls, ["copy C:\\inetpub\\site"]);
  });

  test("read: a file changed or deleted on the host is drift that diff replaces; untouched, nothing changes", async () => {
    const { id, outs } = await created();
    let r = await R.read(id, outs);
    assert.deepEqual(r.props, outs, "no drift: the same state");
    assert.deepEqual(r.inputs, { ...(outs.declared as Props), connection, sourceHash: outs.contentHash });
    assert.equal((await R.diff(id, r.props, inputs())).changes, false);

    host.write("C:\\inetpub\\site\\index.html", "defaced");
    r = await R.read(id, outs);
    assert.notEqual(r.props.contentHash, outs.contentHash);
    const index = (r.props.files as { path: string; sha256: string }[]).find((f) => f.path === "index.html");
    assert.equal(index?.sha256, sha(Buffer.from("defaced")));
    assert.deepEqual(r.inputs, { ...(outs.declared as Props), connection, sourceHash: r.props.contentHash }, "the declared inputs, and what the host holds");
    const d = await R.diff(id, r.props, inputs());
    assert.deepEqual(d.replaces, ["sourceHash"]);
    assert.equal(d.deleteBeforeReplace, true);

    host.write("C:\\inetpub\\site\\index.html", "<h1>v1</h1>");
    host.files.delete("c:\\inetpub\\site\\css\\main.css");
    r = await R.read(id, outs);
    assert.equal((r.props.files as { path: string; sha256: string }[]).find((f) => f.path === "css/main.css")?.sha256, "", "missing");
    assert.deepEqual((await R.diff(id, r.props, inputs())).replaces, ["sourceHash"]);

    await R.delete(id, outs);
    r = await R.read(id, outs);
    assert.ok((r.props.files as { sha256: string }[]).every((f) => f.sha256 === ""), "the whole path gone");
    assert.deepEqual((await R.diff(id, r.props, inputs())).replaces, ["sourceHash"]);
  });

  test("read matches names case-insensitively and ignores files the copy did not write", async () => {
    const { id, outs } = await created();
    const f = host.files.get("c:\\inetpub\\site\\index.html");
    assert.ok(f !== undefined);
    host.files.set("c:\\inetpub\\site\\index.html", { ...f, name: "C:\\inetpub\\site\\INDEX.HTML" });
    host.files.set("c:\\inetpub\\site\\web.config", { name: "C:\\inetpub\\site\\web.config", data: Buffer.from("<configuration/>") });
    const r = await R.read(id, outs);
    assert.deepEqual(r.props, outs);
  });

  test("a single file: its own path on the host", async () => {
    const file = join(dir, "site", "index.html");
    const { id, outs } = await created({ source: file, remotePath: "C:\\inetpub\\index.html" });
    assert.deepEqual((outs.files as { path: string }[]).map((x) => x.path), [""]);
    assert.ok(host.files.has("c:\\inetpub\\index.html"));
    assert.deepEqual((await R.read(id, outs)).props, outs);
    writeFileSync(file, "v2");
    assert.deepEqual((await R.diff(id, outs, inputs({ source: file, remotePath: "C:\\inetpub\\index.html" }))).replaces, ["sourceHash"]);
  });

  test("delete removes remotePath, unless deleteOnDestroy is false", async () => {
    const { id, outs } = await created();
    await R.delete(id, { ...outs, deleteOnDestroy: false });
    assert.equal(host.files.size, 2);
    await R.delete(id, outs);
    assert.equal(host.files.size, 0);
    assert.deepEqual(host.calls, ["copy C:\\inetpub\\site", "remove C:\\inetpub\\site"]);
  });

  test("pulumi import (a read with no state) is refused with what to do instead", async () => {
    await assert.rejects(R.read("copy-to-remote:x", { connection }), /id: a CopyToRemote cannot be imported: declare it with its source and remotePath/);
  });

  test("state from a newer layout is refused with the fix", async () => {
    const { id, outs } = await created();
    await assert.rejects(R.read(id, { ...outs, schemaVersion: 99 }), /newer pulumi-winrm-proxy .*upgrade the package/);
  });
});

test("the native package schema has CopyToRemote with zod's inputs; source and remotePath required", () => {
  const schema = packageSchema("0.1.0") as { resources: Record<string, { inputProperties: Record<string, { description?: string }>; requiredInputs?: string[]; properties: Record<string, unknown> }> };
  const r = schema.resources["winrmproxy:index:CopyToRemote"];
  assert.deepEqual(Object.keys(r?.inputProperties ?? {}).sort(), Object.keys(copyToRemoteInputs.shape).sort());
  assert.deepEqual(r?.requiredInputs, ["source", "remotePath"]);
  assert.equal(r?.inputProperties.remotePath?.description, copyToRemoteInputs.shape.remotePath.description);
  for (const out of ["contentHash", "files", "fileCount", "bytes", "endpoint"]) assert.ok(out in (r?.properties ?? {}), out);
  assert.deepEqual((r?.properties.files as { items?: unknown } | undefined)?.items, { $ref: "#/types/winrmproxy:index:CopiedFile" });
  const types = (schema as unknown as { types: Record<string, { required?: string[] }> }).types;
  assert.deepEqual(types["winrmproxy:index:CopiedFile"]?.required, ["path", "sha256", "bytes"]);
});

test("progress: one line per tenth of a copy of 1 MB or more, none for smaller ones", () => {
  const lines: string[] = [];
  const big = progressLogger("C:\\d", (l) => lines.push(l));
  for (let sent = 0; sent <= 4_000_000; sent += 100_000) big({ bytesSent: sent, totalBytes: 4_000_000 });
  assert.deepEqual(lines, [10, 20, 30, 40, 50, 60, 70, 80, 90].map((p) => `CopyToRemote: ${p}% of 4.0 MB to C:\\d`));
  const small = progressLogger("C:\\d", (l) => lines.push(`small ${l}`));
  small({ bytesSent: 500_000, totalBytes: 999_999 });
  assert.equal(lines.length, 9);
});

test("the content hash depends on paths and hashes, not on their order or separator", () => {
  const a = contentHashOf([{ path: "a/b", sha256: "AA" }, { path: "c", sha256: "bb" }]);
  assert.equal(a, contentHashOf([{ path: "c", sha256: "bb" }, { path: "a\\b", sha256: "aa" }]));
  assert.notEqual(a, contentHashOf([{ path: "a/b", sha256: "bb" }, { path: "c", sha256: "aa" }]));
  assert.notEqual(a, contentHashOf([{ path: "a/b", sha256: "aa" }]));
});

test("a SHA-1-only host (Server 2003): its sha1 is compared with the recorded sha1, never with a sha256", () => {
  const f = { path: "a.txt", sha256: "aa".repeat(32), sha1: "bb".repeat(20), bytes: 3 };
  assert.deepEqual(liveFile(f, `sha1:${"bb".repeat(20)}`), f, "the recorded SHA-1: the content copied, sha256 stands");
  assert.deepEqual(liveFile(f, `sha1:${"cc".repeat(20)}`), { ...f, sha256: "", sha1: "cc".repeat(20) }, "another SHA-1: drift");
  assert.deepEqual(liveFile(f, undefined), { ...f, sha256: "", sha1: "" }, "missing");
  // A state recorded without sha1 cannot be compared with a SHA-1: drift (the replacement records it).
  const { sha1: _s, ...old } = f;
  assert.equal(liveFile(old, `sha1:${"bb".repeat(20)}`).sha256, "");
  assert.deepEqual(liveFile(old, "dd".repeat(32)), { ...old, sha256: "dd".repeat(32) }, "a SHA-256 host as before");
  assert.notEqual(contentHashOf([liveFile(f, `sha1:${"cc".repeat(20)}`)]), contentHashOf([f]));
});
