/**
 * File copy (provider/src/copy) against the emulated host through the `testing` entry: a binary file over 1 MiB and
 * a directory tree over HTTP with NTLM sealing and over HTTPS, verified by the host's SHA-256; a host that corrupts
 * what it writes (CopyVerificationError, nothing at the final path); a connection broken mid-copy and the rerun
 * sending only the remainder.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { createServer, connect, type AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { WinRMClient } from "../../provider/src/client.js";
import { ConnectionError, WinRMError } from "../../provider/src/errors.js";
import {
  copyToRemote,
  CopyVerificationError,
  localHashes,
  remoteHashes,
  removeRemote,
} from "../../provider/src/copy/index.js";
import { startEmulatedHost, type RunningEmulatedHost, type StartEmulatedHostOptions } from "../../provider/src/testing/index.js";

const USER = "alice";
const PASSWORD = "Passw0rd!";
const SEND = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send";

function sha(b: Buffer): string {
  return createHash("sha256").update(b).digest("hex").toUpperCase();
}

async function hostWith(opts: Partial<StartEmulatedHostOptions> = {}): Promise<{ host: RunningEmulatedHost; client: () => WinRMClient }> {
  const host = await startEmulatedHost({ users: [{ username: USER, password: PASSWORD }], ...opts });
  const client = (): WinRMClient =>
    new WinRMClient({
      endpoint: host.url,
      auth: { mechanism: "ntlm", username: USER, password: PASSWORD },
      ...(host.ca !== undefined ? { tls: { ca: host.ca, serverName: "localhost" } } : {}),
    });
  return { host, client };
}

/** A host (hostWith(opts)) and one client for the tests of the calling describe: started before them, closed after. */
function sharedHost(opts: Partial<StartEmulatedHostOptions>): { host: RunningEmulatedHost; client: WinRMClient } {
  const s = {} as { host: RunningEmulatedHost; client: WinRMClient };
  before(async () => {
    const h = await hostWith(opts);
    s.host = h.host;
    s.client = h.client();
  });
  after(async () => {
    await s.client.close();
    await s.host.close();
  });
  return s;
}

let dir: string;
let big: Buffer;
let bigPath: string;
let treePath: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "copy-test-"));
  big = randomBytes(1536 * 1024 + 7);
  bigPath = join(dir, "big.bin");
  await writeFile(bigPath, big);
  treePath = join(dir, "tree");
  await mkdir(join(treePath, "sub dir", "ünï"), { recursive: true });
  await writeFile(join(treePath, "a.txt"), "alpha\r\n");
  await writeFile(join(treePath, "empty.bin"), Buffer.alloc(0));
  await writeFile(join(treePath, "sub dir", "it's.bin"), randomBytes(70_000));
  await writeFile(join(treePath, "sub dir", "ünï", "deep.txt"), "deep");
  await writeFile(join(treePath, "\u2018q\u2019 $x `y.txt"), "typographic quotes");
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

