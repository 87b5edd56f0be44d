import { describe, test } from "node:test";
import assert from "node:assert/strict";
import iconv from "iconv-lite";
import {
  decodeWinHttpSettings,
  netshSetProxyCommand,
  parseRegQueryBinary,
  proxycfgSetCommand,
  REG_QUERY_WINHTTP_SETTINGS,
  sameProxyState,
  type WinHttpProxyState,
} from "../../provider/src/hosts/winhttpSettings.js";
import { WinRMConfigError, WinRMConfigStore, WSMAN_RESOURCE_NOT_FOUND, WSMAN_SCHEMA_VALIDATION } from "../../provider/src/testing/index.js";
import { EmulatedHost } from "../../provider/src/testing/index.js";
import type { Locale } from "../../provider/src/testing/index.js";
import { getProfile, PROFILE_NAMES, type ProfileName } from "../../provider/src/testing/index.js";

interface Result {
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
  exitCode: number;
}

async function run(host: EmulatedHost, line: string, codePage = 65001, stdin = ""): Promise<Result> {
  const r = await host.startCommand(line, { env: {}, codePage }).run(Buffer.from(stdin));
  const cp = host.effectiveCodePage(codePage);
  const dec = (b: Buffer): string => (cp === 65001 ? b.toString("utf8") : iconv.decode(b, `cp${cp}`));
  return { stdout: dec(r.stdout), stderr: dec(r.stderr), stdoutBytes: r.stdout, exitCode: r.exitCode };
}

function host(profile: ProfileName, locale: Locale = "en-US"): EmulatedHost {
  return new EmulatedHost({ profile, locale });
}

const PROXY: WinHttpProxyState = { accessType: "proxy", proxyServer: "proxy.contoso.com:8080", bypassList: "localhost;*.contoso.com" };

describe("profiles", () => {
  test("Identify ProductVersion, ports and envelope size per profile", () => {
    const expected: Record<ProfileName, [string, number, number, number]> = {
      win2003r2: ["OS: 5.2.3790 SP: 2.0 Stack: 1.1", 80, 443, 150],
      win2008: ["OS: 6.0.6001 SP: 1.0 Stack: 1.1", 80, 443, 150],
      win2008r2: ["OS: 6.1.7601 SP: 1.0 Stack: 2.0", 5985, 5986, 150],
      win2019: ["OS: 10.0.17763 SP: 0.0 Stack: 3.0", 5985, 5986, 500],
    };
    for (const name of PROFILE_NAMES) {
      const p = getProfile(name);
      const [pv, http, https, env] = expected[name];
      assert.equal(p.productVersion, pv, name);
      assert.deepEqual(p.defaultPorts, { http, https }, name);
      assert.equal(p.maxEnvelopeSizekb, env, name);
      assert.equal(p.hasProxycfg, name === "win2003r2", name);
      assert.equal(p.hasNetshWinhttp, name !== "win2003r2", name);
      assert.equal(p.supportsUtf8CodePage, name !== "win2003r2", name);
    }
  });

  test("ver prints the build in the locale's words", async () => {
    assert.equal((await run(host("win2019"), "ver")).stdout, "\r\nMicrosoft Windows [Version 10.0.17763.5458]\r\n");
    assert.equal((await run(host("win2003r2", "es-ES"), "ver")).stdout, "\r\nMicrosoft Windows [Versión 5.2.3790]\r\n");
    assert.equal((await run(host("win2008r2", "it-IT"), "ver")).stdout, "\r\nMicrosoft Windows [Versione 6.1.7601]\r\n");
  });
});

describe("output code page", () => {
  test("2003 has no UTF-8: an accented Spanish string comes out in cp850", async () => {
    const h = host("win2003r2", "es-ES");
    assert.equal(h.effectiveCodePage(65001), 850);
    const r = await run(h, "ver", 65001);
    // "Versión": ó is 0xA2 in cp850, never the UTF-8 pair C3 B3
    assert.ok(r.stdoutBytes.includes(Buffer.from("Versi\xa2n", "latin1")));
    assert.equal(r.stdoutBytes.includes(Buffer.from([0xc3, 0xb3])), false);
  });

  test("2019 honours 65001: the same string is UTF-8", async () => {
    const r = await run(host("win2019", "es-ES"), "ver", 65001);
    assert.ok(r.stdoutBytes.includes(Buffer.from("Versión", "utf8")));
  });

  test("2019 without a requested page prints in the OEM page (437 en-US, 850 it-IT)", async () => {
    assert.equal(host("win2019").effectiveCodePage(0), 437);
    const r = await run(host("win2019", "it-IT"), 'echo perché', 0);
    assert.deepEqual(r.stdoutBytes, Buffer.from("perch\x82\r\n", "latin1") /* é = 0x82 in cp850 */);
  });
});

