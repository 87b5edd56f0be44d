import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseConnection, type ConnectionInput } from "../../provider/src/connection.js";
import {
  checkPolicy,
  RULE_NO_CLEARTEXT_OVER_HTTP,
  RULE_PROXY_AUTH_NEEDS_HTTPS,
} from "../../provider/src/transport/policy.js";
import { InsecureProxyPathError } from "../../provider/src/errors.js";
import { createProxyMechanism } from "../../provider/src/auth/index.js";

const SECRET = "Pr0xy-SECRET-pw";
const HTTP = "http://h:5985/wsman";
const HTTPS = "https://h:5986/wsman";

function conn(endpoint: string, proxy: ConnectionInput["proxy"], extra: Partial<ConnectionInput> = {}): ConnectionInput {
  return { endpoint, auth: { mechanism: "negotiate", username: "u", password: "p" }, proxy, ...extra };
}
const plan = (c: ConnectionInput, env: NodeJS.ProcessEnv = {}) => checkPolicy(parseConnection(c), { env });
const authed = (auth: "basic" | "negotiate" | "ntlm", mode?: "auto" | "tunnel" | "forward") => ({
  url: "http://p:3128",
  auth,
  username: "bob",
  password: SECRET,
  ...(mode !== undefined ? { mode } : {}),
});

function refused(c: ConnectionInput, rule: string, field: string, env: NodeJS.ProcessEnv = {}): void {
  assert.throws(
    () => plan(c, env),
    (e: unknown) =>
      e instanceof InsecureProxyPathError &&
      e.rule === rule &&
      e.field === field &&
      e.message.includes(rule) &&
      /fix: /.test(e.message) &&
      /https:\/\//.test(e.message) &&
      !e.message.includes(SECRET),
  );
}

describe("proxy policy: rule 2 (proxy authentication requires an https:// endpoint)", () => {
  for (const auth of ["basic", "negotiate", "ntlm"] as const) {
    for (const mode of ["auto", "tunnel", "forward"] as const) {
      test(`proxy.auth ${auth}, mode ${mode}, http:// endpoint: refused`, () => {
        refused(conn(HTTP, authed(auth, mode)), RULE_PROXY_AUTH_NEEDS_HTTPS, "proxy.auth");
      });
    }
    test(`proxy.auth ${auth} with an https:// endpoint: allowed, credentials kept for the proxy`, () => {
      const p = plan(conn(HTTPS, authed(auth)));
      assert.equal(p.proxy?.auth, auth);
      assert.deepEqual(p.proxy?.credentials, { username: "bob", password: SECRET });
      assert.equal(p.encrypt, false);
    });
  }

  test("credentials in HTTP_PROXY with an http:// endpoint: refused, naming the variable", () => {
    refused(conn(HTTP, "env"), RULE_PROXY_AUTH_NEEDS_HTTPS, "HTTP_PROXY", {
      HTTP_PROXY: `http://bob:${SECRET}@p:3128`,
    });
    refused(conn(HTTP, "env"), RULE_PROXY_AUTH_NEEDS_HTTPS, "http_proxy", { http_proxy: `http://bob:${SECRET}@p:3128` });
  });

  test("an anonymous proxy with an http:// endpoint is fine: sealed NTLM through it", () => {
    const p = plan(conn(HTTP, { url: "http://p:3128" }));
    assert.equal(p.encrypt, true);
    assert.equal(p.proxy?.mode, "auto");
    assert.equal(p.proxy?.auth, "none");
  });

  test("a bypassed endpoint goes direct, so proxy credentials do not matter to it", () => {
    const p = plan(conn(HTTP, { ...authed("basic"), bypass: "h" }));
    assert.equal(p.proxy, undefined);
    assert.equal(p.bypassed, "bypass");
  });
});

describe("proxy policy: rule 5 (no unencrypted WinRM message over HTTP) holds through a proxy", () => {
  test("Basic to the host over http:// through an anonymous proxy: refused", () => {
    refused(
      { endpoint: HTTP, auth: { mechanism: "basic", username: "u", password: "p" }, proxy: { url: "http://p:3128" } },
      RULE_NO_CLEARTEXT_OVER_HTTP,
      "auth.mechanism",
    );
  });
  test("messageEncryption never over http:// through a proxy: refused", () => {
    refused(conn(HTTP, { url: "http://p:3128" }, { messageEncryption: "never" }), RULE_NO_CLEARTEXT_OVER_HTTP, "messageEncryption");
  });
  test("forward mode for an https:// endpoint would let the proxy see the messages: refused", () => {
    refused(conn(HTTPS, { url: "http://p:3128", mode: "forward" }), RULE_NO_CLEARTEXT_OVER_HTTP, "proxy.mode");
  });
});

