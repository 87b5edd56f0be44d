import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseConnection, type ConnectionInput } from "../../provider/src/connection.js";
import { checkPolicy, RULE_NO_CLEARTEXT_OVER_HTTP } from "../../provider/src/transport/policy.js";
import { ConfigurationError, InsecureProxyPathError } from "../../provider/src/errors.js";

function conn(endpoint: string, mechanism: "negotiate" | "ntlm" | "basic", messageEncryption?: "auto" | "always" | "never"): ConnectionInput {
  return { endpoint, auth: { mechanism, username: "u", password: "p" }, ...(messageEncryption ? { messageEncryption } : {}) };
}
const plan = (c: ConnectionInput) => checkPolicy(parseConnection(c));

describe("transport policy", () => {
  test("auto: seal on http://, rely on TLS on https://", () => {
    assert.deepEqual(plan(conn("http://h:5985/wsman", "negotiate")), { scheme: "http", encrypt: true, mechanism: "negotiate" });
    assert.deepEqual(plan(conn("https://h:5986/wsman", "ntlm")), { scheme: "https", encrypt: false, mechanism: "ntlm" });
    assert.deepEqual(plan(conn("https://h:5986/wsman", "basic")), { scheme: "https", encrypt: false, mechanism: "basic" });
  });

  test("always seals over https:// too; never is fine on https://", () => {
    assert.equal(plan(conn("https://h:5986/wsman", "negotiate", "always")).encrypt, true);
    assert.equal(plan(conn("http://h:5985/wsman", "ntlm", "always")).encrypt, true);
    assert.equal(plan(conn("https://h:5986/wsman", "negotiate", "never")).encrypt, false);
  });

  for (const [name, c, field] of [
    ["basic over http://", conn("http://h:5985/wsman", "basic"), "auth.mechanism"],
    ["never over http://", conn("http://h:5985/wsman", "negotiate", "never"), "messageEncryption"],
  ] as const) {
    test(`refuses ${name}, naming the rule and the fix`, () => {
      assert.throws(
        () => plan(c),
        (e: unknown) =>
          e instanceof InsecureProxyPathError &&
          e.rule === RULE_NO_CLEARTEXT_OVER_HTTP &&
          e.field === field &&
          e.code === "WINRM_INSECURE_PROXY_PATH" &&
          e.message.includes(RULE_NO_CLEARTEXT_OVER_HTTP) &&
          /https:\/\//.test(e.message) &&
          /negotiate/.test(e.message),
      );
    });
  }

  test("always with a mechanism that cannot seal is refused", () => {
    assert.throws(
      () => plan(conn("https://h:5986/wsman", "basic", "always")),
      (e: unknown) => e instanceof ConfigurationError && e.field === "messageEncryption" && /cannot/.test(e.message),
    );
  });

  test("credssp: auth.delegate is required before any I/O; over http:// every message is sealed (MS-WSMV 2.2.9.1.3)", () => {
    const credssp = (endpoint: string, delegate?: boolean): ConnectionInput => ({
      endpoint,
      auth: { mechanism: "credssp", username: "u", password: "p", ...(delegate !== undefined ? { delegate } : {}) },
    });
    assert.throws(
      () => plan(credssp("https://h:5986/wsman")),
      (e: unknown) => e instanceof ConfigurationError && e.field === "auth.delegate" && /delegates your password/.test(e.message),
    );
    assert.deepEqual(plan(credssp("http://h:5985/wsman", true)), { scheme: "http", encrypt: true, mechanism: "credssp" });
    assert.throws(
      () => plan({ ...credssp("http://h:5985/wsman", true), messageEncryption: "never" }),
      (e: unknown) => e instanceof InsecureProxyPathError && e.field === "messageEncryption",
    );
    assert.throws(() => plan(credssp("http://h:5985/wsman")), (e: unknown) => e instanceof ConfigurationError && e.field === "auth.delegate");
    assert.deepEqual(plan({ ...credssp("https://h:5986/wsman", true), messageEncryption: "always" }), {
      scheme: "https",
      encrypt: true,
      mechanism: "credssp",
    });
    assert.deepEqual(plan(credssp("https://h:5986/wsman", true)), { scheme: "https", encrypt: false, mechanism: "credssp" });
  });

  test("tls.ca on http:// is a mistake", () => {
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    assert.throws(
      () => plan({ ...conn("http://h:5985/wsman", "negotiate"), tls: { ca: pem } }),
      (e: unknown) => e instanceof ConfigurationError && e.field === "tls.ca",
    );
  });
});
