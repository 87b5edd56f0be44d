/**
 * "Neither CA validation nor a pin" is refused before any byte leaves (docs/tls.md): `tls.rejectUnauthorized: false`
 * without `tls.thumbprint`, in parseConnection, in a resource's check (preview: the full property path), and on the
 * command line (`--insecure-skip-verify` alone), naming the field or flag and the fix. With a thumbprint it is
 * accepted, and the pin alone verifies the host: a wrong one is still refused.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";

import { WinRMClient } from "../../provider/src/client.js";
import { parseConnection } from "../../provider/src/connection.js";
import { ConfigurationError, TlsPinMismatchError } from "../../provider/src/errors.js";
import { resourceProviders, UNKNOWN } from "../../provider/src/resources/index.js";
import { WinRMEmulator } from "../../provider/src/testing/index.js";
import { testHost } from "./clientTestHost.js";
import { runCli } from "./cliHarness.js";

const USER = "CORP\\deploy";
const PASSWORD = "Ver1fy-pw!";
const HTTPS = "https://win.example.com:5986/wsman";

void describe("parse and check: rejectUnauthorized false needs a thumbprint", () => {
  test("parseConnection refuses it without a thumbprint, naming the field and both fixes", () => {
    assert.throws(
      () => parseConnection({ endpoint: HTTPS, auth: { username: USER, password: PASSWORD }, tls: { rejectUnauthorized: false } }),
      (e: unknown) =>
        e instanceof ConfigurationError &&
        e.field === "tls.rejectUnauthorized" &&
        /tls\.thumbprint/.test(e.message) &&
        /tls\.ca/.test(e.message) &&
        !e.message.includes(PASSWORD),
    );
  });

  test("accepted with a thumbprint (the pin verifies the host), and over http:// where there is no certificate", () => {
    const pinned = parseConnection({ endpoint: HTTPS, auth: { username: USER, password: PASSWORD }, tls: { rejectUnauthorized: false, thumbprint: "AB:".repeat(31) + "AB" } });
    assert.equal(pinned.tls.thumbprint, "ab".repeat(32));
    assert.equal(parseConnection({ endpoint: "http://h:5985/wsman", auth: { username: USER, password: PASSWORD }, tls: { rejectUnauthorized: false } }).tls.rejectUnauthorized, false);
  });

  test("a resource's check (what preview runs) reports connection.tls.rejectUnauthorized with the fix", async () => {
    const r = await resourceProviders.RemoteCommand.check(
      {},
      { connection: { endpoint: HTTPS, auth: { username: USER, password: PASSWORD }, tls: { rejectUnauthorized: false } }, create: "hostname" },
    );
    const failure = r.failures.find((f) => f.property === "connection.tls.rejectUnauthorized");
    assert.ok(failure !== undefined, JSON.stringify(r.failures));
    assert.match(failure.reason, /connection\.tls\.thumbprint/);
    assert.match(failure.reason, /connection\.tls\.ca/);
    // A thumbprint not known at preview (another resource's output) is not "no thumbprint": let through.
    const later = await resourceProviders.RemoteCommand.check(
      {},
      { connection: { endpoint: HTTPS, auth: { username: USER, password: PASSWORD }, tls: { rejectUnauthorized: false, thumbprint: UNKNOWN } }, create: "hostname" },
    );
    assert.deepEqual(later.failures, []);
  });
});

void describe("against the emulated HTTPS host", () => {
  let emu: WinRMEmulator;
  before(async () => {
    const host = testHost("win2019");
    host.config.set("winrm/config/service/auth", { Basic: "true" });
    emu = await WinRMEmulator.start({ host, users: [{ username: USER, password: PASSWORD }], tls: true });
  });
  after(async () => {
    await emu?.close();
  });

  const fingerprint = (): string => {
    const pem = emu.tlsMaterial?.certPem ?? "";
    return new X509Certificate(pem).fingerprint256;
  };

  test("the CLI refuses --insecure-skip-verify alone (exit 2, names the flag and --thumbprint / --ca), nothing sent", async () => {
    const before = emu.connections;
    const r = await runCli(["exec", "--endpoint", emu.url, "--auth", "basic", "--username", USER, "--password-env", "PW", "--insecure-skip-verify", "--", "hostname"], {
      env: { PW: PASSWORD },
      unset: ["WINRM_ENDPOINT", "WINRM_USERNAME", "WINRM_PASSWORD"],
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--insecure-skip-verify/);
    assert.match(r.stderr, /--thumbprint/);
    assert.match(r.stderr, /--ca/);
    assert.ok(!r.stderr.includes(PASSWORD));
    assert.equal(emu.connections, before, "nothing may reach the host");
  });

  test("the CLI with --insecure-skip-verify --thumbprint runs: the pin alone verifies the self-signed listener", async () => {
    const r = await runCli(
      ["exec", "--endpoint", emu.url, "--auth", "basic", "--username", USER, "--password-env", "PW", "--insecure-skip-verify", "--thumbprint", fingerprint(), "--", "echo", "pinned"],
      { env: { PW: PASSWORD }, unset: ["WINRM_ENDPOINT", "WINRM_USERNAME", "WINRM_PASSWORD"] },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /pinned/);
  });

  test("rejectUnauthorized false with a wrong thumbprint is still refused: the pin is checked", async () => {
    const client = new WinRMClient({
      endpoint: emu.url,
      auth: { mechanism: "basic", username: USER, password: PASSWORD },
      tls: { rejectUnauthorized: false, thumbprint: "00".repeat(32) },
    });
    try {
      await assert.rejects(client.run("echo x"), TlsPinMismatchError);
    } finally {
      await client.close();
    }
  });
});
