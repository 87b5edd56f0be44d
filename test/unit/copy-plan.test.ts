/**
 * The pure parts of file copy (provider/src/copy): Send sizing against real Send envelopes, chunk plans, the resume
 * decision, PowerShell literal quoting, the host listing's parser and the remote path checks.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { encodeStdinLines, payloadPerSend, planChunks, stdinPerSend } from "../../provider/src/copy/chunking.js";
import { decideCopy } from "../../provider/src/copy/resume.js";
import {
  BATCH_WRITER,
  batchWriterScript,
  deleteFilesScript,
  finalizeAllScript,
  mkdirScript,
  parseBatchOutput,
  parseTreeOutput,
  psLiteral,
  SHA_CREATE,
  treeScript,
} from "../../provider/src/copy/psScripts.js";
import { BATCH_WRITER as EMULATED_BATCH_WRITER } from "../../provider/src/testing/host/psCopyBatch.js";
import { EMULATED_SHA_CREATE } from "../../provider/src/testing/host/psFileCommands.js";
import { scriptStreamsStdin } from "../../provider/src/testing/host/psFileCommands.js";
import { checkRemotePath, joinRemote, partialPath, remoteParent } from "../../provider/src/copy/remotePaths.js";
import { writerKindFor } from "../../provider/src/copy/hostKind.js";
import { readMarkedHashes } from "../../provider/src/copy/cmdHost.js";
import { HostOutput } from "../../provider/src/copy/hostOutput.js";
import { LimitExceededError } from "../../provider/src/errors.js";
import { buildRequest } from "../../provider/src/wsman/envelope.js";
import { ACTION, RESOURCE_URI } from "../../provider/src/wsman/namespaces.js";
import { sendBody } from "../../provider/src/wsman/shell.js";

/** One Send of `stdin` (end of stream) under an envelope of `size` bytes, as the client builds it. */
function sendRequest(size: number, stdin: Parameters<typeof sendBody>[1]): ReturnType<typeof buildRequest> {
  return buildRequest({
    to: "https://host.example:5986/wsman",
    action: ACTION.send,
    resourceUri: RESOURCE_URI.cmd,
    selectors: { ShellId: "8A4D7B90-3C1E-4F53-9C5E-11A2B3C4D5E6" },
    operationTimeoutSec: 60,
    maxEnvelopeSize: size,
    body: sendBody("5D7C7E0A-1B2C-4D3E-8F90-A1B2C3D4E5F6", stdin, true),
  });
}

void describe("Send sizing", () => {
  for (const size of [153_600, 512_000]) {
    test(`a full Send fits MaxEnvelopeSize ${size} and a larger one would not be far off`, () => {
      const payload = payloadPerSend(size);
      assert.equal(payload % 3, 0);
      const stdin = encodeStdinLines(Buffer.alloc(payload, 0xab));
      const { xml } = sendRequest(size, stdin);
      const bytes = Buffer.byteLength(xml, "utf8");
      assert.ok(bytes <= size, `${bytes} > ${size}`);
      assert.ok(bytes > size - 6000, `${bytes} leaves too much of ${size} unused`);
    });
  }

  test("chunks cover [from, total) exactly", () => {
    assert.deepEqual(planChunks(10, 0, 4), [
      { offset: 0, length: 4 },
      { offset: 4, length: 4 },
      { offset: 8, length: 2 },
    ]);
    assert.deepEqual(planChunks(10, 10, 4), []);
    assert.deepEqual(planChunks(10, 7, 4), [{ offset: 7, length: 3 }]);
    assert.throws(() => planChunks(1, 0, 0), RangeError);
  });

  test("stdin lines are base64 with CRLF, split at line size", () => {
    assert.equal(encodeStdinLines(Buffer.from("abcdef")).toString(), "YWJjZGVm\r\n");
    assert.equal(encodeStdinLines(Buffer.from("abcdef"), 3).toString(), "YWJj\r\nZGVm\r\n");
  });
});

