/**
 * The emulated host's file system and the file commands a copy uses: binary content and directories, NTFS-style
 * names, the PowerShell System.IO statements (and the refusal of others in PowerShell's error shape), stdin read as
 * it arrives, and cmd's del/mkdir/move/dir /b and certutil -decode / -hashfile.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { EmulatedHost } from "../../provider/src/testing/host/host.js";
import { HostFileSystem } from "../../provider/src/testing/host/fileSystem.js";
import { StdinStream } from "../../provider/src/testing/host/stdinStream.js";
import { encodePowerShell } from "../../provider/src/shell/powershell.js";

async function run(host: EmulatedHost, line: string, stdin = ""): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const r = await host.startCommand(line, { env: {}, codePage: 65001 }).run(Buffer.from(stdin));
  return { stdout: r.stdout.toString("utf8"), stderr: r.stderr.toString("utf8"), exitCode: r.exitCode };
}

function ps(script: string): string {
  return `powershell -NoProfile -NonInteractive -EncodedCommand ${encodePowerShell(script)}`;
}

void describe("HostFileSystem", () => {
  test("binary content, appends, case-insensitive and case-preserving names, directories", () => {
    const fs = new HostFileSystem();
    assert.throws(() => fs.append("C:\\no\\f.bin", Buffer.from([1])), /pathNotFound/);
    fs.mkdirs("C:\\Data\\Sub");
    fs.append("C:\\Data\\Sub\\F.bin", Buffer.from([0, 255]));
    fs.append("c:/data/sub/f.BIN", Buffer.from([128]));
    assert.deepEqual([...(fs.read("C:\\DATA\\SUB\\F.BIN") ?? [])], [0, 255, 128]);
    assert.deepEqual(fs.filesBelow("C:\\data"), ["C:\\data\\Sub\\F.bin"]);
    assert.throws(() => fs.deleteDirectory("C:\\Data", false), /notEmpty/);
    fs.move("C:\\Data\\Sub\\F.bin", "C:\\Data\\G.bin");
    assert.throws(() => fs.move("C:\\Data\\Sub\\F.bin", "C:\\Data\\H.bin"), /notFound/);
    fs.deleteDirectory("C:\\Data", true);
    assert.equal(fs.isFile("C:\\Data\\G.bin"), false);
    assert.equal(fs.isDirectory("C:\\"), true);
  });

  test("stdin lines as they arrive", async () => {
    const s = new StdinStream();
    const first = s.readLine();
    s.push(Buffer.from("ab"));
    s.push(Buffer.from("c\r\nde"));
    assert.equal(await first, "abc");
    const second = s.readLine();
    s.end();
    assert.equal(await second, "de");
    assert.equal(await s.readLine(), undefined);
  });
});

void describe("emulated PowerShell file statements", () => {
  test("write, hash, move; the hash is the content's SHA-256", async () => {
    const host = new EmulatedHost({ profile: "win2019", locale: "en-US" });
    const data = Buffer.from([0, 1, 2, 250, 255]);
    const script = [
      "$ErrorActionPreference = 'Stop'",
      "$sha = [Security.Cryptography.SHA256]::Create()",
      "$p = 'C:\\New Dir\\it''s ünï.partial'",
      "[void][IO.Directory]::CreateDirectory([IO.Path]::GetDirectoryName($p))",
      "$w = [IO.File]::Open($p, 'Append', 'Write', 'Read')",
      "$w.Close()",
      "$in = [Console]::In",
      "while ($true) { $l = $in.ReadLine(); if ($l -eq $null) { break }; $b = [Convert]::FromBase64String($l); $w = [IO.File]::Open($p, 'Append', 'Write', 'Read'); try { $w.Write($b, 0, $b.Length) } finally { $w.Close() } }",
      "$f = 'C:\\New Dir\\it''s ünï'",
      "[IO.File]::Delete($f)",
      "[IO.File]::Move($p, $f)",
    ].join("\n");
    const r = await run(host, ps(script), `${data.subarray(0, 3).toString("base64")}\r\n${data.subarray(3).toString("base64")}\r\n`);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(host.fs.read("C:\\New Dir\\it's ünï"), data);
    const tree = [
      "$sha = [Security.Cryptography.SHA256]::Create()",
      "$p = 'C:\\New Dir'",
      "if ([IO.Directory]::Exists($p)) { 'D ' + $p; foreach ($x in [IO.Directory]::GetFiles($p, '*', 'AllDirectories')) { $s = [IO.File]::OpenRead($x); try { 'F ' + $s.Length + ' ' + [BitConverter]::ToString($sha.ComputeHash($s)).Replace('-', '') + ' ' + $x } finally { $s.Close() } } } elseif ([IO.File]::Exists($p)) { $x = $p; $s = [IO.File]::OpenRead($x); try { 'F ' + $s.Length + ' ' + [BitConverter]::ToString($sha.ComputeHash($s)).Replace('-', '') + ' ' + $x } finally { $s.Close() } } else { '- ' + $p }",
    ].join("\n");
    const t = await run(host, ps(tree));
    const hex = createHash("sha256").update(data).digest("hex").toUpperCase();
    assert.equal(t.stdout, `D C:\\New Dir\r\nF 5 ${hex} C:\\New Dir\\it's ünï\r\n`);
  });

  test("a .NET failure is PowerShell's MethodInvocationException and stops the script under Stop", async () => {
    const host = new EmulatedHost({ profile: "win2019", locale: "en-US" });
    const curly = await run(host, ps("$p = 'C:\\it\u2019\u2019s'\n[void][IO.Directory]::CreateDirectory($p)"));
    assert.equal(curly.exitCode, 0, curly.stderr);
    assert.equal(host.fs.isDirectory("C:\\it\u2019s"), true, "doubled typographic quotes stand for one");
    const r = await run(host, ps("$ErrorActionPreference = 'Stop'\n$p = 'C:\\nope'\n$f = 'C:\\x'\n[IO.File]::Move($p, $f)\nWrite-Output after"));
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /Exception calling "Move" with "2" argument\(s\): "Could not find file 'C:\\nope'\."/);
    assert.match(r.stderr, /FullyQualifiedErrorId : DotNetMethodException/);
    assert.ok(!r.stdout.includes("after"));
  });

  test("statements outside the subset are refused in the error-record shape, not read as text", async () => {
    const host = new EmulatedHost({ profile: "win2019", locale: "en-US" });
    const r = await run(host, ps("[IO.File]::ReadAllBytes('C:\\x')"));
    assert.equal(r.exitCode, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /CategoryInfo {10}: NotImplemented/);
    const bad = await run(host, ps("$p = 'C:\\f'\n$in = [Console]::In\nwhile ($true) { $l = $in.ReadLine(); if ($l -eq $null) { break }; $b = [Convert]::FromBase64String($l); $w = [IO.File]::Open($p, 'Append', 'Write', 'Read'); try { $w.Write($b, 0, $b.Length) } finally { $w.Close() } }"), "not*base64ab\r\n");
    assert.equal(bad.exitCode, 1);
    assert.match(bad.stderr, /Invalid character in a Base-64 string/);
  });
});

void describe("emulated cmd file commands and certutil", () => {
  test("findstr into a file, certutil -decode and -hashfile, move /y, dir /s /b, del, rd /s", async () => {
    const host = new EmulatedHost({ profile: "win2008", locale: "en-US" });
    const data = Buffer.from("binary\u0000\u00ff", "latin1");
    const b64 = `${data.toString("base64")}\r\n`;
    assert.equal((await run(host, 'mkdir "C:\\a b\\c"')).exitCode, 0);
    const w = await run(host, 'findstr /r "^" > "C:\\a b\\c\\f.b64" & certutil -f -decode "C:\\a b\\c\\f.b64" "C:\\a b\\c\\f" > nul & del /q "C:\\a b\\c\\f.b64"', b64);
    assert.equal(w.exitCode, 0, w.stderr);
    assert.deepEqual(host.fs.read("C:\\a b\\c\\f"), data);
    const h = await run(host, 'certutil -hashfile "C:\\a b\\c\\f" SHA256');
    assert.equal(h.stdout.split("\r\n")[1]?.replace(/ /g, ""), createHash("sha256").update(data).digest("hex"));
    assert.equal((await run(host, 'move /y "C:\\a b\\c\\f" "C:\\a b\\g"')).exitCode, 0);
    assert.equal((await run(host, 'dir /s /b /a-d "C:\\a b"')).stdout, "C:\\a b\\g\r\n");
    assert.equal((await run(host, 'if exist "C:\\a b\\g\\" echo dir')).stdout, "");
    assert.equal((await run(host, 'if exist "C:\\a b\\c\\" echo dir')).stdout, "dir\r\n");
    assert.equal((await run(host, 'rd /s /q "C:\\a b"')).exitCode, 0);
    assert.equal(host.fs.isDirectory("C:\\a b"), false);
  });

  test("Server 2003's certutil: SHA-1 by default, no SHA-2", async () => {
    const host = new EmulatedHost({ profile: "win2003r2", locale: "en-US" });
    host.fs.write("C:\\f", Buffer.from("x"));
    const sha1 = await run(host, 'certutil -hashfile "C:\\f"');
    assert.equal(sha1.stdout.split("\r\n")[1]?.replace(/ /g, ""), createHash("sha1").update("x").digest("hex"));
    const sha256 = await run(host, 'certutil -hashfile "C:\\f" SHA256');
    assert.notEqual(sha256.exitCode, 0);
    assert.match(sha256.stdout, /FAILED: 0x80090008/);
  });

  test("certutil's hex: bytes spaced up to Windows 8 / 2012, run together on later systems", async () => {
    const hex = createHash("sha256").update("x").digest("hex");
    for (const [profile, shown] of [["win2008", hex.match(/../g)?.join(" ")], ["win2019", hex]] as const) {
      const host = new EmulatedHost({ profile, locale: "en-US" });
      host.fs.write("C:\\f", Buffer.from("x"));
      assert.equal((await run(host, 'certutil -hashfile "C:\\f" SHA256')).stdout.split("\r\n")[1], shown, profile);
    }
  });
});
