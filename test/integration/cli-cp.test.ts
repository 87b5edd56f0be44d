/**
 * `winrm-proxy cp LOCAL REMOTE` spawned as a user runs it, against the emulated host: the file arrives verified,
 * progress on stderr (none with --quiet), --json result, a rerun skips, a corrupting host exits 255 with
 * WINRM_COPY_VERIFY, a missing LOCAL exits 2 with nothing sent.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startEmulatedHost, type RunningEmulatedHost } from "../../provider/src/testing/index.js";
import { runCli } from "./cliHarness.js";

const USER = "deploy";
const PASSWORD = "Cp-Test-pw!";
const ENV = { CP_TEST_PASSWORD: PASSWORD };
const UNSET = ["WINRM_ENDPOINT", "WINRM_USERNAME", "WINRM_PASSWORD"];

void describe("winrm-proxy cp", () => {
  let host: RunningEmulatedHost;
  let bad: RunningEmulatedHost;
  let dir: string;
  let file: string;
  const data = randomBytes(600_000);
  const flags = (h: RunningEmulatedHost): string[] => ["--endpoint", h.url, "--auth", "ntlm", "--username", USER, "--password-env", "CP_TEST_PASSWORD"];

  before(async () => {
    host = await startEmulatedHost({ users: [{ username: USER, password: PASSWORD }] });
    bad = await startEmulatedHost({ users: [{ username: USER, password: PASSWORD }], scenario: { corruptFileWrites: true } });
    dir = mkdtempSync(join(tmpdir(), "cli-cp-"));
    file = join(dir, "payload.bin");
    writeFileSync(file, data);
  });
  after(async () => {
    await host.close();
    await bad.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("copies, shows progress on stderr, and a rerun skips the file", async () => {
    const r = await runCli(["cp", ...flags(host), file, "C:\\Deploy\\payload.bin"], { env: ENV, unset: UNSET });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /100% 0\.6\/0\.6 MiB C:\\Deploy\\payload\.bin/);
    assert.match(r.stderr, /copied 1 file\(s\), 0 already in place; 0\.6 MiB sent .* verified by SHA-256 on the host/);
    assert.ok(host.host.fs.read("C:\\Deploy\\payload.bin")?.equals(data));
    const again = await runCli(["cp", ...flags(host), "--json", file, "C:\\Deploy\\payload.bin"], { env: ENV, unset: UNSET });
    assert.equal(again.status, 0, again.stderr);
    const result = JSON.parse(again.stdout) as { bytesSent: number; files: { skipped: boolean; sha256: string }[] };
    assert.equal(result.bytesSent, 0);
    assert.equal(result.files[0]?.skipped, true);
    assert.equal(again.stderr, "");
    const quiet = await runCli(["cp", ...flags(host), "-q", file, "C:\\Deploy\\other.bin"], { env: ENV, unset: UNSET });
    assert.equal(quiet.status, 0, quiet.stderr);
    assert.equal(quiet.stderr, "");
    for (const out of [r.stdout, r.stderr, again.stdout, again.stderr]) assert.ok(!out.includes(PASSWORD), "no password in progress, summary or JSON");
  });

  test("a host whose hash differs: exit 255 and WINRM_COPY_VERIFY naming the remote path", async () => {
    const r = await runCli(["cp", ...flags(bad), file, "C:\\Deploy\\payload.bin"], { env: ENV, unset: UNSET });
    assert.equal(r.status, 255);
    assert.match(r.stderr, /C:\\Deploy\\payload\.bin: the host's SHA-256 .* \[WINRM_COPY_VERIFY\]/);
    assert.equal(bad.host.fs.isFile("C:\\Deploy\\payload.bin"), false);
    assert.ok(!r.stderr.includes(PASSWORD) && !r.stdout.includes(PASSWORD), "no password in the error");
  });

  test("a Server 2003 host (no SHA-2): the summary says the copy was verified by SHA-1", async () => {
    const old = await startEmulatedHost({ profile: "win2003r2", users: [{ username: USER, password: PASSWORD }] });
    try {
      const r = await runCli(["cp", ...flags(old), file, "C:\\Deploy\\payload.bin"], { env: ENV, unset: UNSET });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /copied 1 file\(s\), 0 already in place; .* verified by SHA-1 on the host/);
      assert.ok(old.host.fs.read("C:\\Deploy\\payload.bin")?.equals(data));
    } finally {
      await old.close();
    }
  });

  test("a missing LOCAL: exit 2, nothing sent; wrong arity is a usage error", async () => {
    const before = host.requests.length;
    const r = await runCli(["cp", ...flags(host), join(dir, "missing"), "C:\\x"], { env: ENV, unset: UNSET });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /localPath: .*missing does not exist/);
    const one = await runCli(["cp", ...flags(host), file], { env: ENV, unset: UNSET });
    assert.equal(one.status, 2);
    assert.match(one.stderr, /cp takes LOCAL and REMOTE/);
    // Identify happens before the local check only when the path exists: nothing reached the host here.
    assert.equal(host.requests.length, before);
  });
});
