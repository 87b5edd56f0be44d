/**
 * An independent client against the emulator: pywinrm 0.3.0 (Debian python3-winrm) with requests-ntlm. When pywinrm
 * and our client disagree about the emulator, the emulator is wrong until shown otherwise; these tests keep it honest.
 *
 * - NTLM with message_encryption='always' over HTTP (Flow A: pywinrm authenticates on an empty POST, then seals).
 * - Basic over HTTPS, the certificate validated against the emulator's generated CA (ca_trust_path).
 * - A wrong password, and Basic over HTTP while AllowUnencrypted=false, must fail as they fail against Windows.
 *
 * Skipped (with the reason) when /usr/bin/python3 has no `winrm` module: `scripts/setup.sh` installs python3-winrm.
 * NTLM needs MD4, which OpenSSL 3 only has in its legacy provider (test/peers/python.ts): the test writes that config file.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { WinRMEmulator } from "../../provider/src/testing/index.js";
import { EmulatedHost } from "../../provider/src/testing/index.js";
import { fakeHost } from "./emulatorHarness.js";
import { pywinrmMissing, runJsonDriver, writeOpensslLegacyConf } from "../peers/python.js";

const DRIVER = fileURLToPath(new URL("../../../test/peers/pywinrm_run.py", import.meta.url));
const USER = "EXAMPLE\\alice";
const PASSWORD = "Passw0rd!";

interface PyResult {
  std_out?: string;
  std_err?: string;
  status_code?: number;
  type?: string;
  error?: string;
}

void describe("pywinrm against the emulator", { skip: pywinrmMissing() }, () => {
  let dir: string;
  let opensslConf: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "pywinrm-"));
    opensslConf = writeOpensslLegacyConf(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function run(endpoint: string, transport: string, user: string, password: string, command: string, ca?: string): Promise<PyResult> {
    // No proxy from the environment may sneak in between pywinrm and the emulator.
    return runJsonDriver([DRIVER, endpoint, transport, user, password, command, ...(ca ? [ca] : [])], { OPENSSL_CONF: opensslConf, NO_PROXY: "*" });
  }

  void test("NTLM with message_encryption='always' over HTTP: output, stderr and exit code; every SOAP request sealed", async () => {
    const emu = await WinRMEmulator.start({ host: fakeHost(), users: [{ username: USER, password: PASSWORD }] });
    try {
      const ok = await run(emu.url, "ntlm", USER, PASSWORD, "echo hello from pywinrm");
      assert.deepEqual(ok, { std_out: "hello from pywinrm\r\n", std_err: "", status_code: 0 });
      const bad = await run(emu.url, "ntlm", USER, PASSWORD, "fail");
      assert.deepEqual(bad, { std_out: "", std_err: "boom\r\n", status_code: 3 });

      const soap = emu.requests.filter((e) => e.bodyBytes > 0);
      assert.ok(soap.length >= 5, "Create, Command, Receive, Signal, Delete at least");
      assert.ok(soap.every((e) => e.encrypted && e.status === 200 && e.user === USER), JSON.stringify(soap));
      const actions = soap.map((e) => e.action?.split("/").pop());
      for (const a of ["Create", "Command", "Receive", "Signal", "Delete"]) assert.ok(actions.includes(a), `${a} in ${actions.join(",")}`);
      assert.equal(emu.shells.shellCount, 0, "pywinrm deleted its shells");
    } finally {
      await emu.close();
    }
  });

  void test("the real emulated host (cmd interpreter, Spanish Server 2008): pywinrm runs netsh and reads its text", async () => {
    // pywinrm asks for WINRS_CODEPAGE 437 and decodes cp437 in the driver: Spanish accents must survive that path.
    const host = new EmulatedHost({ profile: "win2008", locale: "es-ES", computerName: "LEGACY-02", domain: "EXAMPLE" });
    const emu = await WinRMEmulator.start({ host, users: [{ username: USER, password: PASSWORD }] });
    try {
      const netsh = await run(emu.url, "ntlm", USER, PASSWORD, "netsh winhttp show proxy");
      assert.equal(netsh.status_code, 0, JSON.stringify(netsh));
      assert.match(netsh.std_out ?? "", /Configuración actual del proxy de WinHTTP/);
      assert.match(netsh.std_out ?? "", /Acceso directo \(sin servidor proxy\)\./);
      const name = await run(emu.url, "ntlm", USER, PASSWORD, "hostname");
      assert.deepEqual(name, { std_out: "LEGACY-02\r\n", std_err: "", status_code: 0 });
      const missing = await run(emu.url, "ntlm", USER, PASSWORD, "proxycfg");
      assert.equal(missing.status_code, 9009, "proxycfg does not exist on Server 2008");
      assert.match(missing.std_err ?? "", /no se reconoce como un comando interno o externo/);
      assert.ok(emu.requests.filter((e) => e.bodyBytes > 0).every((e) => e.encrypted));
    } finally {
      await emu.close();
    }
  });

  void test("NTLM with a wrong password fails with InvalidCredentialsError", async () => {
    const emu = await WinRMEmulator.start({ host: fakeHost(), users: [{ username: USER, password: PASSWORD }] });
    try {
      const r = await run(emu.url, "ntlm", USER, "not-the-password", "echo x");
      assert.equal(r.type, "InvalidCredentialsError", JSON.stringify(r));
    } finally {
      await emu.close();
    }
  });

  void test("Basic over HTTPS with the emulator's CA as ca_trust_path", async () => {
    const host = fakeHost();
    host.config.set("winrm/config/service/auth", { Basic: "true" });
    const emu = await WinRMEmulator.start({ host, users: [{ username: "alice", password: PASSWORD }], tls: true });
    try {
      const ca = join(dir, "ca.pem");
      writeFileSync(ca, emu.caPem ?? "");
      const url = emu.url.replace("127.0.0.1", "localhost");
      const r = await run(url, "basic", "alice", PASSWORD, "echo over tls", ca);
      assert.deepEqual(r, { std_out: "over tls\r\n", std_err: "", status_code: 0 });
      const soap = emu.requests.filter((e) => e.bodyBytes > 0);
      assert.ok(soap.every((e) => e.authScheme === "Basic" && !e.encrypted && e.status === 200), JSON.stringify(soap));
    } finally {
      await emu.close();
    }
  });

  void test("Basic over HTTP is refused while AllowUnencrypted=false (as Windows does)", async () => {
    const host = fakeHost();
    host.config.set("winrm/config/service/auth", { Basic: "true" });
    const emu = await WinRMEmulator.start({ host, users: [{ username: "alice", password: PASSWORD }] });
    try {
      const r = await run(emu.url, "basic", "alice", PASSWORD, "echo x");
      assert.equal(r.type, "InvalidCredentialsError", JSON.stringify(r));
    } finally {
      await emu.close();
    }
  });
});
