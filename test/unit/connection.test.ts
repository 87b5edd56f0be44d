import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseConnection, normaliseEndpoint } from "../../provider/src/connection.js";
import { ConfigurationError } from "../../provider/src/errors.js";

const SECRET = "pa55-w0rd-SECRET";
const base = { endpoint: "https://win.example.com:5986/wsman", auth: { username: "EX\\alice", password: SECRET } };

function fails(input: unknown, field: string, pattern?: RegExp): ConfigurationError {
  let caught: unknown;
  try {
    parseConnection(input);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ConfigurationError, `expected ConfigurationError, got ${String(caught)}`);
  assert.equal(caught.field, field);
  assert.ok(caught.message.startsWith(`${field}: `), caught.message);
  assert.ok(!caught.message.includes(SECRET), "the password leaked into the message");
  if (pattern) assert.match(caught.message, pattern);
  return caught;
}

describe("parseConnection", () => {
  test("fills the defaults", () => {
    const c = parseConnection(base);
    assert.equal(c.endpoint, "https://win.example.com:5986/wsman");
    assert.equal(c.auth.mechanism, "negotiate");
    assert.equal(c.tls.rejectUnauthorized, true);
    assert.equal(c.messageEncryption, "auto");
    // Dial defaults as @pulumi/command's remote connection: 10 attempts of 15 s each.
    assert.deepEqual(c.timeouts, { connectMs: 15_000, connectAttempts: 10, operationTimeoutSec: 20, readMs: 30_000 });
    assert.equal(c.codePage, "auto");
    assert.equal(c.proxy, "none");
  });

  test("connectAttempts: a whole number from 1 to 100, named by its full path", () => {
    assert.equal(parseConnection({ ...base, timeouts: { connectAttempts: 1 } }).timeouts.connectAttempts, 1);
    assert.equal(parseConnection({ ...base, timeouts: { connectAttempts: 100 } }).timeouts.connectAttempts, 100);
    for (const bad of [0, 101, 2.5, -1]) {
      fails({ ...base, timeouts: { connectAttempts: bad } }, "timeouts.connectAttempts", /from 1 \(no retry\) to 100/);
    }
  });

  test("readMs defaults to operation timeout + 10 s and must exceed it", () => {
    assert.equal(parseConnection({ ...base, timeouts: { operationTimeoutSec: 60 } }).timeouts.readMs, 70_000);
    assert.equal(parseConnection({ ...base, timeouts: { operationTimeoutSec: 20, readMs: 20_001 } }).timeouts.readMs, 20_001);
    fails({ ...base, timeouts: { operationTimeoutSec: 20, readMs: 20_000 } }, "timeouts.readMs", /must exceed operationTimeoutSec/);
    fails({ ...base, timeouts: { operationTimeoutSec: 0 } }, "timeouts.operationTimeoutSec", /positive/);
  });

  test("endpoint: default path, schemes, no credentials or query", () => {
    assert.equal(normaliseEndpoint("http://10.0.0.5:5985"), "http://10.0.0.5:5985/wsman");
    assert.equal(normaliseEndpoint("http://10.0.0.5:5985/"), "http://10.0.0.5:5985/wsman");
    assert.equal(normaliseEndpoint("https://h:5986/custom"), "https://h:5986/custom");
    fails({ ...base, endpoint: "ftp://h/wsman" }, "endpoint", /http:\/\/ or https:\/\//);
    fails({ ...base, endpoint: "not a url" }, "endpoint", /not a URL/);
    fails({ ...base, endpoint: `https://alice:${SECRET}@h:5986/wsman` }, "endpoint", /must not contain credentials/);
    fails({ ...base, endpoint: "https://h:5986/wsman?x=1" }, "endpoint", /query/);
  });

  test("names the field and the fix for wrong types and values", () => {
    fails({ ...base, auth: { ...base.auth, mechanism: "digest" } }, "auth.mechanism", /negotiate, ntlm, basic/);
    fails({ ...base, auth: { password: SECRET } }, "auth.username", /is required/);
    fails({ ...base, auth: { ...base.auth, username: "" } }, "auth.username", /must not be empty/);
    fails({ ...base, auth: { username: "a", password: 12345 } }, "auth.password", /must be string/);
    fails({ ...base, messageEncryption: "sometimes" }, "messageEncryption", /"auto", "always" or "never"/);
    fails({ ...base, codePage: "utf8" }, "codePage", /65001/);
    fails({ ...base, codePage: 70000 }, "codePage");
    fails({ ...base, tls: { ca: "not pem" } }, "tls.ca", /PEM/);
    fails({ ...base, proxy: "system" }, "proxy", /"none", "env"/);
    fails({ ...base, proxy: { url: "http://p:3128", auth: "digest" } }, "proxy.auth", /none, basic, negotiate, ntlm/);
    fails({ ...base, proxy: { url: "http://p:3128", mode: "socks" } }, "proxy.mode", /auto, tunnel, forward/);
    fails({ ...base, proxy: { url: "http://p:3128", user: "x" } }, "proxy", /unknown field.*"user"/);
    fails({ ...base, extra: 1 }, "connection", /unknown field.*"extra"/);
    fails(undefined, "connection");
  });

  test("keeps optional fields only when given", () => {
    const c = parseConnection({
      ...base,
      auth: { ...base.auth, mechanism: "ntlm", domain: "EX", spn: "HTTP/win" },
      tls: { serverName: "win.example.com", rejectUnauthorized: false, thumbprint: "AB".repeat(32) },
      codePage: 437,
    });
    assert.equal(c.auth.domain, "EX");
    assert.equal(c.auth.spn, "HTTP/win");
    assert.deepEqual(c.tls, { serverName: "win.example.com", rejectUnauthorized: false, thumbprint: "ab".repeat(32) });
    assert.equal(c.codePage, 437);
    assert.ok(!("ca" in c.tls));
  });

  test("auth.credsspAllowUnpatchedHosts: kept with credssp, refused with any other mechanism by its full path", () => {
    const credssp = { ...base, auth: { ...base.auth, mechanism: "credssp", delegate: true } };
    assert.equal(parseConnection(credssp).auth.credsspAllowUnpatchedHosts, undefined);
    assert.equal(parseConnection({ ...credssp, auth: { ...credssp.auth, credsspAllowUnpatchedHosts: true } }).auth.credsspAllowUnpatchedHosts, true);
    for (const mechanism of ["negotiate", "ntlm", "kerberos", "basic"]) {
      fails({ ...base, auth: { ...base.auth, mechanism, credsspAllowUnpatchedHosts: true } }, "auth.credsspAllowUnpatchedHosts", /only to auth\.mechanism "credssp"/);
    }
    fails({ ...credssp, auth: { ...credssp.auth, credsspAllowUnpatchedHosts: "yes" } }, "auth.credsspAllowUnpatchedHosts");
  });
});
