/**
 * CopyToRemote's controller on the real copy engine (provider/src/copy) against emulated hosts, called as the
 * dynamic-provider process calls it: create copies a directory (binary bytes included) and records the hashes the
 * host computed; read sees a file changed or deleted on the host; diff replaces then; delete removes the path.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resourceProviders } from "../../provider/src/resources/index.js";
import { closeAllClients } from "../../provider/src/resources/clientPool.js";
import { contentHashOf } from "../../provider/src/resources/copyToRemote.js";
import type { Props } from "../../provider/src/resources/types.js";
import { ResourceBridge } from "../../provider/src/native/resourceBridge.js";
import { PASSWORD, startHost } from "./resourcesHarness.js";

const R = resourceProviders.CopyToRemote;
const sha = (b: Buffer | string): string => createHash("sha256").update(b).digest("hex");
const sha1 = (b: Buffer | string): string => createHash("sha1").update(b).digest("hex");
const BINARY = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31 + (i >> 8)) % 256));

after(async () => {
  await closeAllClients();
});

function localSite(): string {
  const dir = mkdtempSync(join(tmpdir(), "copy-int-"));
  mkdirSync(join(dir, "site", "css"), { recursive: true });
  writeFileSync(join(dir, "site", "index.html"), "<h1>v1</h1>\r\n");
  writeFileSync(join(dir, "site", "css", "main.css"), "h1 { color: navy }\n");
  writeFileSync(join(dir, "site", "logo.bin"), BINARY);
  return dir;
}

/** `body` against a started host of `profile` and a local directory from `makeDir`; both removed after. */
async function onHost(
  profile: Parameters<typeof startHost>[0],
  makeDir: () => string,
  body: (h: Awaited<ReturnType<typeof startHost>>, dir: string) => Promise<void>,
): Promise<void> {
  const h = await startHost(profile);
  const dir = makeDir();
  try {
    await body(h, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await h.close();
  }
}

describe("CopyToRemote against the emulated host", () => {
  // Server 2019 (WinRM 3.0, 500 KiB envelopes), 2008 R2 (WinRM 2.0, PowerShell 2.0, 150 KiB envelopes) and 2003 R2
  // (WinRM 1.1, cmd only, certutil -hashfile gives SHA-1 only: the state keeps each file's sha1 to compare with).
  for (const profile of ["win2019", "win2008r2", "win2003r2"] as const) test(`${profile}: create copies, read is clean, host drift is seen and replaced, delete removes the path`, async () => {
    await onHost(profile, localSite, async (h, dir) => {
      h.host.fs.mkdirs("C:\\inetpub");
      const news: Props = { connection: h.connection, source: join(dir, "site"), remotePath: "C:\\inetpub\\site" };
      assert.deepEqual((await R.check({}, news)).failures, []);
      const { id, outs } = await R.create(news, { log: () => undefined });
      assert.ok(h.host.fs.read("C:\\inetpub\\site\\logo.bin")?.equals(BINARY), "binary bytes arrived intact");
      assert.equal(h.host.fs.read("C:\\inetpub\\site\\css\\main.css")?.toString("utf8"), "h1 { color: navy }\n");
      const sha1Only = profile === "win2003r2";
      const files = outs.files as { path: string; sha256: string; sha1?: string; bytes: number }[];
      assert.deepEqual(files.map((f) => f.path), ["css/main.css", "index.html", "logo.bin"]);
      assert.equal(files.find((f) => f.path === "logo.bin")?.sha256, sha(BINARY));
      assert.equal(files.find((f) => f.path === "logo.bin")?.sha1, sha1Only ? sha1(BINARY) : undefined, "sha1 only where the host compares SHA-1");
      assert.equal(outs.bytes, BINARY.length + 13 + 19);
      assert.equal(outs.contentHash, contentHashOf([
        { path: "css/main.css", sha256: sha("h1 { color: navy }\n") },
        { path: "index.html", sha256: sha("<h1>v1</h1>\r\n") },
        { path: "logo.bin", sha256: sha(BINARY) },
      ]));

      const clean = await R.read(id, outs);
      assert.deepEqual(clean.props, outs, "the host's hashes are the copied ones");
      assert.equal((await R.diff(id, clean.props, news)).changes, false);

      h.host.fs.write("C:\\inetpub\\site\\index.html", Buffer.from("defaced"));
      const drifted = await R.read(id, outs);
      const defaced = (drifted.props.files as { path: string; sha256: string; sha1?: string }[]).find((f) => f.path === "index.html");
      if (sha1Only) {
        // The host gave the SHA-1 of what it holds: not the recorded one, so no sha256 stands for it.
        assert.equal(defaced?.sha1, sha1("defaced"));
        assert.equal(defaced?.sha256, "");
      } else {
        assert.equal(defaced?.sha256, sha("defaced"));
      }
      assert.notEqual(drifted.props.contentHash, outs.contentHash);
      assert.notEqual(drifted.inputs.sourceHash, outs.contentHash, "the drift reaches the next diff as sourceHash");
      const d = await R.diff(id, drifted.props, news);
      assert.deepEqual(d.replaces, ["sourceHash"]);
      assert.equal(d.deleteBeforeReplace, true);
      // The engine's replacement: delete first, then create.
      await R.delete(id, drifted.props);
      assert.equal(h.host.fs.isDirectory("C:\\inetpub\\site"), false);
      const again = await R.create(news, { log: () => undefined });
      assert.equal(h.host.fs.read("C:\\inetpub\\site\\index.html")?.toString("utf8"), "<h1>v1</h1>\r\n");
      assert.equal(again.outs.contentHash, outs.contentHash);
      const repaired = await R.read(again.id, again.outs);
      assert.deepEqual(repaired.props, again.outs, "repaired: the refresh is clean again");
      assert.equal((await R.diff(again.id, repaired.props, news)).changes, false);

      h.host.fs.deleteFile("C:\\inetpub\\site\\css\\main.css");
      const missing = await R.read(again.id, again.outs);
      assert.equal((missing.props.files as { path: string; sha256: string }[]).find((f) => f.path === "css/main.css")?.sha256, "");
      assert.deepEqual((await R.diff(again.id, missing.props, news)).replaces, ["sourceHash"]);

      await R.delete(again.id, { ...again.outs, deleteOnDestroy: false });
      assert.equal(h.host.fs.isDirectory("C:\\inetpub\\site"), true, "deleteOnDestroy false keeps the files");
      await R.delete(again.id, again.outs);
      assert.equal(h.host.fs.isDirectory("C:\\inetpub\\site"), false);
      assert.equal(h.host.fs.isDirectory("C:\\inetpub"), true);
      const gone = await R.read(again.id, again.outs);
      assert.ok((gone.props.files as { sha256: string }[]).every((f) => f.sha256 === ""));
    });
  });

  test("a single file to its own path; the host's case for an existing name is no drift", async () => {
    await onHost("win2019", localSite, async (h, dir) => {
      h.host.fs.mkdirs("C:\\tools");
      h.host.fs.write("C:\\tools\\LOGO.BIN", Buffer.from("old"));
      const news: Props = { connection: h.connection, source: join(dir, "site", "logo.bin"), remotePath: "C:\\tools\\logo.bin" };
      const { id, outs } = await R.create(news, { log: () => undefined });
      assert.ok(h.host.fs.read("C:\\tools\\logo.bin")?.equals(BINARY));
      assert.deepEqual((outs.files as { path: string }[]).map((f) => f.path), [""]);
      assert.deepEqual((await R.read(id, outs)).props, outs);
    });
  });

  test("native provider: the connection from the provider's configuration, never in the outputs; log lines to the engine", async () => {
    await onHost("win2019", localSite, async (h, dir) => {
      h.host.fs.mkdirs("C:\\inetpub");
      const bridge = new ResourceBridge(() => h.connection);
      const news = { source: join(dir, "site"), remotePath: "C:\\inetpub\\site" };
      const checked = await bridge.check("CopyToRemote", {}, news);
      assert.deepEqual(checked.failures, []);
      assert.equal(checked.inputs.connection, undefined, "the provider's connection is not copied into the inputs");
      const lines: string[] = [];
      const { id, outs } = await bridge.create("CopyToRemote", checked.inputs, (l) => lines.push(l));
      assert.ok(h.host.fs.read("C:\\inetpub\\site\\logo.bin")?.equals(BINARY));
      assert.equal(outs.connection, undefined);
      assert.doesNotMatch(JSON.stringify(outs), new RegExp(PASSWORD.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
      assert.ok(lines.some((l) => /^CopyToRemote: 3 file\(s\), 70\.0 kB to C:\\inetpub\\site on /.test(l)), lines.join("\n"));
      const read = await bridge.read("CopyToRemote", id, outs, checked.inputs);
      assert.equal((await bridge.diff("CopyToRemote", id, read.props, checked.inputs)).changes, false);
      await bridge.delete("CopyToRemote", id, read.props);
      assert.equal(h.host.fs.isDirectory("C:\\inetpub\\site"), false);
    });
  });

  test("three copies at once on one host share the pooled connection (the engine runs creates in parallel)", async () => {
    await onHost("win2019", () => mkdtempSync(join(tmpdir(), "copy-par-")), async (h, dir) => {
      const big = Buffer.from(Array.from({ length: 600_000 }, (_, i) => (i * 13) % 251));
      for (const n of ["a", "b", "c"]) {
        mkdirSync(join(dir, n));
        writeFileSync(join(dir, n, "big.bin"), big);
        writeFileSync(join(dir, n, "name.txt"), n);
      }
      h.host.fs.mkdirs("C:\\deploy");
      const made = await Promise.all(
        ["a", "b", "c"].map((n) => R.create({ connection: h.connection, source: join(dir, n), remotePath: `C:\\deploy\\${n}` }, { log: () => undefined })),
      );
      for (const [i, n] of ["a", "b", "c"].entries()) {
        assert.equal(h.host.fs.read(`C:\\deploy\\${n}\\name.txt`)?.toString("utf8"), n);
        assert.ok(h.host.fs.read(`C:\\deploy\\${n}\\big.bin`)?.equals(big), n);
        const m = made[i];
        assert.ok(m !== undefined);
        assert.deepEqual((await R.read(m.id, m.outs)).props, m.outs);
      }
    });
  });
});
