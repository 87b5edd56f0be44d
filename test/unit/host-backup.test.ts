/**
 * The pieces of the on-host backup (provider/src/hosts/backup.ts, winhttpBackup.ts, winrmServiceBackup.ts) run
 * against the emulated host's cmd and reg, and the reg value reader (regQuery.ts) on both reg.exe layouts, in every
 * emulated display language.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { RunOptions, RunResult } from "../../provider/src/client.js";
import { backupKey, HostBackupError, readBackup, removeBackup, writeBackupOnce, writeOnceCommand } from "../../provider/src/hosts/backup.js";
import { findRegValue, hexBytes } from "../../provider/src/hosts/regQuery.js";
import type { CommandRunner } from "../../provider/src/hosts/winhttp.js";
import {
  decodeOriginal,
  encodeOriginal,
  ensureWinHttpOriginal,
  originalSetting,
  readWinHttpOriginal,
  restoreWinHttpOriginal,
} from "../../provider/src/hosts/winhttpBackup.js";
import { decodeServiceOriginal, encodeServiceOriginal, ensureServiceOriginal, readServiceOriginal } from "../../provider/src/hosts/winrmServiceBackup.js";
import { encodeWinHttpSettings } from "../../provider/src/testing/host/winhttpSettingsWriter.js";
import { EmulatedHost } from "../../provider/src/testing/index.js";
import { LOCALES, type Locale } from "../../provider/src/testing/index.js";
import type { ProfileName } from "../../provider/src/testing/index.js";
import { CONNECTIONS_KEY } from "../../provider/src/testing/index.js";

/** A CommandRunner on an emulated host's cmd.exe (what a WinRM cmd shell runs), recording the command lines. */
function runnerOn(host: EmulatedHost): CommandRunner & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    async run(command: string, _opts?: RunOptions): Promise<RunResult> {
      lines.push(command);
      const r = await host.startCommand(command, { env: {}, codePage: 65001 }).run(Buffer.alloc(0));
      return { stdout: r.stdout.toString("utf8"), stderr: r.stderr.toString("utf8"), exitCode: r.exitCode };
    },
  };
}

async function cmd(host: EmulatedHost, line: string, stdin = ""): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const r = await host.startCommand(line, { env: {}, codePage: 65001 }).run(Buffer.from(stdin, "utf8"));
  return { stdout: r.stdout.toString("utf8"), stderr: r.stderr.toString("utf8"), exitCode: r.exitCode };
}

const PROXY = { accessType: "proxy" as const, proxyServer: "old-proxy.corp.example:80", bypassList: "<local>" };

describe("regQuery: one value by name and shape", () => {
  test("Vista+ (four spaces) and REG.EXE 3.0 (tabs) layouts; names case-insensitive; REG_SZ data kept verbatim", () => {
    const vista = "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\x\r\n    Native    REG_BINARY    01AB\r\n    Auth Name    REG_SZ    a=b;c  d\r\n    Empty    REG_SZ    \r\n\r\n";
    assert.deepEqual(findRegValue(vista, "native"), { type: "REG_BINARY", data: "01AB" });
    assert.deepEqual(findRegValue(vista, "Auth Name"), { type: "REG_SZ", data: "a=b;c  d" });
    assert.deepEqual(findRegValue(vista, "Empty"), { type: "REG_SZ", data: "" });
    assert.equal(findRegValue(vista, "Auth"), undefined, "a name that is only a prefix of another");
    assert.equal(findRegValue(vista, "HKEY_LOCAL_MACHINE\\SOFTWARE\\x"), undefined, "key lines are not values");
    const xp = "\r\n! REG.EXE VERSION 3.0\r\n\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\x\r\n    Native\tREG_BINARY\t00\r\n";
    assert.deepEqual(findRegValue(xp, "Native"), { type: "REG_BINARY", data: "00" });
  });

  test("hexBytes accepts hex digits only, in pairs", () => {
    assert.deepEqual(hexBytes("01ab"), Buffer.from([1, 0xab]));
    assert.deepEqual(hexBytes(""), Buffer.alloc(0));
    assert.equal(hexBytes("0"), undefined);
    assert.equal(hexBytes("0g"), undefined);
  });

  test("a hostile line (blanks, near-miss names) is scanned in linear time", () => {
    const started = process.hrtime.bigint();
    const hostile = `  ${" ".repeat(200_000)}x\r\n${"    Native".repeat(20_000)}\r\n${"\t".repeat(100_000)}REG_SZ`;
    assert.equal(findRegValue(hostile, "Native"), undefined);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(ms < 500, `took ${ms} ms`);
  });
});