for (const tls of [false, true]) {
  void describe(`copyToRemote over ${tls ? "HTTPS" : "HTTP with NTLM sealing"}`, () => {
    const s = sharedHost({ tls });

    test("a binary file over 1 MiB arrives byte for byte, verified by the host, in few Sends", async () => {
      const before = s.host.requests.length;
      const progress: number[] = [];
      const r = await copyToRemote(s.client, bigPath, "C:\\Data\\big file.bin", { onProgress: (p) => progress.push(p.bytesSent) });
      assert.equal(r.bytesSent, big.length);
      assert.equal(r.files.length, 1);
      assert.equal(r.files[0]?.sha256, sha(big));
      assert.equal(r.files[0]?.skipped, false);
      const stored = s.host.host.fs.read("C:\\Data\\big file.bin");
      assert.ok(stored !== undefined && stored.equals(big), "the host holds the same bytes");
      assert.equal(s.host.host.fs.isFile("C:\\Data\\big file.bin.partial"), false, "no temporary file left");
      const sends = s.host.requests.slice(before).filter((e) => e.action === SEND).length;
      // 512000-byte envelopes on a WinRM 3.0 host: about 280 KiB of file per Send.
      assert.ok(sends >= 5 && sends <= 7, `${sends} Sends for 1.5 MiB`);
      assert.equal(progress.at(-1), big.length);
      assert.equal(await remoteHashes(s.client, "C:\\Data\\big file.bin").then((m) => m?.get("")), sha(big));
    });

    test("a second copy of the same content sends nothing (remote hash matches)", async () => {
      const r = await copyToRemote(s.client, bigPath, "C:\\Data\\big file.bin");
      assert.equal(r.bytesSent, 0);
      assert.equal(r.files[0]?.skipped, true);
    });

    test("a directory tree: directories created, names with spaces, quotes and non-ASCII, empty files", async () => {
      const r = await copyToRemote(s.client, treePath, "C:\\Dest\\tree");
      assert.equal(r.files.length, 5);
      assert.equal(s.host.host.fs.read("C:\\Dest\\tree\\\u2018q\u2019 $x `y.txt")?.toString(), "typographic quotes");
      assert.ok(s.host.host.fs.isDirectory("C:\\Dest\\tree\\sub dir\\ünï"));
      assert.equal(s.host.host.fs.read("C:\\Dest\\tree\\sub dir\\ünï\\deep.txt")?.toString(), "deep");
      assert.equal(s.host.host.fs.size("C:\\Dest\\tree\\empty.bin"), 0);
      const local = await localHashes(treePath);
      const remote = await remoteHashes(s.client, "C:\\Dest\\tree");
      assert.deepEqual(new Map([...(remote ?? [])].sort()), new Map([...local].sort()));
      // Changing one file re-sends only that file.
      await writeFile(join(treePath, "a.txt"), "beta\r\n");
      const again = await copyToRemote(s.client, treePath, "C:\\Dest\\tree");
      assert.equal(again.bytesSent, 6);
      assert.deepEqual(again.files.map((f) => f.skipped), [false, true, true, true, true]);
      await removeRemote(s.client, "C:\\Dest\\tree");
      assert.equal(await remoteHashes(s.client, "C:\\Dest\\tree"), undefined);
      await writeFile(join(treePath, "a.txt"), "alpha\r\n");
    });
  });
}

