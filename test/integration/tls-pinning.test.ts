/**
 * tls.thumbprint (docs/tls.md): the host's certificate pinned by its SHA-256 or SHA-1 fingerprint, checked on every
 * TLS connection to the host: directly, through squid's CONNECT, and inside an https:// proxy's TLS (where the pin
 * applies to the host's certificate, never to the proxy's). Alone it replaces CA validation; with tls.ca both hold.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";

import { WinRMClient } from "../../provider/src/client.js";
import { parseConnection, type ConnectionInput } from "../../provider/src/connection.js";
import { ConfigurationError, TlsPinMismatchError } from "../../provider/src/errors.js";
import { generateTlsMaterial } from "../../provider/src/testing/index.js";
import { PASSWORD, USER, startFixture, type Fixture } from "./clientFixture.js";
import { runCli } from "./cliHarness.js";
import { RecordingProxy } from "../peers/recordingProxy.js";
import { Squid, squidMissing } from "../peers/squid.js";

const WRONG_SHA256 = "ab".repeat(32);

async function runWith(connection: ConnectionInput): Promise<string> {
  const client = new WinRMClient(connection);
  try {
    return (await client.run("echo pinned")).stdout;
  } finally {
    await client.close();
  }
}

function isMismatch(expected: string, presented: string) {
  return (e: unknown): boolean => {
    // The error may arrive wrapped by the request layer; find the pin error in the cause chain.
    let cur: unknown = e;
    for (let i = 0; i < 5 && cur !== undefined; i++) {
      if (cur instanceof TlsPinMismatchError) {
        assert.equal(cur.code, "WINRM_TLS_PIN_MISMATCH");
        assert.equal(cur.expected, expected);
        assert.equal(cur.presented, presented);
        assert.ok(cur.message.includes(expected) && cur.message.includes(presented), cur.message);
        return true;
      }
      cur = (cur as { cause?: unknown }).cause;
    }
    assert.fail(`not a TlsPinMismatchError: ${String(e)}`);
  };
}

void describe("tls.thumbprint against the emulated host", () => {
  let f: Fixture;
  let sha256: string;
  let sha1: string;
  let pinOnly: (thumbprint: string) => ConnectionInput;

  before(async () => {
    f = await startFixture("win2019", { tls: true });
    const cert = new X509Certificate(f.emu.tlsMaterial?.certDer ?? Buffer.alloc(0));
    sha256 = cert.fingerprint256.replaceAll(":", "").toLowerCase();
    sha1 = cert.fingerprint.replaceAll(":", "").toLowerCase();
    // Pin alone: no tls.ca (the emulator's CA is in no trust store) and no serverName: the pin replaces both checks.
    pinOnly = (thumbprint) => ({ endpoint: f.emu.url, auth: f.connection.auth, tls: { thumbprint } });
  });
  after(async () => {
    await f?.client.close();
    await f?.emu.close();
  });

  void test("the right SHA-256 pin alone replaces CA validation; colons and upper case are accepted", async () => {
    assert.equal(await runWith(pinOnly(sha256)), "pinned\r\n");
    const openssl = (sha256.toUpperCase().match(/../g) ?? []).join(":");
    assert.equal(await runWith(pinOnly(openssl)), "pinned\r\n");
  });

  void test("the SHA-1 form (as Windows prints it, with spaces) works", async () => {
    const windows = (sha1.toUpperCase().match(/../g) ?? []).join(" ");
    assert.equal(await runWith(pinOnly(windows)), "pinned\r\n");
  });

  void test("without the pin, the same connection is refused (the pin is what made it work)", async () => {
    await assert.rejects(runWith({ endpoint: f.emu.url, auth: f.connection.auth }), /not trusted|self.signed|certificate/i);
  });

  void test("a wrong thumbprint is refused directly, naming both fingerprints, and nothing reaches WinRM", async () => {
    const before = f.emu.requests.length;
    await assert.rejects(runWith(pinOnly(WRONG_SHA256)), isMismatch(WRONG_SHA256, sha256));
    const wrongSha1 = "cd".repeat(20);
    await assert.rejects(runWith(pinOnly(wrongSha1)), isMismatch(wrongSha1, sha1));
    assert.equal(f.emu.requests.length, before, "no HTTP request was sent to a host with the wrong certificate");
  });

  void test("CLI: exec --thumbprint HEX runs with the pin alone; a wrong one exits with the named error", async () => {
    const common = ["--endpoint", f.emu.url, "--auth", "negotiate", "--username", USER, "--password-env", "PIN_PW"];
    const env = { PIN_PW: PASSWORD };
    const ok = await runCli(["exec", ...common, "--thumbprint", sha1.toUpperCase(), "--", "echo", "cli-pinned"], { env });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /cli-pinned/);
    const bad = await runCli(["exec", ...common, "--thumbprint", WRONG_SHA256, "--", "echo", "x"], { env });
    assert.notEqual(bad.status, 0);
    assert.ok(bad.stderr.includes(WRONG_SHA256) && bad.stderr.includes(sha256), bad.stderr);
    const malformed = await runCli(["exec", ...common, "--thumbprint", "abc", "--", "echo", "x"], { env });
    assert.notEqual(malformed.status, 0);
    assert.match(malformed.stderr, /--thumbprint.*3 hex digits/);
  });

  void test("thumbprint + ca: both must hold", async () => {
    const both = (thumbprint: string): ConnectionInput => ({ ...f.connection, tls: { ca: f.emu.caPem ?? "", serverName: "localhost", thumbprint } });
    assert.equal(await runWith(both(sha256)), "pinned\r\n");
    await assert.rejects(runWith(both(WRONG_SHA256)), isMismatch(WRONG_SHA256, sha256));
    // The right pin does not excuse a CA that did not issue the certificate.
    const other = await generateTlsMaterial();
    await assert.rejects(
      runWith({ ...f.connection, tls: { ca: other.caPem, serverName: "localhost", thumbprint: sha256 } }),
      /not trusted|certificate/i,
    );
  });

  void test("through squid (CONNECT): the right pin works, a wrong one is refused", { skip: squidMissing() }, async () => {
    const squid = await Squid.start({ auth: "none" });
    try {
      const proxy = { url: `http://127.0.0.1:${squid.port}`, mode: "tunnel" as const };
      assert.equal(await runWith({ ...pinOnly(sha256), proxy }), "pinned\r\n");
      await assert.rejects(runWith({ ...pinOnly(WRONG_SHA256), proxy }), isMismatch(WRONG_SHA256, sha256));
    } finally {
      await squid.stop();
    }
  });

  void test("through an https:// proxy (TLS in TLS): the pin is the host's, never the proxy's", async () => {
    const material = await generateTlsMaterial({ dnsNames: ["pin-proxy.test"] });
    const rec = await RecordingProxy.start({ tls: { certPem: material.certPem, keyPem: material.keyPem } });
    try {
      const proxy = { url: rec.url, mode: "tunnel" as const, tls: { ca: material.caPem, serverName: "pin-proxy.test" } };
      assert.equal(await runWith({ ...pinOnly(sha256), proxy }), "pinned\r\n");
      // Pinning the proxy's certificate is a mismatch: the proxy's TLS never counts as the host's.
      const proxySha256 = new X509Certificate(material.certPem).fingerprint256.replaceAll(":", "").toLowerCase();
      await assert.rejects(runWith({ ...pinOnly(proxySha256), proxy }), isMismatch(proxySha256, sha256));
    } finally {
      await rec.close();
    }
  });
});

void describe("tls.thumbprint input", () => {
  const base = { endpoint: "https://h:5986/wsman", auth: { mechanism: "negotiate" as const, username: "u", password: "p" } };
  const fails = (thumbprint: string, pattern: RegExp) =>
    assert.throws(
      () => parseConnection({ ...base, tls: { thumbprint } }),
      (e: unknown) => e instanceof ConfigurationError && e.field === "tls.thumbprint" && pattern.test(e.message) && /64 hex digits/.test(e.message),
    );

  void test("normalised to lower-case hex; wrong length and non-hex refused with the field and the fix", () => {
    assert.equal(parseConnection({ ...base, tls: { thumbprint: "AB:".repeat(31) + "AB" } }).tls.thumbprint, "ab".repeat(32));
    assert.equal(parseConnection({ ...base, tls: { thumbprint: "0A 1B ".repeat(10) } }).tls.thumbprint, "0a1b".repeat(10));
    fails("ab".repeat(31), /62 hex digits/);
    fails("ab".repeat(40), /more than 64/);
    fails("zz".repeat(32), /not a hex digit/);
    fails("", /0 hex digits/);
  });

  void test("refused on http:// (no certificate to check)", () => {
    assert.throws(
      () => parseConnection({ ...base, endpoint: "http://h:5985/wsman", tls: { thumbprint: "ab".repeat(32) } }),
      (e: unknown) => e instanceof ConfigurationError && e.field === "tls.thumbprint" && /https:\/\//.test(e.message),
    );
  });

});