describe("encodings of the originals", () => {
  test("WinHttpSettings: 01 + bytes, or 00 for a value that did not exist; anything else is refused", () => {
    const raw = encodeWinHttpSettings(PROXY, 7);
    assert.equal(encodeOriginal(raw), `01${raw.toString("hex").toUpperCase()}`);
    assert.deepEqual(decodeOriginal(encodeOriginal(raw), "x"), raw);
    assert.equal(decodeOriginal(encodeOriginal(null), "x"), null);
    assert.deepEqual(decodeOriginal("01", "x"), Buffer.alloc(0), "an empty value that existed");
    assert.throws(() => decodeOriginal("02AA", "x"), HostBackupError);
    assert.throws(() => decodeOriginal("", "x"), HostBackupError);
    assert.deepEqual(originalSetting(null), { accessType: "direct", proxyServer: "", bypassList: "", exists: false });
    assert.deepEqual(originalSetting(raw), { ...PROXY, exists: true });
  });

  test("WinRM service settings: Name=value pairs, round trip, strict on what it reads", () => {
    const o = {
      auth: { basic: true, negotiate: true, kerberos: false, certificate: false, credSSP: true, cbtHardeningLevel: "Relaxed" },
      allowUnencrypted: true,
    };
    const text = encodeServiceOriginal(o);
    assert.equal(text, "Basic=true;Negotiate=true;Kerberos=false;Certificate=false;CredSSP=true;CbtHardeningLevel=Relaxed;AllowUnencrypted=true");
    assert.deepEqual(decodeServiceOriginal(text), o);
    const noCbt = { ...o, auth: { ...o.auth, cbtHardeningLevel: "" } };
    assert.deepEqual(decodeServiceOriginal(encodeServiceOriginal(noCbt)), noCbt);
    assert.throws(() => decodeServiceOriginal("Basic=yes"), /Basic is "yes"/);
    assert.throws(() => decodeServiceOriginal(text.replace("CredSSP=true;", "")), /CredSSP is missing/);
  });

  test("a value cmd.exe cannot carry in one argument is refused before anything runs", () => {
    assert.throws(() => writeOnceCommand("WinRMService", { name: "ServiceAuth", type: "REG_SZ", data: 'a"&b' }), HostBackupError);
    assert.throws(() => writeOnceCommand("WinHttpSettings", { name: "Native", type: "REG_BINARY", data: "0" }), HostBackupError);
    assert.throws(() => writeOnceCommand("WinHttpSettings", { name: "Native", type: "REG_BINARY", data: "00".repeat(5000) }), /too long/);
  });
});

describe("emulated reg: add, query, delete as Windows does", () => {
  for (const locale of LOCALES) {
    test(`${locale}: exit codes carry the result; the messages are localized`, async () => {
      const h = new EmulatedHost({ profile: "win2019", locale });
      const key = "HKLM\\SOFTWARE\\pulumi-winrm-proxy\\Originals\\T";
      assert.equal((await cmd(h, `reg query "${key}"`)).exitCode, 1);
      assert.equal((await cmd(h, `reg add "${key}" /v V /t REG_BINARY /d 01AB /f`)).exitCode, 0);
      assert.equal((await cmd(h, `reg add "${key}" /v S /t REG_SZ /d "a=b;c" /f`)).exitCode, 0);
      const q = await cmd(h, `reg query "${key}"`);
      assert.equal(q.exitCode, 0);
      assert.deepEqual(findRegValue(q.stdout, "V"), { type: "REG_BINARY", data: "01AB" });
      assert.deepEqual(findRegValue(q.stdout, "S"), { type: "REG_SZ", data: "a=b;c" });
      // Without /f an existing value is not overwritten unless stdin says yes.
      const refused = await cmd(h, `reg add "${key}" /v V /t REG_BINARY /d 00`);
      assert.equal(refused.exitCode, 1);
      assert.deepEqual(h.registry.getValue(key, "V"), { type: "REG_BINARY", data: Buffer.from([1, 0xab]) });
      assert.equal((await cmd(h, `reg add "${key}" /v V /t REG_BINARY /d 00`, locale === "en-US" ? "Yes\r\n" : "S\r\n")).exitCode, 0);
      assert.deepEqual(h.registry.getValue(key, "V"), { type: "REG_BINARY", data: Buffer.from([0]) });
      // Bad syntax names the operation in its usage hint.
      const bad = await cmd(h, `reg add "${key}" /v V /t REG_BINARY /d 0 /f`);
      assert.equal(bad.exitCode, 1);
      assert.match(bad.stderr, /"REG ADD \/\?"/);
      // A whole key goes with /f; a second delete finds nothing (exit 1), and neither does a query.
      assert.equal((await cmd(h, `reg delete "${key}" /f`)).exitCode, 0);
      assert.equal((await cmd(h, `reg delete "${key}" /f`)).exitCode, 1);
      assert.equal((await cmd(h, `reg query "${key}"`)).exitCode, 1);
      assert.ok(h.registry.keyExists("HKLM\\SOFTWARE\\pulumi-winrm-proxy\\Originals"), "the parent stays");
      assert.equal((await cmd(h, `reg delete "HKLM" /f`)).exitCode, 1, "a root key cannot be deleted");
    });
  }

  test("a value that does not exist: query and delete exit 1", async () => {
    const h = new EmulatedHost({ profile: "win2003r2", locale: "en-US" });
    assert.equal((await cmd(h, `reg query "${CONNECTIONS_KEY}" /v Nope`)).exitCode, 1);
    assert.equal((await cmd(h, `reg delete "${CONNECTIONS_KEY}" /v Nope /f`)).exitCode, 1);
  });
});

