/**
 * The independent check of CredSSP message encryption's wire format (MS-WSMV 2.2.9.1.3): Debian's pywinrm 0.3.0 with
 * transport 'credssp' over http:// against the emulated host. requests-credssp is not in Debian, so
 * test/peers/credssp_shim/requests_credssp.py stands in for its HttpCredSSPAuth (Python's OpenSSL TLS in memory,
 * python3-ntlm-auth inside); the sealing, framing, trailer length, 16 KiB chunking and decryption are pywinrm's own
 * winrm/encryption.py. It runs through the recording proxy (forward, as requests does with HTTP_PROXY), which shows
 * multipart/x-multi-encrypted in both directions and nothing readable.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { WinRMEmulator } from "../../provider/src/testing/index.js";
import { testHost } from "./clientTestHost.js";
import { PYTHON, pywinrmMissing, runJsonDriver, writeOpensslLegacyConf } from "../peers/python.js";
import { assertNothingLeaked, RecordingProxy } from "../peers/recordingProxy.js";

const DRIVER = fileURLToPath(new URL("../../../test/peers/pywinrm_credssp.py", import.meta.url));
const USER = "WIN-TEST\\alice";
const PASSWORD = "Cr3dSSP-over-http!";
const LONG_ARGUMENT = "sealed-".repeat(3000);

/** pywinrm, and what the requests-credssp stand-in needs (python3-ntlm-auth, python3-cryptography). */
function missing(): string | false {
  const base = pywinrmMissing();
  if (base !== false) return base;
  const r = spawnSync(PYTHON, ["-c", "import ntlm_auth, cryptography"], { encoding: "utf8" });
  return r.status === 0 ? false : "python3-ntlm-auth or python3-cryptography is not installed; run scripts/setup.sh";
}

interface PyResult {
  results?: { std_out: string; status_code: number }[];
  cipher?: string;
  type?: string;
  error?: string;
}

void describe("pywinrm's CredSSP message encryption against the emulated host", { skip: missing() }, () => {
  let dir: string;
  let opensslConf: string;
  let emu: WinRMEmulator;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "pywinrm-credssp-"));
    opensslConf = writeOpensslLegacyConf(dir);
    const host = testHost("win2019");
    host.config.set("winrm/config/service/auth", { CredSSP: "true" });
    emu = await WinRMEmulator.start({ host, users: [{ username: USER, password: PASSWORD }] });
  });
  after(async () => {
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function run(password: string, proxyUrl: string, url = emu.url): Promise<PyResult> {
    return runJsonDriver([DRIVER, url, USER, password], { OPENSSL_CONF: opensslConf, HTTP_PROXY: proxyUrl, NO_PROXY: "" });
  }

  test("pywinrm runs commands sealed with CredSSP; over 16 KiB both ways as x-multi-encrypted; nothing in clear", async () => {
    const proxy = await RecordingProxy.start();
    try {
      const start = emu.requests.length;
      const r = await run(PASSWORD, proxy.url);
      assert.equal(r.error, undefined, `${r.type}: ${r.error}`);
      assert.deepEqual(r.results, [
        { std_out: "pywinrm-credssp\r\n", status_code: 0 },
        { std_out: `${LONG_ARGUMENT}\r\n`, status_code: 0 },
      ]);
      const soap = emu.requests.slice(start).filter((e) => e.action !== undefined);
      assert.ok(soap.length >= 10 && soap.every((e) => e.encrypted && e.user !== undefined), JSON.stringify(soap));
      assert.ok(emu.requests.slice(start).some((e) => e.authScheme === "CredSSP"));
      const up = proxy.bytes("up").toString("latin1");
      const down = proxy.bytes("down").toString("latin1");
      const multi = 'multipart/x-multi-encrypted;protocol="application/HTTP-CredSSP-session-encrypted"';
      assert.ok(up.includes(multi), "pywinrm chunked its Command message");
      assert.ok(down.includes(multi), "the host chunked its Receive answer, and pywinrm read it");
      assertNothingLeaked(proxy, { passwords: [PASSWORD] });
      assert.ok(!up.includes("sealed-sealed-") && !down.includes("sealed-sealed-"), "no command text in clear");
    } finally {
      await proxy.close();
    }
  });

  test("a wrong password is refused: the host's TSRequest errorCode is STATUS_LOGON_FAILURE", async () => {
    const proxy = await RecordingProxy.start();
    try {
      const start = emu.requests.length;
      const r = await run("Wr0ng-password", proxy.url);
      assert.equal(r.results, undefined);
      assert.match(r.error ?? "", /refused the logon \(NTSTATUS 0xc000006d\)/);
      assert.ok(!emu.requests.slice(start).some((e) => e.action !== undefined), "no SOAP message was accepted");
    } finally {
      await proxy.close();
    }
  });

  // The host checks every part's LE32 against the trailer of its record (auth/credsspSealer.ts checkTrailer): with CBC
  // suites that is MAC + padding, which pywinrm computes on its own from the suite name.
  for (const suite of ["ECDHE-RSA-AES256-SHA384", "ECDHE-RSA-AES128-SHA256", "AES128-SHA"]) {
    test(`a host whose CredSSP TLS offers only ${suite} (CBC): pywinrm's trailer lengths are the host's`, async () => {
      const host = testHost("win2019");
      host.config.set("winrm/config/service/auth", { CredSSP: "true" });
      const cbc = await WinRMEmulator.start({ host, users: [{ username: USER, password: PASSWORD }], credssp: { tlsCiphers: suite } });
      const proxy = await RecordingProxy.start();
      try {
        const r = await run(PASSWORD, proxy.url, cbc.url);
        assert.equal(r.error, undefined, `${r.type}: ${r.error}`);
        assert.equal(r.cipher, suite);
        assert.equal(r.results?.[1]?.std_out, `${LONG_ARGUMENT}\r\n`);
        assert.ok(cbc.requests.filter((e) => e.action !== undefined).every((e) => e.encrypted && e.status === 200));
      } finally {
        await proxy.close();
        await cbc.close();
      }
    });
  }
});