void describe("resume decision", () => {
  const local = { length: 100, hash: "AA" };
  const prefix = async (n: number): Promise<string> => `P${n}`;
  test("final already matching: skip", async () => {
    assert.deepEqual(await decideCopy(local, { length: 100, hash: "aa" }, undefined, prefix), { kind: "skip" });
  });
  test("final of other content, no partial: write from 0", async () => {
    assert.deepEqual(await decideCopy(local, { length: 100, hash: "BB" }, undefined, prefix), { kind: "write", fromByte: 0, discardPartial: false });
  });
  test("partial that is our prefix: append from its length", async () => {
    assert.deepEqual(await decideCopy(local, undefined, { length: 40, hash: "p40" }, prefix), { kind: "write", fromByte: 40, discardPartial: false });
  });
  test("partial with other bytes, longer than the file, or empty: start over", async () => {
    for (const partial of [{ length: 40, hash: "XX" }, { length: 101, hash: "P101" }, { length: 0, hash: "P0" }]) {
      assert.deepEqual(await decideCopy(local, undefined, partial, prefix), { kind: "write", fromByte: 0, discardPartial: true });
    }
  });
  test("complete partial (the rename was lost): resume at the end, nothing more to send", async () => {
    assert.deepEqual(await decideCopy(local, undefined, { length: 100, hash: "P100" }, prefix), { kind: "write", fromByte: 100, discardPartial: false });
  });
});

void describe("PowerShell scripts", () => {
  test("literals: quotes doubled (typographic ones too), nothing else special", () => {
    assert.equal(psLiteral("C:\\a b\\c.txt"), "'C:\\a b\\c.txt'");
    assert.equal(psLiteral("C:\\it's"), "'C:\\it''s'");
    assert.equal(psLiteral("C:\\\u2019x\u2018"), "'C:\\\u2019\u2019x\u2018\u2018'");
    assert.equal(psLiteral("C:\\$env:x `n \"q\" ünï 日本"), "'C:\\$env:x `n \"q\" ünï 日本'");
  });
  test("paths appear only as assigned literals; the statements are constant", () => {
    const strip = (s: string): string => s.split("\n").filter((l) => !l.startsWith("$p = ") && !l.startsWith("$f = ")).join("\n");
    const a = treeScript(["C:\\x y\\it's", "C:\\b"]);
    assert.ok(a.includes("$p = 'C:\\x y\\it''s'\n") && a.includes("$p = 'C:\\b'\n"));
    assert.equal(strip(a), strip(treeScript(["C:\\c", "C:\\d"])));
    const pairs = [{ partial: "C:\\it's.partial", target: "C:\\it's" }];
    const f = finalizeAllScript(pairs);
    assert.ok(f.includes("$p = 'C:\\it''s.partial'\n$f = 'C:\\it''s'\n[IO.File]::Delete($f)\n[IO.File]::Move($p, $f)\n"));
    assert.equal(strip(f), strip(finalizeAllScript([{ partial: "C:\\a.partial", target: "C:\\a" }])));
    assert.equal(strip(mkdirScript(["C:\\'q'"])), strip(mkdirScript(["C:\\z"])));
    assert.equal(strip(deleteFilesScript(["C:\\'q'"])), strip(deleteFilesScript(["C:\\z"])));
  });
  test("listing output is read by position; malformed lines are skipped", () => {
    const h = "A".repeat(64);
    const lines = parseTreeOutput(`D C:\\d\r\nF 12 ${h} C:\\d\\a b.txt\r\nF x ${h} C:\\bad\r\nF 1 short C:\\bad\r\n- C:\\gone\r\n`);
    assert.deepEqual(lines, [
      { kind: "dir", path: "C:\\d" },
      { kind: "file", path: "C:\\d\\a b.txt", length: 12, hash: h },
      { kind: "absent", path: "C:\\gone" },
    ]);
  });
});

