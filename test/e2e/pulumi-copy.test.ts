/**
 * CopyToRemote on the real Pulumi CLI v3.248.0 (a JavaScript program on the dynamic resources, the engine harness's
 * PulumiProject) against an emulated Server 2019 over HTTP with NTLM sealing:
 *
 * - `up` copies a directory (text, a nested directory, a binary file of every byte value) from the project
 *   directory (a relative `source`) to C:\inetpub\site; the host holds the same bytes, the state the content hash;
 * - a second preview shows no change (`--expect-no-changes`), refreshing too;
 * - a changed local file makes the preview show a replacement (`~ sourceHash: old => new`) and `up` replace the copy,
 *   deleting the old one first (same path);
 * - a file changed on the host is caught by `preview --refresh --expect-no-changes` (it fails, the refresh naming the
 *   file whose sha256 changed) and put right by
 *   `up --refresh`; then a refreshing preview is clean again;
 * - `destroy` removes the directory from the host; the password is never in the state file in clear.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { contentHashOf } from "../../provider/src/resources/copyToRemote.js";
import { startEmulatedHost, type RunningEmulatedHost } from "../../provider/src/testing/index.js";
import { PulumiProject, pulumiEngine, type PulumiResult } from "../integration/pulumiEngineHarness.js";

const engine = pulumiEngine();
const skip = "skip" in engine ? engine.skip : false;

const PROJECT = "winrm-copy";
const STACK = "copy";
const USER = "CORP\\deploy";
const PASSWORD = "Copy-E2e-Passw0rd-41c7!";
const REMOTE = "C:\\inetpub\\site";

// CommonJS, as a user's JavaScript program would be; the SDK is the package itself (node_modules/pulumi-winrm-proxy).
const PROGRAM = `"use strict";
const pulumi = require("@pulumi/pulumi");
const { CopyToRemote } = require("pulumi-winrm-proxy");

const connection = JSON.parse(process.env.COPY_LAB_CONNECTION);
connection.auth.password = pulumi.secret(process.env.COPY_LAB_PASSWORD);
const site = new CopyToRemote("site", { connection, source: "site", remotePath: ${JSON.stringify(REMOTE)} });
exports.contentHash = site.contentHash;
exports.fileCount = site.fileCount;
`;

const BINARY = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) % 256));
const output = (r: PulumiResult): string => `${r.stdout}\n${r.stderr}`;
const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

describe("CopyToRemote on the real Pulumi CLI", { skip, timeout: 900_000 }, () => {
  let emulated: RunningEmulatedHost;
  let project: PulumiProject;
  const site = (...parts: string[]): string => join(project.projectDir, "site", ...parts);
  const onHost = (rel: string): Buffer | undefined => emulated.host.fs.read(`${REMOTE}\\${rel}`);
  const run = (args: string[]): Promise<PulumiResult> => project.run([...args, "--non-interactive", "--stack", STACK]);
  const ok = (args: string[]): Promise<PulumiResult> => project.ok([...args, "--non-interactive", "--stack", STACK]);
  const localFiles = (): { path: string; sha256: string }[] =>
    ["index.html", "css/main.css", "img/logo.bin"].map((path) => ({ path, sha256: sha(readFileSync(site(...path.split("/")))) }));
  const outputs = async (): Promise<{ contentHash: string; fileCount: number }> =>
    JSON.parse((await ok(["stack", "output", "--json"])).stdout) as { contentHash: string; fileCount: number };

  before(async () => {
    emulated = await startEmulatedHost({ profile: "win2019", domain: "CORP", users: [{ username: USER, password: PASSWORD }] });
    // IIS is installed: C:\inetpub exists; the copy makes the site directory.
    emulated.host.fs.mkdirs("C:\\inetpub");
    project = new PulumiProject({
      name: PROJECT,
      program: PROGRAM,
      env: {
        COPY_LAB_CONNECTION: JSON.stringify({ endpoint: emulated.url, auth: { mechanism: "negotiate", username: USER } }),
        COPY_LAB_PASSWORD: PASSWORD,
      },
      killAfterMs: 300_000,
    });
    mkdirSync(site("css"), { recursive: true });
    mkdirSync(site("img"), { recursive: true });
    writeFileSync(site("index.html"), "<!doctype html><h1>v1</h1>\r\n");
    writeFileSync(site("css", "main.css"), "h1 { color: navy }\n");
    writeFileSync(site("img", "logo.bin"), BINARY);
    await project.ok(["stack", "init", STACK, "--non-interactive"]);
  });

  after(async () => {
    if (project !== undefined) {
      await project.run(["destroy", "--yes", "--skip-preview", "--non-interactive", "--stack", STACK]);
      project.dispose();
      assert.deepEqual(project.killLeftovers(), [], "a Pulumi process outlived the test");
    }
    if (emulated !== undefined) await emulated.close();
  });

  test("up copies the directory; the host holds the same bytes; a second preview has no changes", async () => {
    const r = await ok(["up", "--yes", "--skip-preview"]);
    assert.match(r.stdout, /\+\s+pulumi-nodejs:dynamic\/winrm-proxy:CopyToRemote site created/, output(r));
    assert.equal(onHost("index.html")?.toString("utf8"), "<!doctype html><h1>v1</h1>\r\n");
    assert.equal(onHost("css\\main.css")?.toString("utf8"), "h1 { color: navy }\n");
    assert.ok(onHost("img\\logo.bin")?.equals(BINARY), "the binary file arrived byte for byte");
    const out = await outputs();
    assert.equal(out.fileCount, 3);
    assert.equal(out.contentHash, contentHashOf(localFiles()));
    assert.doesNotMatch(project.stateFile(STACK, PROJECT), new RegExp(PASSWORD.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")), "the password in clear in the state");

    await ok(["preview", "--expect-no-changes"]);
    await ok(["preview", "--refresh", "--expect-no-changes"]);
  });

  test("a changed local file: the preview shows a replacement by sourceHash, up replaces the copy (deleting first)", async () => {
    const before = (await outputs()).contentHash;
    writeFileSync(site("index.html"), "<!doctype html><h1>v2</h1>\r\n");
    const preview = await run(["preview", "--expect-no-changes", "--diff"]);
    assert.notEqual(preview.code, 0, `no change seen:\n${output(preview)}`);
    assert.match(preview.stdout, /\+-pulumi-nodejs:dynamic\/winrm-proxy:CopyToRemote: \(replace\)/, output(preview));
    assert.ok(preview.stdout.includes(`~ sourceHash: "${before}" => "${contentHashOf(localFiles())}"`), output(preview));
    const r = await ok(["up", "--yes", "--skip-preview"]);
    assert.match(r.stdout, /site replaced/, output(r));
    // The old copy goes first: the new one is written to the same path.
    assert.ok(r.stdout.indexOf("site deleted original") >= 0 && r.stdout.indexOf("site deleted original") < r.stdout.indexOf("site created replacement"), output(r));
    assert.equal(onHost("index.html")?.toString("utf8"), "<!doctype html><h1>v2</h1>\r\n");
    assert.ok(onHost("img\\logo.bin")?.equals(BINARY));
    assert.equal((await outputs()).contentHash, contentHashOf(localFiles()));
    await ok(["preview", "--refresh", "--expect-no-changes"]);
  });

  test("a file changed on the host fails preview --refresh --expect-no-changes; up --refresh puts it right", async () => {
    emulated.host.fs.write(`${REMOTE}\\css\\main.css`, Buffer.from("h1 { color: red } /* hotfix on the server */\n"));
    const plain = await run(["preview", "--expect-no-changes"]);
    assert.equal(plain.code, 0, `without --refresh the preview looks at the local files only:\n${output(plain)}`);
    const drift = await run(["preview", "--refresh", "--expect-no-changes", "--diff"]);
    assert.notEqual(drift.code, 0, `drift not caught:\n${output(drift)}`);
    // The refresh shows which file changed on the host; the update step, the replacement by sourceHash.
    const navy = sha(Buffer.from("h1 { color: navy }\n"));
    const red = sha(Buffer.from("h1 { color: red } /* hotfix on the server */\n"));
    assert.ok(drift.stdout.includes(`sha256: "${navy}" => "${red}"`), output(drift));
    assert.match(drift.stdout, /\+-pulumi-nodejs:dynamic\/winrm-proxy:CopyToRemote: \(replace\)/, output(drift));
    assert.match(drift.stdout, /~ sourceHash: "[0-9a-f]{64}" => "[0-9a-f]{64}"/, output(drift));

    const r = await ok(["up", "--yes", "--skip-preview", "--refresh"]);
    assert.match(r.stdout, /site replaced/, output(r));
    assert.equal(onHost("css\\main.css")?.toString("utf8"), "h1 { color: navy }\n");
    await ok(["preview", "--refresh", "--expect-no-changes"]);

    // A file deleted on the host is drift too.
    emulated.host.fs.deleteFile(`${REMOTE}\\img\\logo.bin`);
    const gone = await run(["preview", "--refresh", "--expect-no-changes"]);
    assert.notEqual(gone.code, 0, `a deleted file not caught:\n${output(gone)}`);
    await ok(["up", "--yes", "--skip-preview", "--refresh"]);
    assert.ok(onHost("img\\logo.bin")?.equals(BINARY));
  });

  test("destroy removes the directory from the host", async () => {
    await ok(["destroy", "--yes", "--skip-preview"]);
    assert.equal(emulated.host.fs.isDirectory(REMOTE), false, "C:\\inetpub\\site is still there");
    assert.equal(onHost("index.html"), undefined);
    assert.equal(emulated.host.fs.isDirectory("C:\\inetpub"), true, "only the copy's own path goes");
  });
});
