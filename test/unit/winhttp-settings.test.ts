import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ConfigurationError, ProtocolError } from "../../provider/src/errors.js";
import {
  decodeWinHttpSettings,
  netshSetProxyCommand,
  normalizeBypassList,
  normalizeProxyServer,
  parseRegQueryBinary,
  proxycfgSetCommand,
  sameProxyState,
  tryParseRegQueryBinary,
  type WinHttpProxyState,
} from "../../provider/src/hosts/winhttpSettings.js";
import { encodeWinHttpSettings } from "../../provider/src/testing/host/winhttpSettingsWriter.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

// provider/src/hosts/winhttpSettings.ts
const DIRECT_VECTOR = hex("18000000 00000000 01000000 00000000 00000000");
const PROXY_VECTOR = hex(
  "18000000 01000000 03000000 16000000 70726f78792e636f6e746f736f2e636f6d3a38303830" +
    "17000000 6c6f63616c686f73743b2a2e636f6e746f736f2e636f6d",
);
const DIRECT: WinHttpProxyState = { accessType: "direct", proxyServer: "", bypassList: "" };

describe("WinHttpSettings blob codec (provider/src/hosts/winhttpSettings.ts)", () => {
  test("direct access encodes to the exact 20-byte KB4494447 value", () => {
    const b = encodeWinHttpSettings(DIRECT, 0);
    assert.equal(b.length, 20);
    assert.deepEqual(b, DIRECT_VECTOR);
  });

  test("the 65-byte proxy vector, both directions", () => {
    assert.equal(PROXY_VECTOR.length, 65);
    const state: WinHttpProxyState = { accessType: "proxy", proxyServer: "proxy.contoso.com:8080", bypassList: "localhost;*.contoso.com" };
    assert.deepEqual(encodeWinHttpSettings(state, 1), PROXY_VECTOR);
    assert.deepEqual(decodeWinHttpSettings(PROXY_VECTOR), { ...state, counter: 1, flags: 3, version: 0x18 });
  });

  test("decoding the direct vector", () => {
    assert.deepEqual(decodeWinHttpSettings(DIRECT_VECTOR), { ...DIRECT, counter: 0, flags: 1, version: 0x18 });
  });

  test("the counter field is written as given", () => {
    const b = encodeWinHttpSettings(DIRECT, 0x01020304);
    assert.equal(b.readUInt32LE(4), 0x01020304);
    assert.throws(() => encodeWinHttpSettings(DIRECT, -1), ConfigurationError);
  });

  test("lengths are trusted, not the total size: trailing padding is ignored", () => {
    const padded = Buffer.concat([PROXY_VECTOR, Buffer.alloc(32)]);
    assert.equal(decodeWinHttpSettings(padded).proxyServer, "proxy.contoso.com:8080");
  });

  test("direct flag with auto-detect (0x09) reads as direct, even with a stale proxy string", () => {
    const b = Buffer.from(PROXY_VECTOR);
    b.writeUInt32LE(0x09, 8);
    const d = decodeWinHttpSettings(b);
    assert.equal(d.accessType, "direct");
    assert.equal(d.proxyServer, "");
    assert.equal(d.flags, 9);
  });

  test("a length past the end is a ProtocolError", () => {
    assert.throws(() => decodeWinHttpSettings(PROXY_VECTOR.subarray(0, 30)), ProtocolError);
    assert.throws(() => decodeWinHttpSettings(Buffer.alloc(8)), ProtocolError);
  });

  test("non-ASCII host names are refused (punycode expected)", () => {
    assert.throws(
      () => encodeWinHttpSettings({ accessType: "proxy", proxyServer: "prøxy:80", bypassList: "" }, 1),
      ConfigurationError,
    );
    assert.throws(() => encodeWinHttpSettings({ accessType: "proxy", proxyServer: " ", bypassList: "" }, 1), ConfigurationError);
  });
});

describe("reg query parsing (locale independent)", () => {
  const vista =
    "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections\r\n" +
    "    WinHttpSettings    REG_BINARY    1800000000000000010000000000000000000000\r\n\r\n";
  const xp =
    "\r\n! REG.EXE VERSION 3.0\r\n\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections\r\n" +
    `    WinHttpSettings\tREG_BINARY\t${PROXY_VECTOR.toString("hex").toUpperCase()}\r\n\r\n`;

  test("Vista+ layout (spaces)", () => {
    assert.deepEqual(parseRegQueryBinary(vista), DIRECT_VECTOR);
  });

  test("REG.EXE 3.0 layout (tabs, upper-case hex)", () => {
    assert.deepEqual(parseRegQueryBinary(xp), PROXY_VECTOR);
  });

  test("surrounding localized text does not matter; other values are skipped", () => {
    const out =
      "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections\r\n" +
      "    SavedLegacySettings    REG_BINARY    4600000001000000\r\n" +
      "    WinHttpSettings    REG_BINARY    1800000000000000010000000000000000000000\r\n\r\n" +
      "La operación se completó correctamente.\r\n";
    assert.deepEqual(parseRegQueryBinary(out), DIRECT_VECTOR);
  });

  test("missing value: undefined / ProtocolError; odd hex: ProtocolError", () => {
    const err = "ERROR: El sistema no pudo encontrar la clave o el valor del Registro especificados.\r\n";
    assert.equal(tryParseRegQueryBinary(err), undefined);
    assert.throws(() => parseRegQueryBinary(err), ProtocolError);
    assert.throws(() => parseRegQueryBinary("    WinHttpSettings    REG_BINARY    180\r\n"), ProtocolError);
  });

  test("an empty REG_BINARY is an empty buffer", () => {
    assert.equal(parseRegQueryBinary("    WinHttpSettings    REG_BINARY    \r\n").length, 0);
  });
});