void describe("copyToRemote failures", () => {
  test("a host that writes other bytes: CopyVerificationError naming the path, nothing at the final path", async () => {
    const { host, client } = await hostWith({ scenario: { corruptFileWrites: true } });
    const c = client();
    try {
      await assert.rejects(copyToRemote(c, bigPath, "C:\\x\\big.bin"), (e: unknown) => {
        assert.ok(e instanceof CopyVerificationError);
        assert.equal(e.code, "WINRM_COPY_VERIFY");
        assert.equal(e.remotePath, "C:\\x\\big.bin");
        assert.match(e.message, /C:\\x\\big\.bin/);
        return true;
      });
      assert.equal(host.host.fs.isFile("C:\\x\\big.bin"), false);
      assert.equal(host.host.fs.isFile("C:\\x\\big.bin.partial"), false, "the unverified partial is removed");
    } finally {
      await c.close();
      await host.close();
    }
  });

  test("a missing local path is a ConfigurationError naming localPath", async () => {
    const { host, client } = await hostWith();
    const c = client();
    try {
      await assert.rejects(copyToRemote(c, join(dir, "nope"), "C:\\x"), /localPath: .*nope does not exist/);
      await assert.rejects(copyToRemote(c, bigPath, "relative\\x"), /remotePath: relative\\x must be an absolute Windows path/);
      await assert.rejects(copyToRemote(c, bigPath, `C:\\${"x".repeat(260)}`), /remotePath: .*MAX_PATH/);
      // A Linux file name holding `\..\` would climb out of the destination once joined as a Windows path.
      const escape = join(dir, "escape");
      await mkdir(escape, { recursive: true });
      await writeFile(join(escape, "..\\..\\evil.txt"), "evil");
      await assert.rejects(copyToRemote(c, escape, "C:\\Dest\\in"), /remotePath: C:\\Dest\\in\\\.\.\\\.\.\\evil\.txt must not hold "\." or "\.\." components/);
      assert.equal(host.host.fs.isFile("C:\\evil.txt"), false);
      assert.equal(host.host.fs.isDirectory("C:\\Dest\\in"), false, "refused before anything was sent");
    } finally {
      await c.close();
      await host.close();
    }
  });

  test("an abort mid-copy stops at once; the final path is untouched and the next copy resumes", async () => {
    const ctl = new AbortController();
    let sends = 0;
    const { host, client } = await hostWith({
      onRequest: (e) => {
        if (e.action === SEND && ++sends === 2) ctl.abort();
      },
    });
    const c = client();
    try {
      await assert.rejects(copyToRemote(c, bigPath, "C:\\a\\big.bin", { signal: ctl.signal }), (e: unknown) => e instanceof WinRMError);
      assert.equal(host.host.fs.isFile("C:\\a\\big.bin"), false);
      const arrived = host.host.fs.size("C:\\a\\big.bin.partial") ?? 0;
      assert.ok(arrived > 0, "what was sent stays in the partial");
      const r = await copyToRemote(c, bigPath, "C:\\a\\big.bin");
      assert.equal(r.files[0]?.resumedFromByte, arrived);
      assert.ok(host.host.fs.read("C:\\a\\big.bin")?.equals(big));
    } finally {
      await c.close();
      await host.close();
    }
  });

  test("a connection broken mid-copy: the rerun appends only the remainder to the partial", async () => {
    const { host } = await hostWith();
    // A relay that cuts every connection once 1.2 MB of client bytes went through it (mid-request: the client sees
    // a connection lost after the request left), then relays normally.
    const port = Number(new URL(host.url).port);
    let forwarded = 0;
    let cut = false;
    const relay = createServer((down) => {
      const up = connect(port, "127.0.0.1");
      down.on("data", (d: Buffer) => {
        forwarded += d.length;
        if (!cut && forwarded > 1_200_000) {
          cut = true;
          down.destroy();
          up.destroy();
          return;
        }
        up.write(d);
      });
      up.on("data", (d: Buffer) => down.write(d));
      up.on("error", () => down.destroy());
      down.on("error", () => up.destroy());
      up.on("close", () => down.destroy());
      down.on("close", () => up.destroy());
    });
    await new Promise<void>((r) => relay.listen(0, "127.0.0.1", () => r()));
    const relayed = (): WinRMClient =>
      new WinRMClient({
        endpoint: `http://127.0.0.1:${(relay.address() as AddressInfo).port}/wsman`,
        auth: { mechanism: "ntlm", username: USER, password: PASSWORD },
      });
    try {
      const first = relayed();
      try {
        await assert.rejects(copyToRemote(first, bigPath, "C:\\r\\big.bin"), (e: unknown) => e instanceof ConnectionError);
      } finally {
        await first.close().catch(() => undefined);
      }
      // What arrived before the break is in the partial, nothing at the final path.
      await new Promise((r) => setTimeout(r, 100));
      const arrived = host.host.fs.size("C:\\r\\big.bin.partial") ?? 0;
      assert.ok(arrived > 0 && arrived < big.length, `partial holds ${arrived} bytes`);
      assert.equal(host.host.fs.isFile("C:\\r\\big.bin"), false);
      const second = relayed();
      const sendsBefore = host.requests.filter((e) => e.action === SEND).length;
      try {
        const r = await copyToRemote(second, bigPath, "C:\\r\\big.bin");
        assert.equal(r.files[0]?.resumedFromByte, arrived);
        assert.equal(r.bytesSent, big.length - arrived, "only the remainder was sent");
        assert.ok(host.host.fs.read("C:\\r\\big.bin")?.equals(big));
        const sends = host.requests.filter((e) => e.action === SEND).length - sendsBefore;
        assert.ok(sends <= Math.ceil((big.length - arrived) / 280_000) + 1, `${sends} Sends for the remainder`);
      } finally {
        await second.close();
      }
    } finally {
      relay.close();
      await host.close();
    }
  });
});

