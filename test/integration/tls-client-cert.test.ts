/**
 * Certificate authentication (auth.mechanism "certificate", the WS-Man https/mutual profile; docs/tls.md): the client
 * certificate in the TLS handshake, `Authorization: <profile URI>` on each request, and the emulated host mapping the
 * certificate to a user through winrm/config/service/certmapping (issuer CA thumbprint + SAN UPN). Directly and
 * through squid's CONNECT; unmapped, untrusted and missing certificates refused; encrypted keys.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { WinRMClient } from "../../provider/src/client.js";
import { parseConnection, type ConnectionInput } from "../../provider/src/connection.js";
import { AuthenticationError, ClientCertificateNegotiationError, ConfigurationError } from "../../provider/src/errors.js";
import { WinRMEmulator } from "../../provider/src/testing/index.js";
import { MUTUAL_PROFILE_URI } from "../../provider/src/testing/index.js";
import { generateClientCa, type ClientCa, type ClientCertificate } from "../../provider/src/testing/index.js";
import { testHost } from "./clientTestHost.js";
import { runCli } from "./cliHarness.js";
import { Squid, squidMissing } from "../peers/squid.js";
import { RecordingProxy } from "../peers/recordingProxy.js";
import { generateTlsMaterial } from "../../provider/src/testing/index.js";

const MAPPED_USER = "WIN-TEST\\certuser";
const PASSPHRASE = "k3y-Pa55phrase!";

void describe("certificate authentication against the emulated host", () => {
  let emu: WinRMEmulator;
  let ca: ClientCa;
  let mapped: ClientCertificate;
  let encrypted: ClientCertificate;
  let unmapped: ClientCertificate;
  let untrusted: ClientCertificate;
  let dir: string;

  const conn = (c: ClientCertificate, extra: Partial<NonNullable<ConnectionInput["tls"]>> = {}): ConnectionInput => ({
    endpoint: emu.url,
    auth: { mechanism: "certificate" },
    tls: { ca: emu.caPem ?? "", serverName: "localhost", clientCertificate: c.certPem, clientKey: c.keyPem, ...extra },
  });

  async function run(connection: ConnectionInput, command = "echo by-certificate"): Promise<string> {
    const client = new WinRMClient(connection);
    try {
      return (await client.run(command)).stdout;
    } finally {
      await client.close();
    }
  }

  before(async () => {
    ca = await generateClientCa();
    const stranger = await generateClientCa("Some Other CA");
    [mapped, encrypted, unmapped, untrusted] = await Promise.all([
      ca.issue("certuser@win-test"),
      ca.issue("certuser@win-test", { passphrase: PASSPHRASE }),
      ca.issue("mallory@elsewhere"),
      stranger.issue("certuser@win-test"),
    ]);
    const host = testHost("win2019");
    host.config.set("winrm/config/service/auth", { Certificate: "true" });
    emu = await WinRMEmulator.start({
      host,
      users: [],
      tls: true,
      certificateAuth: {
        // The stranger's CA is trusted for TLS but has no certmapping entry; only `ca` is mapped.
        trustedCaPems: [ca.caPem, stranger.caPem],
        mappings: [{ issuer: ca.thumbprint, subject: "*@win-test", username: MAPPED_USER }],
      },
    });
    dir = mkdtempSync(join(tmpdir(), "winrm-cert-"));
  });
  after(async () => {
    await emu?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  void test("a mapped certificate runs a command as the mapped user; every request names the https/mutual profile", async () => {
    const start = emu.requests.length;
    assert.equal(await run(conn(mapped)), "by-certificate\r\n");
    const entries = emu.requests.slice(start);
    assert.ok(entries.some((e) => e.action?.endsWith("/Command")));
    assert.ok(entries.every((e) => e.status === 200 && e.user === MAPPED_USER && e.authScheme === MUTUAL_PROFILE_URI), JSON.stringify(entries));
  });

  void test("an unmapped certificate and one from an unmapped CA are refused with the host's 401", async () => {
    for (const c of [unmapped, untrusted]) {
      const start = emu.requests.length;
      await assert.rejects(
        run(conn(c)),
        (e: unknown) => e instanceof AuthenticationError && /^certificate authentication failed/.test(e.message) && !e.message.includes("PRIVATE KEY"),
      );
      const entries = emu.requests.slice(start);
      assert.ok(entries.length >= 1 && entries.every((e) => e.status === 401 && e.user === undefined));
    }
  });

  void test("Service/Auth/Certificate=false: the same certificate is refused", async () => {
    const host = testHost("win2019");
    const off = await WinRMEmulator.start({
      host,
      users: [],
      tls: true,
      certificateAuth: { trustedCaPems: [ca.caPem], mappings: [{ issuer: ca.thumbprint, subject: "*", username: MAPPED_USER }] },
    });
    try {
      // The default listener asks for the certificate only after an enabled https/mutual request: never here.
      await assert.rejects(run({ ...conn(mapped), endpoint: off.url, tls: { ...conn(mapped).tls, ca: off.caPem ?? "" } }), ClientCertificateNegotiationError);
    } finally {
      await off.close();
    }
  });

  void test("encrypted PKCS#8 key: the right passphrase works, a wrong or missing one fails without echoing it", async () => {
    assert.match(encrypted.keyPem, /BEGIN ENCRYPTED PRIVATE KEY/);
    assert.equal(await run(conn(encrypted, { clientKeyPassphrase: PASSPHRASE })), "by-certificate\r\n");
    for (const extra of [{ clientKeyPassphrase: "wrong-passphrase-77" }, {}]) {
      // Refused when the connection is read (check/preview time), before any dial, naming the field.
      await assert.rejects(
        run(conn(encrypted, extra)),
        (e: unknown) =>
          e instanceof ConfigurationError && e.field === "tls.clientKeyPassphrase" && !e.message.includes("wrong-passphrase-77") && !e.message.includes(PASSPHRASE),
      );
    }
  });

  void test("through squid (CONNECT): the certificate reaches the host inside the tunnel", { skip: squidMissing() }, async () => {
    const squid = await Squid.start({ auth: "none" });
    try {
      const start = emu.requests.length;
      const proxy = { url: `http://127.0.0.1:${squid.port}`, mode: "tunnel" as const };
      assert.equal(await run({ ...conn(mapped), proxy }), "by-certificate\r\n");
      assert.ok(emu.requests.slice(start).every((e) => e.user === MAPPED_USER));
      await assert.rejects(run({ ...conn(unmapped), proxy }), AuthenticationError);
    } finally {
      await squid.stop();
    }
  });

  void test("through an https:// proxy (TLS in TLS): the certificate authenticates to the host, not to the proxy", async () => {
    const material = await generateTlsMaterial({ dnsNames: ["cert-proxy.test"] });
    const rec = await RecordingProxy.start({ tls: { certPem: material.certPem, keyPem: material.keyPem } });
    try {
      const start = emu.requests.length;
      const proxy = { url: rec.url, mode: "tunnel" as const, tls: { ca: material.caPem, serverName: "cert-proxy.test" } };
      assert.equal(await run({ ...conn(mapped), proxy }), "by-certificate\r\n");
      assert.ok(emu.requests.slice(start).every((e) => e.user === MAPPED_USER));
      assert.ok(rec.requests.some((q) => q.method === "CONNECT" && q.outcome === "relayed"));
    } finally {
      await rec.close();
    }
  });

  void test("CLI: --cert FILE --key FILE (--key-passphrase-env) runs a command; no password needed", async () => {
    const certFile = join(dir, "client.pem");
    const keyFile = join(dir, "client.key");
    const caFile = join(dir, "ca.pem");
    writeFileSync(certFile, encrypted.certPem);
    writeFileSync(keyFile, encrypted.keyPem);
    writeFileSync(caFile, emu.caPem ?? "");
    const args = ["exec", "--endpoint", emu.url, "--ca", caFile, "--server-name", "localhost", "--cert", certFile, "--key", keyFile];
    const ok = await runCli([...args, "--key-passphrase-env", "KEY_PP", "--", "echo", "cli-cert"], { env: { KEY_PP: PASSPHRASE }, unset: ["WINRM_PASSWORD"] });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /cli-cert/);
    const unset = await runCli([...args, "--key-passphrase-env", "NOT_SET_PP", "--", "echo", "x"], { unset: ["WINRM_PASSWORD", "NOT_SET_PP"] });
    assert.notEqual(unset.status, 0);
    assert.match(unset.stderr, /--key-passphrase-env/);
  });
});

void describe("certificate authentication input", () => {
  const base = { endpoint: "https://h:5986/wsman" };
  const pemCert = "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n";
  const pemKey = "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n";
  const fails = (input: unknown, field: string) =>
    assert.throws(() => new WinRMClient(input as ConnectionInput), (e: unknown) => e instanceof ConfigurationError && e.field === field && !e.message.includes("AA=="));

  void test("needs the certificate and the key, as PEM, only with mechanism certificate, only over https://", () => {
    const ok = parseConnection({ ...base, auth: { mechanism: "certificate" }, tls: { clientCertificate: pemCert, clientKey: pemKey } });
    assert.equal(ok.tls.clientKey, pemKey);
    fails({ ...base, auth: { mechanism: "certificate" }, tls: { clientKey: pemKey } }, "tls.clientCertificate");
    fails({ ...base, auth: { mechanism: "certificate" }, tls: { clientCertificate: pemCert } }, "tls.clientKey");
    fails({ ...base, auth: { mechanism: "certificate" }, tls: { clientCertificate: pemCert, clientKey: "AA==" } }, "tls.clientKey");
    fails({ ...base, auth: { mechanism: "ntlm", username: "u", password: "p" }, tls: { clientCertificate: pemCert, clientKey: pemKey } }, "tls.clientCertificate");
    fails({ endpoint: "http://h:5985/wsman", auth: { mechanism: "certificate" }, tls: { clientCertificate: pemCert, clientKey: pemKey } }, "auth.mechanism");
  });
});