void describe("remote paths and host kind", () => {
  test("join, partial, parent", () => {
    assert.equal(joinRemote("C:\\d\\", "a\\b"), "C:\\d\\a\\b");
    assert.equal(joinRemote("C:\\d", ""), "C:\\d");
    assert.equal(partialPath("C:\\f"), "C:\\f.partial");
    assert.equal(remoteParent("C:\\f"), "C:\\");
    assert.equal(remoteParent("C:\\d\\f"), "C:\\d");
  });
  test("checks name the field", () => {
    checkRemotePath("C:\\ok\\ünï file.bin");
    checkRemotePath("\\\\server\\share\\x");
    checkRemotePath("C:\\");
    checkRemotePath("C:\\data\\100%.txt");
    assert.throws(() => checkRemotePath("x.bin"), /remotePath: x\.bin must be an absolute Windows path/);
    assert.throws(() => checkRemotePath("C:\\a|b"), /remotePath: .*no Windows file name may hold \("\|"/);
  });
  test("paths that would leave the named place or open something else are refused, naming the field", () => {
    const cases: [string, RegExp][] = [
      // A local file named `..\..\x` (legal on Linux) joined below the root must not climb out of it.
      ["C:\\data\\..\\..\\Windows\\x", /"\." or "\.\." components/],
      ["C:\\data\\.\\x", /"\." or "\.\." components/],
      ["\\\\.\\PhysicalDrive0", /must be an absolute Windows path/],
      ["\\\\?\\C:\\x", /must be an absolute Windows path/],
      ["\\\\server", /must name a share/],
      ["C:\\data\\NUL", /named like a device \("NUL"/],
      ["C:\\data\\con.txt", /named like a device \("con\.txt"/],
      ["C:\\data\\LPT1 .log", /named like a device/],
      ["C:\\data\\com\u00B9", /named like a device/],
      ["C:\\data\\f.txt:secret", /alternate data stream/],
      ["C:\\data\\f.", /ending in a dot or a space/],
      ["C:\\data\\\\f", /empty component/],
    ];
    for (const [path, reason] of cases) {
      assert.throws(() => checkRemotePath(path, "files[2].remotePath"), (e: Error) => e.message.startsWith("files[2].remotePath: ") && reason.test(e.message), path);
    }
    for (const ok of ["C:\\data\\console.txt", "C:\\data\\COM10", "C:\\data\\nul-ish", "C:\\a b & (c)\\^!.txt"]) checkRemotePath(ok);
    assert.throws(() => checkRemotePath("C:\\", "remotePath", { root: true }), /remotePath: C:\\ must name something below C:\\/);
    assert.throws(() => checkRemotePath(`C:\\${"a".repeat(250)}`, "files[0].remotePath"), /files\[0\]\.remotePath: .*MAX_PATH/);
  });
  test("PowerShell from WinRM 2.0, cmd on 1.1", () => {
    const id = (stack?: string) => ({ protocolVersion: "", productVendor: "", productVersion: "", securityProfiles: [], ...(stack !== undefined ? { stack } : {}) });
    assert.equal(writerKindFor(id("1.1")), "cmd");
    assert.equal(writerKindFor(id("2.0")), "powershell");
    assert.equal(writerKindFor(id("3.0")), "powershell");
    assert.equal(writerKindFor(id()), "powershell");
  });
});

void describe("cmd-only hosts", () => {
  test("paths double-quoted; % refused naming the field; SHA-1 only on NT 5.x", async () => {
    const { cmdHashAlgorithm, cmdQuote } = await import("../../provider/src/copy/cmdHost.js");
    assert.equal(cmdQuote("C:\\a b\\it's & (x) ^ ünï"), '"C:\\a b\\it\'s & (x) ^ ünï"');
    assert.throws(() => cmdQuote("C:\\100%\\x"), /remotePath: C:\\100%\\x contains %/);
    const id = (os: string) => ({ protocolVersion: "", productVendor: "", productVersion: "", securityProfiles: [], os, stack: "1.1" });
    assert.equal(cmdHashAlgorithm(id("5.2.3790")), "SHA1");
    assert.equal(cmdHashAlgorithm(id("6.0.6001")), "SHA256");
  });
});

void describe("the batch writer", () => {
  test("its text is constant (no path in it), the emulated host's copy of it is the same and streams stdin", () => {
    const script = batchWriterScript();
    assert.ok(script.includes(BATCH_WRITER));
    assert.equal(BATCH_WRITER, EMULATED_BATCH_WRITER, "client and emulated host agree on the statement's text");
    // The hasher falls back to the CryptoAPI class where the FIPS policy refuses SHA256Managed (PowerShell 2.0: CLR 2).
    assert.equal(SHA_CREATE, EMULATED_SHA_CREATE);
    assert.ok(batchWriterScript().includes(`\n${SHA_CREATE}\n`) && treeScript(["C:\\x"]).includes(`\n${SHA_CREATE}\n`));
    assert.ok(scriptStreamsStdin(script));
    assert.ok(!script.includes(":\\"), "no path in the script");
  });

  test("its output: M (moved) and F (left as partial) lines in order; anything else skipped", () => {
    const h = "ab".repeat(32);
    const lines = parseBatchOutput(`M 3 ${h}\r\nnoise\r\nF 0 ${h.toUpperCase()}\r\nM x ${h}\r\nF 1 short\r\n`);
    assert.deepEqual(lines, [
      { moved: true, length: 3, hash: h.toUpperCase() },
      { moved: false, length: 0, hash: h.toUpperCase() },
    ]);
  });

  test("Sends of a full stdin budget fit the envelope", () => {
    for (const size of [153_600, 512_000]) {
      const stdin = Buffer.alloc(stdinPerSend(size), 0x41);
      const { xml } = sendRequest(size, stdin);
      assert.ok(Buffer.byteLength(xml, "utf8") <= size, `${Buffer.byteLength(xml, "utf8")} > ${size}`);
    }
  });
});

void describe("cmd host output", () => {
  const sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
  const sha256 = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
  test("certutil hashes are read after their markers, spaced or not; a file without a hash stays undefined", () => {
    const out =
      "#0\r\nSHA1 hash of file C:\\a.txt:\r\nda 39 a3 ee 5e 6b 4b 0d 32 55 bf ef 95 60 18 90 af d8 07 09\r\nCertUtil: -hashfile command completed successfully.\r\n" +
      "#1\r\nCertUtil: -hashfile command FAILED: 0x80070002 (WIN32: 2)\r\n" +
      `#2\r\nSHA256 hash of C:\\c.txt:\r\n${sha256.toLowerCase()}\r\n`;
    const into: (string | undefined)[] = [undefined, undefined, undefined];
    readMarkedHashes(out, into);
    assert.deepEqual(into, [sha1.toUpperCase(), undefined, sha256]);
  });
  test("a marker outside the files asked for, or a hash-shaped line too long to be one, is ignored", () => {
    const into: (string | undefined)[] = [undefined];
    readMarkedHashes(`#99999\r\n${sha256}\r\n#0\r\n${"A".repeat(64)} ${"B".repeat(300)}\r\n#00\r\n${sha256}\r\n`, into);
    assert.equal(into.length, 1);
    assert.deepEqual(into, [sha256]);
  });
  test("writer output is bounded: stdout over the bound fails, error text is cut", () => {
    const out = new HostOutput(10, "writing C:\\x");
    out.push(Buffer.from("0123456789"));
    assert.throws(() => out.push(Buffer.from("!")), (e: unknown) => e instanceof LimitExceededError && /writing C:\\x/.test(e.message));
    const err = new HostOutput(4);
    err.push(Buffer.from("abc"));
    err.push(Buffer.from("defg"));
    assert.equal(err.bytes().toString(), "abcd");
  });
});
