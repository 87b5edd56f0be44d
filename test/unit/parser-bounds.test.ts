/**
 * Regression tests of issue 9 (points 2, 3, 6) and of the fuzz findings: every parser and matcher a peer or a user
 * feeds is linear, bounded, and refuses with a named WinRMError. The time bounds are the (50 ms for its
 * reproducers) or generous ones where the old code took seconds on the same input.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseConnection } from "../../provider/src/connection.js";
import { ConfigurationError, LimitExceededError, ProtocolError, XmlLimitError, AuthenticationError } from "../../provider/src/errors.js";
import { kerberosUnavailableReason } from "../../provider/src/auth/kerberos/kerberosMechanism.js";
import { parseRegQueryLine } from "../../provider/src/hosts/regQuery.js";
import { tryParseRegQueryBinary } from "../../provider/src/hosts/winhttpSettings.js";
import { cleanPowerShellStderr } from "../../provider/src/shell/powershell.js";
import { parseChallenges } from "../../provider/src/transport/challenges.js";
import { decideProxy, matchesNoProxy } from "../../provider/src/transport/proxyConfig.js";
import {
  globMatch,
  MAX_BYPASS_ENTRIES,
  MAX_BYPASS_ENTRY_LENGTH,
  matchesBypassList,
  parseBypassList,
} from "../../provider/src/transport/bypassList.js";
import { decodeEncryptedBody } from "../../provider/src/wire/multipart.js";
import { normalizeConfigPath, parseConfigDocument } from "../../provider/src/wsman/config.js";
import { RESOURCE_URI, NS } from "../../provider/src/wsman/namespaces.js";
import { parseEnvelope, parseXml, textOf, XML_LIMITS } from "../../provider/src/wsman/parse.js";
import { parseShellCreate } from "../../provider/src/testing/wsman/shell.js";

function ms(f: () => unknown): number {
  const start = performance.now();
  try {
    f();
  } catch {
    // the caller asserts the outcome separately
  }
  return performance.now() - start;
}

const CONN = { endpoint: "https://h.example:5986/wsman", auth: { mechanism: "ntlm", username: "u", password: "p" } };

void describe("reg query parser: one pass over the host's text", () => {
  void test("the issue's reproducer, a line of 4,000 blanks, finishes in under 50 ms", () => {
    const line = " ".repeat(4000) + "x";
    assert.equal(tryParseRegQueryBinary(line), undefined);
    assert.ok(ms(() => tryParseRegQueryBinary(line)) < 50);
    // And 100,000 blanks between real fields still parse, fast.
    const wide = `    WinHttpSettings${" ".repeat(50_000)}REG_BINARY${"\t".repeat(50_000)}1800000000000000010000000000000000000000\r\n`;
    assert.equal(tryParseRegQueryBinary(wide)?.length, 20);
    assert.ok(ms(() => tryParseRegQueryBinary(wide)) < 50);
  });

  void test("value lines split into name, type and data; names may hold blanks; the key line is not indented", () => {
    assert.deepEqual(parseRegQueryLine("    ProxyServer    REG_SZ    http=a:80;https=b:443"), {
      name: "ProxyServer",
      type: "REG_SZ",
      data: "http=a:80;https=b:443",
      indented: true,
    });
    assert.deepEqual(parseRegQueryLine("\tProxy Override\tREG_SZ\t<local> ;*.corp \r"), {
      name: "Proxy Override",
      type: "REG_SZ",
      data: "<local> ;*.corp",
      indented: true,
    });
    assert.deepEqual(parseRegQueryLine("    ProxyEnable    REG_DWORD    0x1"), { name: "ProxyEnable", type: "REG_DWORD", data: "0x1", indented: true });
    assert.deepEqual(parseRegQueryLine("    Empty    REG_BINARY"), { name: "Empty", type: "REG_BINARY", data: "", indented: true });
    assert.equal(parseRegQueryLine("HKEY_CURRENT_USER\\Software\\Microsoft")?.indented, undefined);
    assert.equal(parseRegQueryLine("    REG_SZ    lonely type, no name"), undefined);
    assert.equal(parseRegQueryLine("    Name    REG_sz    lower-case is not a type"), undefined);
  });

  void test("a REG_BINARY with more than one data word is not the value; odd hex is a ProtocolError", () => {
    assert.equal(tryParseRegQueryBinary("    WinHttpSettings    REG_BINARY    18 00\r\n"), undefined);
    assert.throws(() => tryParseRegQueryBinary("    WinHttpSettings    REG_BINARY    180\r\n"), ProtocolError);
  });
});

void describe("bypass list: no regular expressions, bounded entries", () => {
  void test("the issue's reproducer, *a*a*a*a*a*a*a*a*a*a*b against a 48-character host, finishes in under 50 ms", () => {
    const host = "a".repeat(48);
    assert.equal(matchesBypassList(host, 5985, "*a*a*a*a*a*a*a*a*a*a*b"), false);
    assert.ok(ms(() => matchesBypassList(host, 5985, "*a*a*a*a*a*a*a*a*a*a*b")) < 50);
    assert.equal(matchesBypassList(`${host}b`, 5985, "*a*a*a*a*a*a*a*a*a*a*b"), true);
  });

  void test("a 40 KB entry is refused with a ConfigurationError naming proxy.bypass, without echoing the entry", () => {
    const entry = "a".repeat(40_000);
    const check = (e: unknown): boolean => {
      assert.ok(e instanceof ConfigurationError, `got ${String(e)}`);
      assert.equal(e.field, "proxy.bypass");
      assert.match(e.message, /entry 2 is 40000 characters long; an entry is at most 255/);
      assert.ok(!e.message.includes("a".repeat(50)), "the entry is not echoed");
      return true;
    };
    assert.throws(() => matchesBypassList("h", 5985, `<local>;${entry}`), check);
    assert.ok(ms(() => matchesBypassList("h", 5985, entry)) < 50);
    // At configuration time (pulumi preview, CLI flags), not only at connect time.
    assert.throws(() => parseConnection({ ...CONN, proxy: { url: "http://p:3128", bypass: `<local>;${entry}` } }), check);
  });

  void test("the bounds: 255 characters per entry and 1,000 entries are accepted, one more is not", () => {
    assert.equal(parseBypassList("a".repeat(MAX_BYPASS_ENTRY_LENGTH)).length, 1);
    assert.throws(() => parseBypassList("a".repeat(MAX_BYPASS_ENTRY_LENGTH + 1)), ConfigurationError);
    const many = Array.from({ length: MAX_BYPASS_ENTRIES }, (_, i) => `h${i}.example`);
    assert.equal(parseBypassList(many.join(";")).length, MAX_BYPASS_ENTRIES);
    assert.throws(
      () => parseBypassList([...many, "one.more"].join(";")),
      (e: unknown) => e instanceof ConfigurationError && e.field === "proxy.bypass" && /more than 1000 entries/.test(e.message),
    );
  });

  void test("NO_PROXY has the same bounds, naming the variable", () => {
    const many = Array.from({ length: MAX_BYPASS_ENTRIES + 1 }, (_, i) => `h${i}.example`).join(",");
    assert.throws(() => matchesNoProxy("x.example", 443, many, "no_proxy"), (e: unknown) => e instanceof ConfigurationError && e.field === "no_proxy");
    assert.throws(
      () => decideProxy(new URL("https://x.example:5986/wsman"), "env", { HTTPS_PROXY: "http://p:3128", NO_PROXY: "a".repeat(300) }),
      (e: unknown) => e instanceof ConfigurationError && e.field === "NO_PROXY" && !e.message.includes("a".repeat(50)),
    );
    assert.equal(matchesNoProxy("a.example.com", 443, ".example.com, 10.0.0.0/8"), true);
  });

  void test("the worst list within the bounds still matches quickly", () => {
    const worst = Array.from({ length: MAX_BYPASS_ENTRIES }, () => `${"*a".repeat(127)}b`).join(";");
    const host = "a".repeat(253);
    assert.equal(matchesBypassList(host, 5985, worst), false);
    assert.ok(ms(() => matchesBypassList(host, 5985, worst)) < 2000);
  });

  void test("glob semantics: * is any run, dots included; everything else is literal", () => {
    const cases: [string, string, boolean][] = [
      ["*", "", true],
      ["*", "anything.at.all", true],
      ["", "", true],
      ["", "a", false],
      ["a*", "a", true],
      ["*a", "ba", true],
      ["*a", "ab", false],
      ["a*b*c", "abc", true],
      ["a*b*c", "aXbYbZc", true],
      ["a*b*c", "acb", false],
      ["*.corp", "x.y.corp", true],
      ["**", "x", true],
      ["a*a", "a", false],
      ["10.0.0.*", "10.0.0.5", true],
      ["a+b(c)?", "a+b(c)?", true],
      ["a.b", "axb", false],
    ];
    for (const [pattern, value, expected] of cases) assert.equal(globMatch(pattern, value), expected, `${pattern} vs ${value}`);
  });
});

void describe("XML: limits while reading, names are data", () => {
  void test("200,000 sibling elements are refused at once with XmlLimitError (elements)", () => {
    const xml = `<r>${"<a/>".repeat(200_000)}</r>`;
    assert.throws(() => parseXml(xml), (e: unknown) => e instanceof XmlLimitError && e.limit === "elements" && e.code === "WINRM_LIMIT" && e instanceof LimitExceededError);
    assert.ok(ms(() => parseXml(xml)) < 1000);
  });

  void test("1,000,000 character references are refused at once (size), and one over the limit in a small document (references)", () => {
    const million = `<r>${"&#65;".repeat(1_000_000)}</r>`;
    assert.throws(() => parseXml(million), (e: unknown) => e instanceof XmlLimitError && e.limit === "size");
    assert.ok(ms(() => parseXml(million)) < 1000);
    const refs = `<r>${"&#65;".repeat(XML_LIMITS.maxReferences + 1)}</r>`;
    assert.ok(refs.length < XML_LIMITS.maxChars);
    assert.throws(() => parseXml(refs), (e: unknown) => e instanceof XmlLimitError && e.limit === "references");
    // References in attribute values count too.
    assert.throws(() => parseXml(`<r a="${"&amp;".repeat(20)}"/>`, { ...XML_LIMITS, maxReferences: 10 }), XmlLimitError);
    assert.equal(parseXml(`<r>${"&#65;".repeat(1000)}</r>`).text, "A".repeat(1000));
  });

  void test("nesting deeper than the limit is refused; the reader keeps no recursion to overflow", () => {
    const deep = (n: number): string => "<a>".repeat(n) + "</a>".repeat(n);
    assert.equal(parseXml(deep(XML_LIMITS.maxDepth)).local, "a");
    assert.throws(() => parseXml(deep(XML_LIMITS.maxDepth + 1)), (e: unknown) => e instanceof XmlLimitError && e.limit === "depth");
    assert.throws(() => parseXml(deep(100_000)), XmlLimitError);
  });

  void test("a document over the size limit is refused before reading", () => {
    assert.throws(() => parseXml(`<r>${"x".repeat(100)}</r>`, { ...XML_LIMITS, maxChars: 50 }), (e: unknown) => e instanceof XmlLimitError && e.limit === "size");
  });

  void test("a config document with __proto__ and constructor elements: keys of a null-prototype tree", () => {
    const xml =
      `<cfg:Service xmlns:cfg="${RESOURCE_URI.configService}"><cfg:__proto__><cfg:polluted>yes</cfg:polluted></cfg:__proto__>` +
      `<cfg:constructor>x</cfg:constructor><cfg:hasOwnProperty>y</cfg:hasOwnProperty></cfg:Service>`;
    const { tree } = parseConfigDocument(parseXml(xml));
    assert.equal(Object.getPrototypeOf(tree), null);
    assert.deepEqual(Object.keys(tree), ["__proto__", "constructor", "hasOwnProperty"]);
    assert.equal((tree as Record<string, unknown>).polluted, undefined, "no inherited keys");
    assert.equal(tree.constructor, "x");
    assert.equal(Object.getPrototypeOf(tree.__proto__), null);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, "Object.prototype untouched");
  });

  void test("unprefixed elements and attributes named like Object.prototype members parse as data", () => {
    const el = parseXml(`<constructor prototype="1" __proto__="2"><__proto__/><toString/></constructor>`);
    assert.equal(el.local, "constructor");
    assert.deepEqual([...el.attrs], [["prototype", "1"], ["__proto__", "2"]]);
    assert.deepEqual(el.children.map((c) => c.local), ["__proto__", "toString"]);
  });

  void test("selectors, options and shell variables named __proto__ are data", () => {
    const xml =
      `<s:Envelope xmlns:s="${NS.s}" xmlns:w="${NS.w}" xmlns:rsp="${NS.rsp}"><s:Header>` +
      `<w:SelectorSet><w:Selector Name="__proto__">S1</w:Selector></w:SelectorSet>` +
      `<w:OptionSet><w:Option Name="constructor">o</w:Option></w:OptionSet></s:Header>` +
      `<s:Body><rsp:Shell><rsp:Environment><rsp:Variable Name="__proto__">v</rsp:Variable></rsp:Environment></rsp:Shell></s:Body></s:Envelope>`;
    const env = parseEnvelope(xml);
    assert.equal(Object.getPrototypeOf(env.selectors), null);
    assert.equal(env.selectors.__proto__, "S1");
    assert.equal(env.options.constructor, "o");
    const shell = parseShellCreate(env);
    assert.equal(Object.getPrototypeOf(shell.env), null);
    assert.equal(shell.env.__proto__, "v");
  });

  void test("malformed documents are ProtocolErrors", () => {
    for (const bad of [
      "",
      "   ",
      "text",
      "<a>",
      "<a></b>",
      "<a/><b/>",
      "<a/>trailing",
      "<a b='1' b='2'/>",
      "<a b='<'/>",
      "<a b=1/>",
      "<a>&unknown;</a>",
      "<a>&#xZZ;</a>",
      "<a>&#1114112;</a>",
      "<a>& b</a>",
      "<a><!-- open</a>",
      "<a><![CDATA[open</a>",
      '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>',
      "<a><!ELEMENT x ANY></a>",
      "<p:a/>",
      "<a p:b='1'/>",
    ]) {
      assert.throws(() => parseXml(bad), ProtocolError, JSON.stringify(bad));
    }
  });

  void test("what the reader accepts: declaration, comments, PIs, CDATA, references, both quotes, BOM", () => {
    const el = parseXml(`\uFEFF<?xml version="1.0" encoding="utf-8"?><!-- c --><r a='x"y' b="&lt;&#x41;&#66;"><?pi x?>t<![CDATA[<&amp;>]]><!-- d --><k/></r>\r\n<!-- after -->`);
    assert.equal(el.attrs.get("a"), 'x"y');
    assert.equal(el.attrs.get("b"), "<AB");
    assert.equal(el.text, "t<&amp;>");
    assert.equal(el.children.length, 1);
  });
});

void describe("other regular expressions that were quadratic on peer data", () => {
  void test("trimming element text: 20,000 blanks before and after (was /^\\s+|\\s+$/g)", () => {
    const text = `${" ".repeat(20_000)}x${" ".repeat(20_000)}y`;
    assert.equal(textOf({ ns: "", local: "r", attrs: new Map(), children: [], text }), text.trim());
    assert.ok(ms(() => textOf({ ns: "", local: "r", attrs: new Map(), children: [], text })) < 1000);
  });

  void test("multipart/encrypted part header: 40,000 blanks and no line end (the sticky header expression)", () => {
    const body = Buffer.from(`--Encrypted Boundary\r\n\tContent-Type:${" ".repeat(40_000)}`, "latin1");
    const ct = 'multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"';
    assert.throws(() => decodeEncryptedBody(ct, body), ProtocolError);
    assert.ok(ms(() => decodeEncryptedBody(ct, body)) < 1000);
    // A boundary longer than RFC 2046's 70 characters is refused before any search for it.
    assert.throws(() => decodeEncryptedBody(`multipart/encrypted;protocol="p";boundary="${"b".repeat(71)}"`, body), ProtocolError);
  });

  void test("challenge header: a scheme, 20,000 blanks, a word and a line break (was /^(token)(?:\\s+(.*))?$/)", () => {
    const value = `Negotiate${" ".repeat(20_000)}x\ny`;
    assert.deepEqual(parseChallenges(value), []);
    assert.ok(ms(() => parseChallenges(value)) < 1000);
    assert.deepEqual(parseChallenges('Basic realm="a", charset="UTF-8", NTLM abc=='), [
      { scheme: "Basic", rest: 'realm="a", charset="UTF-8"' },
      { scheme: "NTLM", rest: "abc==" },
    ]);
  });

  void test("CLIXML stderr: 8,000 opening tags without a closing one (was a lazy /<S S=\"Error\">([\\s\\S]*?)<\\/S>/g)", () => {
    const stderr = `#< CLIXML\r\n${'<S S="Error">'.repeat(8000)}`;
    assert.equal(cleanPowerShellStderr(stderr), "");
    assert.ok(ms(() => cleanPowerShellStderr(stderr)) < 1000);
    assert.equal(cleanPowerShellStderr('#< CLIXML\r\n<Objs><S S="Error">a_x000D__x000A_</S><S S="Info">no</S><S S="Error">&lt;b&gt;</S></Objs>'), "a\r\n<b>");
  });

  void test("krb5 messages: 4,000 \"Server \" words (was /Server .* not found in Kerberos database/i)", () => {
    const reason = (text: string): string | undefined =>
      kerberosUnavailableReason(new AuthenticationError("kerberos", "AP-REQ", "failed", { cause: new Error(text) }));
    const text = "Server ".repeat(4000);
    assert.equal(reason(text), undefined);
    assert.ok(ms(() => reason(text)) < 1000);
    assert.equal(reason("Server HTTP/h@EXAMPLE.TEST not found in Kerberos database"), "the KDC does not know the service principal");
    assert.equal(reason("Client alice@EXAMPLE.TEST not found in Kerberos database"), "the KDC does not know the user");
    assert.equal(reason("Server x\nnot found in Kerberos database"), undefined, "one line, as `.` never crossed a line end");
  });

  void test("config path: 40,000 trailing slashes (was /\\/+$/)", () => {
    const path = `winrm/config/service${"/".repeat(40_000)}`;
    assert.equal(normalizeConfigPath(path), "winrm/config/service");
    assert.equal(normalizeConfigPath(`${"/".repeat(40_000)}x`), undefined);
    assert.ok(ms(() => normalizeConfigPath(`${"/".repeat(40_000)}x`)) < 1000);
  });
});