describe("WinRM config store", () => {
  test("defaults: AllowUnencrypted false, Basic false, CBT Relaxed on 2.0+", () => {
    const s = new WinRMConfigStore(getProfile("win2019"));
    assert.equal(s.allowUnencrypted, false);
    assert.deepEqual(s.serviceAuth, {
      basic: false,
      kerberos: true,
      negotiate: true,
      certificate: false,
      credSSP: false,
      cbtHardeningLevel: "Relaxed",
    });
    assert.equal(s.get("winrm/config").MaxEnvelopeSizekb, "500");
    assert.deepEqual(s.get("winrm/config/service/defaultports"), { HTTP: "5985", HTTPS: "5986" });
  });

  test("WinRM 1.1: no CredSSP, no CbtHardeningLevel, 150 KB envelopes, ports 80/443", () => {
    const s = new WinRMConfigStore(getProfile("win2008"));
    const auth = s.get("winrm/config/service/auth");
    assert.equal("CredSSP" in auth, false);
    assert.equal("CbtHardeningLevel" in auth, false);
    assert.equal(s.serviceAuth.cbtHardeningLevel, "None");
    assert.equal(s.get("winrm/config").MaxEnvelopeSizekb, "150");
    assert.deepEqual(s.get("winrm/config/client/defaultports"), { HTTP: "80", HTTPS: "443" });
    assert.throws(
      () => s.set("winrm/config/service/auth", { CredSSP: "true" }),
      (e: unknown) => e instanceof WinRMConfigError && e.kind === "unknownKey" && e.wsmanCode === WSMAN_SCHEMA_VALIDATION,
    );
  });

  test("set: case-insensitive keys, values normalized, validation is atomic", () => {
    const s = new WinRMConfigStore(getProfile("win2008r2"));
    s.set("WinRM/Config/Service", { allowunencrypted: "TRUE" });
    assert.equal(s.get("winrm/config/service").AllowUnencrypted, "true");
    assert.equal(s.allowUnencrypted, true);
    assert.throws(() => s.set("winrm/config/service/auth", { Basic: "true", CbtHardeningLevel: "Paranoid" }), WinRMConfigError);
    assert.equal(s.serviceAuth.basic, false, "nothing applied when one value is bad");
    assert.throws(() => s.set("winrm/config", { MaxEnvelopeSizekb: "-1" }), WinRMConfigError);
    assert.throws(
      () => s.get("winrm/config/nope"),
      (e: unknown) => e instanceof WinRMConfigError && e.wsmanCode === WSMAN_RESOURCE_NOT_FOUND,
    );
  });

  test("put merges a document (resource URI form) and returns the updated subtree", () => {
    const s = new WinRMConfigStore(getProfile("win2019"));
    const out = s.put("http://schemas.microsoft.com/wbem/wsman/1/config/service", {
      AllowUnencrypted: "false",
      Auth: { Basic: "true", CbtHardeningLevel: "strict" },
    });
    assert.deepEqual(out.Auth, { Basic: "true", Kerberos: "true", Negotiate: "true", Certificate: "false", CredSSP: "false", CbtHardeningLevel: "Strict" });
    assert.equal(s.serviceAuth.cbtHardeningLevel, "Strict");
    assert.throws(() => s.put("winrm/config/service", { Auth: "x" }), WinRMConfigError);
  });

  test("winrm get / set print the text tree (`winrm help config`)", async () => {
    const h = host("win2019");
    const got = await run(h, "winrm get winrm/config/service/auth");
    assert.equal(
      got.stdout,
      "Auth\r\n    Basic = false\r\n    Kerberos = true\r\n    Negotiate = true\r\n    Certificate = false\r\n" +
        "    CredSSP = false\r\n    CbtHardeningLevel = Relaxed\r\n\r\n",
    );
    const set = await run(h, 'winrm set winrm/config/service/auth @{Basic="true";CredSSP="true"}');
    assert.equal(set.exitCode, 0);
    assert.match(set.stdout, /^Auth\r\n {4}Basic = true\r\n/);
    assert.equal(h.config.serviceAuth.credSSP, true);
    const svc = await run(h, "winrm get winrm/config/service");
    assert.match(svc.stdout, /\r\n {4}CertificateThumbprint\r\n/, "an empty value prints as the bare key");
    assert.match(svc.stdout, /\r\n {4}Auth\r\n {8}Basic = true\r\n/);
    const bad = await run(h, 'winrm set winrm/config/service @{Bogus="1"}');
    assert.equal(bad.exitCode, 1);
    assert.match(bad.stderr, /^WSManFault\r\n {4}Message = /);
    assert.match(bad.stderr, /Error number: {2}-2144108479 0x80338041/);
  });

  test("winrm id shows the profile's ProductVersion", async () => {
    const r = await run(host("win2008r2"), "winrm id");
    assert.match(r.stdout, /ProductVersion = OS: 6\.1\.7601 SP: 1\.0 Stack: 2\.0\r\n/);
  });
});