describe("proxy mechanisms", () => {
  const url = new URL("http://proxy.corp.example:3128");
  const settings = (auth: "basic" | "negotiate" | "ntlm") => ({ auth, url, credentials: { username: "D\\bob", password: SECRET } });

  test("NTLM runs under the scheme the proxy offers, preferring the configured one", () => {
    assert.equal(createProxyMechanism(settings("ntlm"), ["Negotiate", "NTLM", "Basic"])?.scheme, "NTLM");
    assert.equal(createProxyMechanism(settings("negotiate"), ["Negotiate", "NTLM"])?.scheme, "Negotiate");
    assert.equal(createProxyMechanism(settings("negotiate"), ["NTLM"])?.scheme, "NTLM");
    assert.equal(createProxyMechanism(settings("ntlm"), ["negotiate"])?.scheme, "Negotiate");
    assert.equal(createProxyMechanism(settings("ntlm"), ["Basic"]), undefined);
  });

  test("Basic only when offered", () => {
    assert.equal(createProxyMechanism(settings("basic"), ["Basic"])?.name, "basic");
    assert.equal(createProxyMechanism(settings("basic"), ["NTLM"]), undefined);
  });

  test("kerberos proxy auth passes the policy over https:// (ticket cache allowed) and is refused for http://", () => {
    assert.equal(plan(conn(HTTPS, { url: "http://p:3128", auth: "kerberos", username: "bob", password: SECRET })).proxy?.auth, "kerberos");
    assert.equal(plan(conn(HTTPS, { url: "http://p:3128", auth: "kerberos" })).proxy?.auth, "kerberos");
    refused(conn(HTTP, { url: "http://p:3128", auth: "kerberos" }), RULE_PROXY_AUTH_NEEDS_HTTPS, "proxy.auth");
  });

  test("negotiate to a proxy prefers Kerberos (SPNEGO) when offered Negotiate; NTLM when the proxy is an IP address", () => {
    const byName = createProxyMechanism(settings("negotiate"), ["Negotiate", "NTLM"]);
    assert.equal(byName?.scheme, "Negotiate");
    assert.equal(byName?.name, "negotiate", "undecided until the first step");
    const ip = createProxyMechanism({ ...settings("negotiate"), url: new URL("http://127.0.0.1:3128") }, ["NTLM"]);
    assert.equal(ip?.name, "ntlm");
  });
});

describe("proxy NTLM against squid's ntlm_fake_auth CHALLENGE", () => {
  // Captured from Debian squid 5.7 + ntlm_fake_auth: a 40-byte header (no TargetInfo descriptor, NEGOTIATE_TARGET_INFO
  // not set), an uninitialised TargetName offset (0xaaaaaaae), then "WORKGROUP".
  const FAKE_CHALLENGE = Buffer.from(
    "4e544c4d535350000200000009000900aeaaaaaa378208e2f053e89e5dcc51cc0000000000003a00574f524b47524f5550",
    "hex",
  );
  const credentials = { username: "EX\\anyone", password: SECRET };

  test("the proxy mechanism answers it (MS-NLMP 3.1.5.1.2: no session security needed, empty TargetInfo allowed)", async () => {
    const mech = createProxyMechanism({ auth: "ntlm", url: new URL("http://p:3128"), credentials }, ["NTLM"]);
    assert.ok(mech !== undefined);
    await mech.step({ token: undefined, channelBindings: undefined });
    const auth = await mech.step({ token: FAKE_CHALLENGE, channelBindings: undefined });
    assert.ok(auth !== undefined && Buffer.from(auth).readUInt32LE(8) === 3, "an AUTHENTICATE message");
    assert.equal(mech.complete, true);
  });

  test("the WinRM mechanism (which must seal) still refuses a CHALLENGE without TargetInfo", async () => {
    const { createMechanism } = await import("../../provider/src/auth/index.js");
    const mech = createMechanism({ mechanism: "negotiate", username: "EX\\a", password: SECRET }, "http://h:5985/wsman");
    await mech.step({ token: undefined, channelBindings: undefined });
    await assert.rejects(mech.step({ token: FAKE_CHALLENGE, channelBindings: undefined }), /no TargetInfo/);
  });
});