const HOSTS: { profile: ProfileName; locale: Locale }[] = [
  { profile: "win2003r2", locale: "es-ES" },
  { profile: "win2008", locale: "it-IT" },
  { profile: "win2019", locale: "en-US" },
];

describe("the WinHTTP original on the host", () => {
  for (const { profile, locale } of HOSTS) {
    test(`${profile} (${locale}): written once from the live bytes, never overwritten, restored byte for byte, removed`, async () => {
      const h = new EmulatedHost({ profile, locale, winHttp: PROXY });
      const c = runnerOn(h);
      const nativeBefore = h.winHttpSettingsBlob("native");
      const wowBefore = h.winHttpSettingsBlob("wow64") ?? null;
      assert.equal(await readWinHttpOriginal(c), undefined);

      const o = await ensureWinHttpOriginal(c);
      assert.deepEqual(o, { native: nativeBefore, wow64: wowBefore });
      assert.equal(h.profile.is64Bit, wowBefore !== null, "the twin exists on 64-bit Windows only");

      // The host changes (as netsh does); a second ensure keeps the first original.
      h.writeWinHttpProxy({ accessType: "proxy", proxyServer: "new:3128", bypassList: "" });
      assert.deepEqual(await ensureWinHttpOriginal(c), o);
      assert.deepEqual(originalSetting(o.native), { ...PROXY, exists: true });

      await restoreWinHttpOriginal(c, o);
      assert.deepEqual(h.winHttpSettingsBlob("native"), nativeBefore, "the exact bytes, counter included");
      assert.deepEqual(h.winHttpSettingsBlob("wow64") ?? null, wowBefore);

      await removeBackup(c, "WinHttpSettings");
      assert.equal(h.registry.keyExists(backupKey("WinHttpSettings")), false);
      await removeBackup(c, "WinHttpSettings"); // again (an interrupted delete run twice): no error
    });
  }

  test("a value that never existed: the backup says so, and restoring deletes what netsh created", async () => {
    const h = new EmulatedHost({ profile: "win2019", locale: "en-US", winHttp: null });
    const c = runnerOn(h);
    const o = await ensureWinHttpOriginal(c);
    assert.deepEqual(o, { native: null, wow64: null });
    h.writeWinHttpProxy(PROXY);
    await restoreWinHttpOriginal(c, o);
    assert.equal(h.winHttpSettingsBlob("native"), undefined);
    assert.equal(h.winHttpSettingsBlob("wow64"), undefined);
  });

  test("a backup interrupted between its two values is completed from the live twin, the first value kept", async () => {
    const h = new EmulatedHost({ profile: "win2019", locale: "en-US", winHttp: PROXY });
    const c = runnerOn(h);
    const native = h.winHttpSettingsBlob("native") ?? null;
    await writeBackupOnce(c, "WinHttpSettings", [{ name: "Native", type: "REG_BINARY", data: encodeOriginal(native) }]);
    const partial = await readWinHttpOriginal(c);
    assert.equal(partial?.complete, false);
    const o = await ensureWinHttpOriginal(c);
    assert.deepEqual(o, { native, wow64: h.winHttpSettingsBlob("wow64") });
  });

  test("a backup value this provider did not write stops the change", async () => {
    const h = new EmulatedHost({ profile: "win2019", locale: "en-US" });
    h.registry.setValue(backupKey("WinHttpSettings"), "Native", { type: "REG_SZ", data: "hello" });
    await assert.rejects(ensureWinHttpOriginal(runnerOn(h)), /Native under .* is REG_SZ, not REG_BINARY/);
  });
});

describe("the WinRM service original on the host", () => {
  test("written once, read back, in its own key (the WinHTTP backup is another setting)", async () => {
    const h = new EmulatedHost({ profile: "win2019", locale: "it-IT" });
    const c = runnerOn(h);
    const live = {
      auth: { basic: false, negotiate: true, kerberos: true, certificate: false, credSSP: false, cbtHardeningLevel: "Relaxed" },
      allowUnencrypted: false,
    };
    assert.equal(await readServiceOriginal(c), undefined);
    assert.deepEqual(await ensureServiceOriginal(c, live), live);
    const other = { ...live, auth: { ...live.auth, credSSP: true } };
    assert.deepEqual(await ensureServiceOriginal(c, other), live, "never overwritten");
    await ensureWinHttpOriginal(c);
    await removeBackup(c, "WinRMService");
    assert.equal(await readServiceOriginal(c), undefined);
    assert.notEqual((await readWinHttpOriginal(c))?.complete, undefined, "removing one setting's backup leaves the other's");
    assert.ok((await readBackup(c, "WinHttpSettings", ["Native"]))?.has("Native"));
  });
});