describe("netsh winhttp (Vista / 2008+)", () => {
  test("show proxy, direct, en-US: exact layout", async () => {
    const r = await run(host("win2019"), "netsh winhttp show proxy");
    assert.equal(r.stdout, "\r\nCurrent WinHTTP proxy settings:\r\n\r\n    Direct access (no proxy server).\r\n\r\n");
    assert.equal(r.exitCode, 0);
  });

  test("set proxy prints and stores; reg query shows the 65-byte blob with counter 1", async () => {
    const h = host("win2019");
    const shipped = parseRegQueryBinary((await run(h, REG_QUERY_WINHTTP_SETTINGS)).stdout);
    assert.equal(shipped.toString("hex"), "1800000000000000010000000000000000000000", "the value Windows ships (KB4494447)");
    const set = await run(h, 'netsh winhttp set proxy proxy.contoso.com:8080 "localhost;*.contoso.com"');
    assert.equal(
      set.stdout,
      "\r\nCurrent WinHTTP proxy settings:\r\n\r\n    Proxy Server(s) :  proxy.contoso.com:8080\r\n" +
        "    Bypass List     :  localhost;*.contoso.com\r\n\r\n",
    );
    const q = await run(h, REG_QUERY_WINHTTP_SETTINGS);
    const blob = parseRegQueryBinary(q.stdout);
    // netsh of Windows 10 / Server 2016 and later writes first field 0x28 (provider/src/testing/host/winhttpSettingsWriter.ts).
    assert.equal(blob.toString("hex"), "28000000010000000300000016000000" + Buffer.from("proxy.contoso.com:8080").toString("hex") + "17000000" + Buffer.from("localhost;*.contoso.com").toString("hex"));
    assert.equal(decodeWinHttpSettings(blob).proxyServer, "proxy.contoso.com:8080", "the product's reader takes 0x28 as well");
    // WOW6432Node twin written too (64-bit host)
    const wow = await run(h, 'reg query "HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections" /v WinHttpSettings');
    assert.deepEqual(parseRegQueryBinary(wow.stdout), blob);
  });

  test("tagged form, per-scheme servers, (none) bypass, keyword prefixes", async () => {
    const h = host("win2008");
    const r = await run(h, 'netsh WINHTTP set proxy proxy-server="http=myproxy;https=sproxy:88"');
    assert.match(r.stdout, /Proxy Server\(s\) : {2}http=myproxy;https=sproxy:88\r\n {4}Bypass List {5}: {2}\(none\)\r\n/);
    const show = await run(h, "netsh winhttp sh pr");
    assert.equal(show.stdout, r.stdout);
  });

  test("reset and import round trips through the stored blob, counter increments each time", async () => {
    const h = host("win2008r2");
    await run(h, "netsh winhttp set proxy p1:3128");
    assert.equal(h.winHttpProxy.counter, 1);
    const reset = await run(h, "netsh winhttp reset proxy");
    assert.match(reset.stdout, /Direct access \(no proxy server\)\./);
    assert.equal(h.winHttpProxy.counter, 2);
    assert.equal(h.winHttpProxy.accessType, "direct");
    h.setIeProxy({ enabled: true, proxyServer: "ieproxy:8080", bypassList: "<local>;*.corp" });
    const imp = await run(h, "netsh winhttp import proxy source=ie");
    assert.match(imp.stdout, /Proxy Server\(s\) : {2}ieproxy:8080\r\n {4}Bypass List {5}: {2}<local>;\*\.corp\r\n/);
    assert.deepEqual(decodeWinHttpSettings(h.winHttpSettingsBlob() ?? Buffer.alloc(0)), {
      version: 0x18,
      counter: 3,
      flags: 3,
      accessType: "proxy",
      proxyServer: "ieproxy:8080",
      bypassList: "<local>;*.corp",
    });
    h.setIeProxy({ enabled: false, proxyServer: "ieproxy:8080", bypassList: "", autoConfigUrl: "http://wpad/wpad.dat" });
    await run(h, "netsh winhttp import proxy source=ie");
    assert.equal(h.winHttpProxy.accessType, "direct", "PAC / disabled manual proxy imports as direct");
  });

  test("bad usage: set proxy without a server prints usage, exit 1; store unchanged", async () => {
    const h = host("win2019");
    const r = await run(h, "netsh winhttp set proxy");
    assert.equal(r.exitCode, 1);
    assert.match(r.stdout, /^Usage: set proxy \[proxy-server=\]<server name> \[bypass-list=\]<hosts list>\r\n/);
    assert.equal(h.winHttpProxy.counter, 0);
  });

  test("es-ES and it-IT print localized labels; values unchanged", async () => {
    const es = host("win2019", "es-ES");
    assert.equal((await run(es, "netsh winhttp show proxy")).stdout, "\r\nConfiguración actual del proxy de WinHTTP:\r\n\r\n    Acceso directo (sin servidor proxy).\r\n\r\n");
    const it = host("win2008r2", "it-IT");
    const r = await run(it, 'netsh winhttp set proxy Proxy:80 "<local>"');
    assert.equal(r.stdout, "\r\nImpostazioni proxy WinHTTP correnti:\r\n\r\n    Server proxy :  Proxy:80\r\n    Elenco di bypass     :  <local>\r\n\r\n");
  });

  test("Windows 2003 has no winhttp context: localized 'command not found', exit 1", async () => {
    const en = await run(host("win2003r2"), "netsh winhttp show proxy");
    assert.equal(en.stdout, "The following command was not found: winhttp show proxy.\r\n\r\n");
    assert.equal(en.exitCode, 1);
    const es = await run(host("win2003r2", "es-ES"), "netsh winhttp show proxy");
    assert.equal(es.stdout, "No se encontró el siguiente comando: winhttp show proxy.\r\n\r\n");
    const it = await run(host("win2003r2", "it-IT"), "netsh winhttp reset proxy");
    assert.equal(it.stdout, "Impossibile trovare il comando seguente: winhttp reset proxy.\r\n\r\n");
  });
});

