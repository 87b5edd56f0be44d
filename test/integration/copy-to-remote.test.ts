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
import { ConnectionError } from "../../provider/src/errors.js";
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
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

for (const tls of [false, true]) {
  void describe(`copyToRemote over ${tls ? "HTTPS" : "HTTP with NTLM sealing"}`, () => {
    let host: RunningEmulatedHost;
    let client: WinRMClient;
    before(async () => {
      const h = await hostWith({ tls });
      host = h.host;
      client = h.client();
    });
    after(async () => {
      await client.close();
      await host.close();
    });

    test("a binary file over 1 MiB arrives byte for byte, verified by the host, in few Sends", async () => {
      const before = host.requests.length;
      const progress: number[] = [];
      const r = await copyToRemote(client, bigPath, "C:\\Data\\big file.bin", { onProgress: (p) => progress.push(p.bytesSent) });
      assert.equal(r.bytesSent, big.length);
      assert.equal(r.files.length, 1);
      assert.equal(r.files[0]?.sha256, sha(big));
      assert.equal(r.files[0]?.skipped, false);
      const stored = host.host.fs.read("C:\\Data\\big file.bin");
      assert.ok(stored !== undefined && stored.equals(big), "the host holds the same bytes");
      assert.equal(host.host.fs.isFile("C:\\Data\\big file.bin.partial"), false, "no temporary file left");
      const sends = host.requests.slice(before).filter((e) => e.action === SEND).length;
      // 512000-byte envelopes on a WinRM 3.0 host: about 280 KiB of file per Send.
      assert.ok(sends >= 5 && sends <= 7, `${sends} Sends for 1.5 MiB`);
      assert.equal(progress.at(-1), big.length);
      assert.equal(await remoteHashes(client, "C:\\Data\\big file.bin").then((m) => m?.get("")), sha(big));
    });

    test("a second copy of the same content sends nothing (remote hash matches)", async () => {
      const r = await copyToRemote(client, bigPath, "C:\\Data\\big file.bin");
      assert.equal(r.bytesSent, 0);
      assert.equal(r.files[0]?.skipped, true);
    });

    test("a directory tree: directories created, names with spaces, quotes and non-ASCII, empty files", async () => {
      const r = await copyToRemote(client, treePath, "C:\\Dest\\tree");
      assert.equal(r.files.length, 4);
      assert.ok(host.host.fs.isDirectory("C:\\Dest\\tree\\sub dir\\ünï"));
      assert.equal(host.host.fs.read("C:\\Dest\\tree\\sub dir\\ünï\\deep.txt")?.toString(), "deep");
      assert.equal(host.host.fs.size("C:\\Dest\\tree\\empty.bin"), 0);
      const local = await localHashes(treePath);
      const remote = await remoteHashes(client, "C:\\Dest\\tree");
      assert.deepEqual(new Map([...(remote ?? [])].sort()), new Map([...local].sort()));
      // Changing one file re-sends only that file.
      await writeFile(join(treePath, "a.txt"), "beta\r\n");
      const again = await copyToRemote(client, treePath, "C:\\Dest\\tree");
      assert.equal(again.bytesSent, 6);
      assert.deepEqual(again.files.map((f) => f.skipped), [false, true, true, true]);
      await removeRemote(client, "C:\\Dest\\tree");
      assert.equal(await remoteHashes(client, "C:\\Dest\\tree"), undefined);
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
      await assert.rejects(copyToRemote(c, bigPath, "relative\\x"), /remotePath: .*not an absolute Windows path/);
      await assert.rejects(copyToRemote(c, bigPath, `C:\\${"x".repeat(260)}`), /remotePath: .*MAX_PATH/);
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