for (const profile of ["win2003r2", "win2008"] as const) {
  void describe(`copyToRemote to a cmd-only WinRM 1.1 host (${profile}): findstr + certutil`, () => {
    const s = sharedHost({ profile });

    test("a binary file and a tree arrive verified; no PowerShell ran; a rerun skips", async () => {
      const before = s.host.requests.length;
      const r = await copyToRemote(s.client, bigPath, "C:\\Data\\big file.bin");
      assert.equal(r.bytesSent, big.length);
      assert.ok(s.host.host.fs.read("C:\\Data\\big file.bin")?.equals(big));
      assert.equal(s.host.host.fs.isFile("C:\\Data\\big file.bin.partial"), false);
      assert.equal(s.host.host.fs.isFile("C:\\Data\\big file.bin.partial.b64"), false);
      // 153600-byte envelopes on WinRM 1.1: about 80 KiB of file per Send.
      const sends = s.host.requests.slice(before).filter((e) => e.action === SEND).length;
      assert.ok(sends >= 18 && sends <= 22, `${sends} Sends for 1.5 MiB`);
      const again = await copyToRemote(s.client, bigPath, "C:\\Data\\big file.bin");
      assert.equal(again.bytesSent, 0);

      const t = await copyToRemote(s.client, treePath, "C:\\Dest\\tree");
      assert.equal(t.files.length, 5);
      assert.equal(s.host.host.fs.size("C:\\Dest\\tree\\empty.bin"), 0);
      const algorithm = profile === "win2003r2" ? "sha1" : "sha256";
      const local = await localHashes(treePath, algorithm);
      // The 2003 console prints in its OEM page (437 here): `dir` shows a name outside it with "?", as Windows
      // does, so that file cannot be listed back (docs/file-copy.md, Limits).
      if (profile === "win2003r2") local.delete("\u2018q\u2019 $x `y.txt");
      const remote = await remoteHashes(s.client, "C:\\Dest\\tree");
      assert.deepEqual(new Map([...(remote ?? [])].sort()), new Map([...local].sort()));
      await removeRemote(s.client, "C:\\Dest\\tree");
      assert.equal(await remoteHashes(s.client, "C:\\Dest\\tree"), undefined);
      assert.equal(s.host.host.fs.isDirectory("C:\\Dest\\tree"), false);
    });

    test("a remote path with % is refused on a cmd-only host, naming remotePath", async () => {
      await assert.rejects(copyToRemote(s.client, bigPath, "C:\\Data\\100%.bin"), /remotePath: .*contains %/);
      // A file with % the host already has in the destination is not ours: the listing passes it by.
      s.host.host.fs.mkdirs("C:\\Dest\\pct");
      s.host.host.fs.write("C:\\Dest\\pct\\100%.txt", Buffer.from("theirs"));
      const r = await copyToRemote(s.client, treePath, "C:\\Dest\\pct");
      assert.equal(r.files.length, 5);
      assert.equal(s.host.host.fs.read("C:\\Dest\\pct\\100%.txt")?.toString(), "theirs");
      // A destination crowded with files the copy does not write: only the copy's own files are hashed.
      s.host.host.fs.mkdirs("C:\\Dest\\alone");
      s.host.host.fs.mkdirs("C:\\Dest\\crowd");
      for (let i = 0; i < 300; i++) s.host.host.fs.write(`C:\\Dest\\crowd\\other ${i}.txt`, Buffer.from("theirs"));
      let at = s.host.requests.length;
      await copyToRemote(s.client, treePath, "C:\\Dest\\alone");
      const alone = s.host.requests.length - at;
      at = s.host.requests.length;
      await copyToRemote(s.client, treePath, "C:\\Dest\\crowd");
      assert.equal(s.host.requests.length - at, alone, "300 other files cost no requests");
      // A path typed with `/`: cmd's dir lists it with `\`, and a rerun still finds every file in place.
      await copyToRemote(s.client, treePath, "C:/Dest/slash");
      const again = await copyToRemote(s.client, treePath, "C:/Dest/slash");
      // (Server 2003 cannot list back the name outside its OEM page: that one is sent again, docs/file-copy.md.)
      const unlistable = profile === "win2003r2" ? "\u2018q\u2019 $x `y.txt" : "\u0000";
      const resent = again.files.filter((f) => !f.skipped);
      assert.deepEqual(resent.map((f) => f.remotePath), profile === "win2003r2" ? [`C:\\Dest\\slash\\${unlistable}`] : []);
      assert.ok(again.files.every((f) => f.remotePath.startsWith("C:\\Dest\\slash\\")));
    });
  });
}