describe("normalisation: no false drift", () => {
  test("proxy server: case, separators, per-scheme order, http:// prefix", () => {
    assert.equal(normalizeProxyServer("Proxy.Contoso.COM:8080"), "proxy.contoso.com:8080");
    assert.equal(normalizeProxyServer("http://proxy:8080"), "proxy:8080");
    assert.equal(normalizeProxyServer("HTTPS=b:443 http=a:80"), "http=a:80;https=b:443");
    assert.equal(normalizeProxyServer("http=a:80;https=b:443"), normalizeProxyServer(" https=b:443 ;  HTTP=A:80 "));
    assert.equal(normalizeProxyServer(""), "");
  });

  test("bypass list: case, order, whitespace, duplicates, ; vs space", () => {
    assert.equal(normalizeBypassList("<local>; *.Contoso.com  10.*"), "*.contoso.com;10.*;<local>");
    assert.equal(normalizeBypassList("*.contoso.com;<LOCAL>;*.contoso.com"), normalizeBypassList("<local> *.CONTOSO.com"));
  });

  test("sameProxyState: proxycfg's stored form equals netsh's", () => {
    const proxycfgStored: WinHttpProxyState = { accessType: "proxy", proxyServer: "http=a:80 https=b:443", bypassList: "<local> *.ms.com" };
    const desired: WinHttpProxyState = { accessType: "proxy", proxyServer: "https=B:443;http=a:80", bypassList: "*.MS.com;<local>" };
    assert.equal(sameProxyState(proxycfgStored, desired), true);
  });

  test("sameProxyState: real differences are drift", () => {
    const a: WinHttpProxyState = { accessType: "proxy", proxyServer: "proxy:8080", bypassList: "<local>" };
    assert.equal(sameProxyState(a, { ...a, proxyServer: "proxy:8081" }), false);
    assert.equal(sameProxyState(a, { ...a, bypassList: "<local>;*.corp" }), false);
    assert.equal(sameProxyState(a, DIRECT), false);
    assert.equal(sameProxyState(DIRECT, { accessType: "direct", proxyServer: "ignored", bypassList: "x" }), true);
  });
});

describe("command lines for the two tools", () => {
  const state: WinHttpProxyState = { accessType: "proxy", proxyServer: "http=a:80 https=b:443", bypassList: "<local> *.ms.com" };

  test("netsh uses ; everywhere and quotes the values", () => {
    assert.equal(
      netshSetProxyCommand(state),
      'netsh winhttp set proxy proxy-server="http=a:80;https=b:443" bypass-list="<local>;*.ms.com"',
    );
    assert.equal(netshSetProxyCommand(DIRECT), "netsh winhttp reset proxy");
    assert.equal(netshSetProxyCommand({ ...state, bypassList: "" }), 'netsh winhttp set proxy proxy-server="http=a:80;https=b:443"');
  });

  test("proxycfg separates per-scheme servers with spaces", () => {
    assert.equal(proxycfgSetCommand(state), 'proxycfg -p "http=a:80 https=b:443" "<local>;*.ms.com"');
    assert.equal(proxycfgSetCommand(DIRECT), "proxycfg -d");
  });

  test("quotes and % in values are refused (they would break the cmd line)", () => {
    assert.throws(() => netshSetProxyCommand({ ...state, bypassList: 'a" & calc' }), ConfigurationError);
    assert.throws(() => proxycfgSetCommand({ ...state, proxyServer: "%PATH%" }), ConfigurationError);
  });
});

void describe("decodeWinHttpSettings: either first field", () => {
  // Windows writes 0x18 (the shipped value, proxycfg, older netsh) or 0x28 (netsh on Windows 10 / Server 2016 and
  // later): provider/src/testing/host/winhttpSettingsWriter.ts. The reader takes the layout from the lengths, never
  // from that field.
  for (const version of [0x18, 0x28]) {
    void test(`version 0x${version.toString(16)}: a manual proxy with a bypass list`, () => {
      const blob = encodeWinHttpSettings({ accessType: "proxy", proxyServer: "proxy.example:3128", bypassList: "<local>" }, 7);
      blob.writeUInt32LE(version, 0);
      const d = decodeWinHttpSettings(blob);
      assert.equal(d.version, version);
      assert.equal(d.counter, 7);
      assert.equal(d.accessType, "proxy");
      assert.equal(d.proxyServer, "proxy.example:3128");
      assert.equal(d.bypassList, "<local>");
    });
  }
});