describe("proxycfg (XP / 2003)", () => {
  test("show, direct: banner + registry path + 5-space direct line", async () => {
    const r = await run(host("win2003r2"), "proxycfg");
    assert.equal(
      r.stdout,
      "Microsoft (R) WinHTTP Default Proxy Configuration Tool\r\n" +
        "Copyright (c) Microsoft Corporation. All rights reserved.\r\n\r\n" +
        "Current WinHTTP proxy settings under:\r\n" +
        "  HKEY_LOCAL_MACHINE\\\r\n" +
        "    SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections\\\r\n" +
        "      WinHttpSettings :\r\n\r\n" +
        "     Direct access (no proxy server).\r\n",
    );
  });

  test("-p with space-separated per-scheme servers, then -d, through the same blob", async () => {
    const h = host("win2003r2");
    const set = await run(h, 'proxycfg -p "http=a:80 https=b:443" "<local>;*.microsoft.com"');
    assert.equal(set.exitCode, 0);
    assert.match(set.stdout, /Updated proxy settings\r\n/);
    assert.match(set.stdout, /\r\n {4}Proxy Server\(s\) : {2}http=a:80 https=b:443\r\n {4}Bypass List {5}: {2}<local>;\*\.microsoft\.com\r\n$/);
    const q = await run(h, REG_QUERY_WINHTTP_SETTINGS);
    assert.match(q.stdout, /^\r\n! REG\.EXE VERSION 3\.0\r\n/);
    const d = decodeWinHttpSettings(parseRegQueryBinary(q.stdout));
    assert.equal(d.counter, 1);
    assert.equal(d.version, 0x18, "proxycfg writes first field 0x18");
    assert.equal(d.flags, 0x02, "proxycfg -p sets the manual-proxy flag alone");
    assert.equal(sameProxyState(d, { accessType: "proxy", proxyServer: "https=b:443;http=a:80", bypassList: "*.microsoft.com;<local>" }), true);
    await run(h, "proxycfg -d");
    assert.equal(h.winHttpProxy.accessType, "direct");
    assert.equal(h.winHttpProxy.counter, 2);
    assert.equal(h.winHttpSettingsBlob("wow64"), undefined, "the x86 2003 host has no WOW6432Node");
  });

  test("-u imports the manual IE proxy; fails with a PAC-only IE", async () => {
    const h = new EmulatedHost({ profile: "win2003r2", locale: "en-US", ieProxy: { enabled: true, proxyServer: "ie:8080", bypassList: "<local>" } });
    await run(h, "proxycfg -u");
    assert.equal(h.winHttpProxy.proxyServer, "ie:8080");
    h.setIeProxy({ enabled: false, proxyServer: "", bypassList: "", autoConfigUrl: "http://wpad/wpad.dat" });
    const r = await run(h, "proxycfg -u");
    assert.equal(r.exitCode, 1);
    assert.equal(h.winHttpProxy.proxyServer, "ie:8080", "unchanged after the failed import");
  });

  test("-? lists every documented parameter (none, -?, -d, -p, -u, -i); an unknown option prints it and fails", async () => {
    const h = host("win2003r2");
    const help = await run(h, "proxycfg -?");
    assert.equal(help.exitCode, 0);
    assert.ok(help.stdout.startsWith("Microsoft (R) WinHTTP Default Proxy Configuration Tool\r\n"));
    for (const option of ["proxycfg   ", "proxycfg -?", "proxycfg -d", "proxycfg -p <servers> [<bypass>]", "proxycfg -u", "proxycfg -i"]) {
      assert.ok(help.stdout.includes(`\r\n    ${option}`), `usage lists ${option}`);
    }
    const bad = await run(h, "proxycfg -x");
    assert.equal(bad.exitCode, 1);
    assert.equal(bad.stdout, help.stdout);
    assert.equal(h.winHttpProxy.counter, 0, "nothing written");
  });

  test("es-ES output is cp850 on 2003", async () => {
    const h = host("win2003r2", "es-ES");
    const r = await run(h, "proxycfg", 65001);
    assert.match(r.stdout, /\r\n {5}Acceso directo \(sin servidor proxy\)\.\r\n$/);
    assert.ok(r.stdoutBytes.includes(Buffer.from("configuraci\xa2n", "latin1")));
  });

  test("2008 and later: proxycfg is not recognized (9009), localized", async () => {
    const en = await run(host("win2008"), "proxycfg -d");
    assert.equal(en.exitCode, 9009);
    assert.equal(en.stderr, "'proxycfg' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n");
    const it = await run(host("win2019", "it-IT"), "proxycfg");
    assert.equal(it.stderr, '"proxycfg" non è riconosciuto come comando interno o esterno,\r\n un programma eseguibile o un file batch.\r\n');
  });
});

