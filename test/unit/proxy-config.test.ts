import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseConnection, type ConnectionInput } from "../../provider/src/connection.js";
import { ConfigurationError } from "../../provider/src/errors.js";
import {
  decideProxy,
  matchesBypassList,
  matchesNoProxy,
  resolveProxy,
} from "../../provider/src/transport/proxyConfig.js";

const SECRET = "Pr0xy-SECRET-pw";
const base: ConnectionInput = { endpoint: "https://win.corp.example:5986/wsman", auth: { username: "u", password: "p" } };

function proxyOf(input: ConnectionInput["proxy"]) {
  return parseConnection({ ...base, proxy: input }).proxy;
}

function failsWith(proxy: unknown, field: string, pattern: RegExp): void {
  assert.throws(
    () => parseConnection({ ...base, proxy }),
    (e: unknown) =>
      e instanceof ConfigurationError &&
      e.field === field &&
      pattern.test(e.message) &&
      !e.message.includes(SECRET),
  );
}

describe("Connection.proxy", () => {
  test("defaults: none; an object gets auth none and mode auto, the URL normalised", () => {
    assert.equal(parseConnection(base).proxy, "none");
    assert.equal(proxyOf("env"), "env");
    assert.deepEqual(proxyOf({ url: "http://Proxy.Example:3128" }), { url: "http://proxy.example:3128/", auth: "none", mode: "auto" });
    assert.deepEqual(
      proxyOf({ url: "http://p:8080", auth: "ntlm", username: "D\\bob", password: SECRET, mode: "tunnel", bypass: "<local>" }),
      { url: "http://p:8080/", auth: "ntlm", username: "D\\bob", password: SECRET, mode: "tunnel", bypass: "<local>" },
    );
  });

  test("field-and-fix errors, never echoing the value", () => {
    failsWith({ url: `http://bob:${SECRET}@p:3128` }, "proxy.url", /must not contain credentials/);
    // https:// proxies are accepted (TLS to the proxy, test/integration/proxy-https.test.ts); other schemes are not.
    failsWith({ url: "ftp://p:3128" }, "proxy.url", /http:\/\/, https:\/\/, socks5:\/\/ or socks5h:\/\/ proxy/);
    failsWith({ url: `https://bob:${SECRET}@p:443` }, "proxy.url", /must not contain credentials/);
    // SOCKS5 is accepted (transport/socks5.ts); SOCKS4 is not.
    failsWith({ url: "socks4://p:1080" }, "proxy.url", /socks5:\/\//);
    failsWith({ url: "http://p:3128/path" }, "proxy.url", /path/);
    failsWith({ url: "not a url" }, "proxy.url", /not a URL/);
    failsWith({ url: "http://p:3128", auth: "basic", password: SECRET }, "proxy.username", /required/);
    failsWith({ url: "http://p:3128", auth: "basic", username: "bob" }, "proxy.password", /required/);
    failsWith({ url: "http://p:3128", username: "bob", password: SECRET }, "proxy.auth", /"none" but proxy credentials/);
    failsWith({ url: "http://p:3128", auth: "digest" }, "proxy.auth", /none, basic, negotiate, ntlm, kerberos/);
    failsWith({ auth: "basic" }, "proxy.url", /is required/);
  });
});

describe("resolveProxy: configuration", () => {
  const https = new URL("https://win.corp.example:5986/wsman");
  test("none is direct; an object is used unless its bypass list matches", () => {
    assert.equal(resolveProxy(https, "none", {}), undefined);
    const p = resolveProxy(https, proxyOf({ url: "http://p:3128", auth: "basic", username: "bob", password: SECRET }), {});
    assert.equal(p?.url.href, "http://p:3128/");
    assert.equal(p?.source, "config");
    assert.equal(p?.mode, "auto");
    assert.deepEqual(p?.credentials, { username: "bob", password: SECRET });
    assert.deepEqual(decideProxy(https, proxyOf({ url: "http://p:3128", bypass: "*.corp.example" }), {}), {
      proxy: undefined,
      bypassed: "bypass",
    });
  });
});

describe("resolveProxy: environment, as curl reads it", () => {
  const https = new URL("https://win.corp.example:5986/wsman");
  const http = new URL("http://win.corp.example:5985/wsman");
  const at = (u: URL, env: NodeJS.ProcessEnv) => resolveProxy(u, "env", env)?.url.href;

  test("HTTPS_PROXY for https://, HTTP_PROXY for http://, ALL_PROXY as the fallback", () => {
    const env = { HTTPS_PROXY: "http://s:1", HTTP_PROXY: "http://h:2", ALL_PROXY: "http://a:3" };
    assert.equal(at(https, env), "http://s:1/");
    assert.equal(at(http, env), "http://h:2/");
    assert.equal(at(https, { ALL_PROXY: "http://a:3" }), "http://a:3/");
    assert.equal(at(http, { HTTPS_PROXY: "http://s:1" }), undefined);
    assert.equal(at(https, {}), undefined);
    assert.equal(at(https, { HTTPS_PROXY: "" }), undefined);
  });

  test("lower case wins over upper case", () => {
    assert.equal(at(https, { https_proxy: "http://lower:1", HTTPS_PROXY: "http://upper:1" }), "http://lower:1/");
    assert.equal(at(http, { http_proxy: "http://lower:1", HTTP_PROXY: "http://upper:1" }), "http://lower:1/");
    assert.equal(at(http, { all_proxy: "http://lower:1", ALL_PROXY: "http://upper:1" }), "http://lower:1/");
    assert.equal(at(https, { HTTPS_PROXY: "http://p:1", no_proxy: "other.example", NO_PROXY: "corp.example" }), "http://p:1/");
    assert.equal(at(https, { HTTPS_PROXY: "http://p:1", NO_PROXY: "corp.example" }), undefined);
    assert.equal(at(https, { HTTPS_PROXY: "http://p:1", no_proxy: "corp.example" }), undefined);
  });

  test("a scheme-less value is an http proxy; userinfo becomes Basic credentials and leaves the URL", () => {
    assert.equal(at(https, { HTTPS_PROXY: "p.example:3128" }), "http://p.example:3128/");
    const p = resolveProxy(https, "env", { https_proxy: `http://bob:${encodeURIComponent(SECRET)}@p:3128` });
    assert.equal(p?.url.href, "http://p:3128/");
    assert.equal(p?.auth, "basic");
    assert.equal(p?.field, "https_proxy");
    assert.deepEqual(p?.credentials, { username: "bob", password: SECRET });
    assert.equal(resolveProxy(https, "env", { HTTPS_PROXY: "http://p:3128" })?.auth, "none");
  });

  test("an unusable proxy variable is a ConfigurationError naming the variable, without its value", () => {
    assert.throws(
      () => resolveProxy(https, "env", { HTTPS_PROXY: `socks4://bob:${SECRET}@p:1080` }),
      (e: unknown) => e instanceof ConfigurationError && e.field === "HTTPS_PROXY" && !e.message.includes(SECRET),
    );
  });
});

describe("matchesNoProxy (curl semantics)", () => {
  const cases: [string, number, string, boolean][] = [
    ["anything.example", 443, "*", true],
    ["example.com", 443, "example.com", true],
    ["a.b.example.com", 443, "example.com", true],
    ["badexample.com", 443, "example.com", false],
    ["a.example.com", 443, ".example.com", true],
    ["example.com", 443, ".example.com", true],
    ["a.example.com", 443, "*.example.com", true],
    ["A.Example.COM", 443, "example.com", true],
    ["example.com.", 443, "example.com", true],
    ["h.example", 5986, "other.example, h.example", true],
    ["h.example", 5986, "other.example h.example", true],
    ["h.example", 5986, "h.example:5985", false],
    ["h.example", 5985, "h.example:5985", true],
    ["10.1.2.3", 5985, "10.1.2.3", true],
    ["10.1.2.3", 5985, "10.1.2.4", false],
    ["10.1.2.3", 5985, "10.0.0.0/8", true],
    ["11.1.2.3", 5985, "10.0.0.0/8", false],
    ["10.1.2.3", 5985, "2.3", false],
    ["[::1]", 5985, "::1", true],
    ["[2001:db8::5]", 5985, "2001:db8::/32", true],
    ["[2001:db9::5]", 5985, "2001:db8::/32", false],
    ["h.example", 443, "", false],
  ];
  for (const [host, port, list, expected] of cases) {
    test(`${host}:${port} vs "${list}" -> ${expected}`, () => {
      assert.equal(matchesNoProxy(host, port, list), expected);
    });
  }
});

describe("matchesBypassList (WinHTTP semantics)", () => {
  const cases: [string, number, string, boolean][] = [
    ["winhost", 5985, "<local>", true],
    ["localhost", 5985, "<local>", true],
    ["win.corp.example", 5985, "<local>", false],
    ["127.0.0.1", 5985, "<local>", false],
    ["a.corp.example", 5986, "*.corp.example", true],
    ["A.CORP.example", 5986, "*.Corp.Example", true],
    ["corp.example", 5986, "*.corp.example", false],
    ["a.corp.example.evil", 5986, "*.corp.example", false],
    ["10.0.0.5", 5985, "10.0.0.*", true],
    ["10.0.1.5", 5985, "10.0.0.*", false],
    ["h.example", 5985, "h.example:5985", true],
    ["h.example", 5986, "h.example:5985", false],
    ["h.example", 5986, "x.example;h.example", true],
    ["h.example", 5986, "x.example h.example", true],
    ["h.example", 5986, "x.example;  ;<local>", false],
    ["web.example", 443, "http://web.example", true],
    ["h.example", 5986, "", false],
  ];
  for (const [host, port, list, expected] of cases) {
    test(`${host}:${port} vs "${list}" -> ${expected}`, () => {
      assert.equal(matchesBypassList(host, port, list), expected);
    });
  }
});