test("a cmd-only host that writes other bytes: CopyVerificationError with the host's SHA-1", async () => {
  const { host, client } = await hostWith({ profile: "win2003r2", scenario: { corruptFileWrites: true } });
  const c = client();
  try {
    await assert.rejects(copyToRemote(c, bigPath, "C:\\y\\big.bin"), (e: unknown) => e instanceof CopyVerificationError && e.algorithm === "SHA-1");
    assert.equal(host.host.fs.isFile("C:\\y\\big.bin"), false);
    assert.equal(host.host.fs.isFile("C:\\y\\big.bin.partial"), false);
  } finally {
    await c.close();
    await host.close();
  }
});

void describe("a directory of many small files: requests per file are bounded (one shell for the copy, batched writes)", () => {
  let small: string;
  before(async () => {
    small = join(dir, "small");
    await mkdir(join(small, "sub"), { recursive: true });
    for (let i = 0; i < 50; i++) await writeFile(join(small, i % 5 === 0 ? "sub" : "", `f${i}.txt`), randomBytes(1024 + ((i * 977) % 9216)));
  });

  // PowerShell hosts: one command writes the files (stdin packed to the envelope) and puts them in place; cmd-only
  // hosts: one findstr stages every file's lines, for /f splits them, certutil decodes and hashes several per line,
  // renames batched.
  for (const [profile, perFile] of [["win2019", 1], ["win2008r2", 1], ["win2003r2", 1], ["win2008", 1]] as const) {
    test(`${profile}: 50 files in fewer than ${perFile} x 50 + 20 requests, one Create, verified, then a rerun only lists`, async () => {
      const { host, client } = await hostWith({ profile });
      const c = client();
      try {
        await c.identify();
        // Another copy's partial with other bytes: discarded (PowerShell) or overwritten (cmd), never appended to.
        host.host.fs.mkdirs("C:\\many");
        host.host.fs.write("C:\\many\\f1.txt.partial", Buffer.from("not ours"));
        const at = host.requests.length;
        const r = await copyToRemote(c, small, "C:\\many");
        const used = host.requests.slice(at);
        assert.equal(r.files.length, 50);
        assert.ok(r.files.every((f) => !f.skipped));
        assert.ok(used.length < perFile * 50 + 20, `${used.length} requests for 50 files`);
        const creates = used.filter((e) => e.action?.endsWith("/Create")).length;
        assert.ok(creates <= 2, `${creates} shells (the kept one for scripts and one for the writes)`);
        const algorithm = profile === "win2003r2" ? "sha1" : "sha256";
        const remote = await remoteHashes(c, "C:\\many");
        assert.deepEqual(new Map([...(remote ?? [])].sort()), new Map([...(await localHashes(small, algorithm))].sort()));
        assert.equal(host.host.fs.filesBelow("C:\\many").filter((f) => f.endsWith(".partial")).length, 0, "no partial left");
        const again = host.requests.length;
        const rerun = await copyToRemote(c, small, "C:\\many");
        assert.ok(rerun.files.every((f) => f.skipped));
        assert.ok(host.requests.length - again < 20, `${host.requests.length - again} requests for a rerun with nothing to send`);
      } finally {
        await c.close();
        await host.close();
      }
    });
  }
});

test("a cmd-only host that writes other bytes, a directory (staged batch): CopyVerificationError, nothing at the final paths", async () => {
  const { host, client } = await hostWith({ profile: "win2003r2", scenario: { corruptFileWrites: true } });
  const c = client();
  try {
    await assert.rejects(copyToRemote(c, treePath, "C:\\z\\tree"), (e: unknown) => e instanceof CopyVerificationError && e.algorithm === "SHA-1");
    const left = host.host.fs.filesBelow("C:\\z\\tree");
    // Only the empty file (nothing written to corrupt) may have been put in place.
    assert.deepEqual(left.filter((f) => !f.toLowerCase().endsWith("empty.bin")), [], left.join(", "));
  } finally {
    await c.close();
    await host.close();
  }
});