describe("product command lines applied on the emulator read back without drift", () => {
  const desired: WinHttpProxyState = { accessType: "proxy", proxyServer: "http=a.corp:80;https=b.corp:443", bypassList: "<local>;*.corp" };
  for (const [profile, cmd] of [
    ["win2019", netshSetProxyCommand(desired)],
    ["win2008", netshSetProxyCommand(desired)],
    ["win2003r2", proxycfgSetCommand(desired)],
  ] as const) {
    test(`${profile}: ${cmd}`, async () => {
      const h = host(profile, "es-ES");
      assert.equal((await run(h, cmd)).exitCode, 0);
      const q = await run(h, REG_QUERY_WINHTTP_SETTINGS);
      assert.equal(q.exitCode, 0);
      const live = decodeWinHttpSettings(parseRegQueryBinary(q.stdout));
      assert.equal(sameProxyState(live, desired), true);
      assert.equal(sameProxyState(live, PROXY), false);
    });
  }

  test("absent WinHttpSettings: reg query fails (localized), WinHTTP reads direct", async () => {
    const h = new EmulatedHost({ profile: "win2019", locale: "it-IT", winHttp: null });
    const q = await run(h, REG_QUERY_WINHTTP_SETTINGS);
    assert.equal(q.exitCode, 1);
    assert.match(q.stderr, /^ERRORE: /);
    assert.equal(h.winHttpProxy.accessType, "direct");
  });
});
