/**
 * Every exit status `winrm-proxy --help` documents, one test each, with the CLI spawned as a user runs it:
 * - 0..255: the remote command's exit code; 1: a code outside 0..255 (the full code in --json);
 * - 2: a usage or configuration error, nothing sent (the emulator sees no connection);
 * - 255: the host could not be reached, authentication failed, or the protocol failed (TLS hostname mismatch, a
 *   server that is not WinRM).
 * And --json failures of exec, identify and probe: `{"error":{"code","message"}}` on stdout, same exit status. Errors
 * name the flag the user gave (`--ca`, `--server-name`), never the library's field (`tls.ca`).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";

import { EmulatedHost } from "../../provider/src/testing/index.js";
import { WinRMEmulator } from "../../provider/src/testing/index.js";
import { runCli, type CliResult } from "./cliHarness.js";

const USER = "CORP\\deploy";
const PASSWORD = "Ex1t-Status-pw!";
const PW_ENV = "EXIT_TEST_PASSWORD";
const ENV = { [PW_ENV]: PASSWORD };
/** The WINRM_* defaults must not leak in from the environment the tests run in. */
const UNSET = ["WINRM_ENDPOINT", "WINRM_USERNAME", "WINRM_PASSWORD"];

interface JsonFailure {
  error: { code: string; message: string; flag?: string };
}

function jsonFailure(r: CliResult): JsonFailure {
  assert.equal(r.stderr, "", "with --json a failure goes to stdout only");
  const parsed = JSON.parse(r.stdout) as JsonFailure;
  assert.equal(typeof parsed.error.code, "string");
  assert.equal(typeof parsed.error.message, "string");
  assert.ok(!r.stdout.includes(PASSWORD));
  return parsed;
}

function noSecret(r: CliResult): void {
  assert.ok(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD), "the password appeared in the output");
}

/** A port nothing listens on: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe("winrm-proxy exit statuses", { concurrency: false }, () => {
  let dir = "";
  let http!: WinRMEmulator;
  let https!: WinRMEmulator;
  let notWinRM!: Server;
  let notWinRMUrl = "";
  let caFile = "";
  let notPem = "";

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "winrm-cli-exit-"));
    const host = () => new EmulatedHost({ profile: "win2019", locale: "en-US", computerName: "EXITHOST", domain: "CORP" });
    [http, https] = await Promise.all([
      WinRMEmulator.start({ host: host(), users: [{ username: USER, password: PASSWORD }] }),
      WinRMEmulator.start({ host: host(), users: [{ username: USER, password: PASSWORD }], tls: true }),
    ]);
    caFile = join(dir, "ca.pem");
    writeFileSync(caFile, https.caPem ?? "");
    notPem = join(dir, "not-a-cert.pem");
    writeFileSync(notPem, "this is not a certificate\n");
    // An HTTP server that is not WinRM: every request gets a web page.
    notWinRM = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(200, { "content-type": "text/html" });
        res.end("<html><body>It works!</body></html>");
      });
    });
    await new Promise<void>((resolve) => notWinRM.listen(0, "127.0.0.1", resolve));
    notWinRMUrl = `http://127.0.0.1:${(notWinRM.address() as AddressInfo).port}/wsman`;
  });

  after(async () => {
    await Promise.all([http.close(), https.close(), new Promise<void>((resolve) => notWinRM.close(() => resolve()))]);
    rmSync(dir, { recursive: true, force: true });
  });

  const flags = (e: WinRMEmulator, extra: string[] = []) => ["--endpoint", e.url, "--username", USER, "--password-env", PW_ENV, ...extra];
  const cli = (args: string[], env: Record<string, string> = ENV) => runCli(args, { env, unset: UNSET });

  /** Runs `fn`; asserts the emulator saw no connection meanwhile. */
  async function nothingSent<T>(e: WinRMEmulator, fn: () => Promise<T>): Promise<T> {
    const before = { connections: e.connections, requests: e.requests.length };
    const result = await fn();
    assert.deepEqual({ connections: e.connections, requests: e.requests.length }, before, "nothing may reach the host");
    return result;
  }

  test("0: the remote command succeeded", async () => {
    const r = await cli(["exec", ...flags(http), "--", "hostname"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "EXITHOST\r\n");
  });

  test("1..255: the remote command's own exit code (42, 255)", async () => {
    const r = await cli(["exec", ...flags(http), "--", "exit /b 42"]);
    assert.equal(r.status, 42, r.stderr);
    assert.equal(r.stderr, "");
    const top = await cli(["exec", ...flags(http), "--json", "--", "exit /b 255"]);
    assert.equal(top.status, 255);
    assert.deepEqual(JSON.parse(top.stdout), { stdout: "", stderr: "", exitCode: 255 }, "--json tells a remote 255 from a failure");
  });

  test("1: a remote code outside 0..255 (256 would read as 0, 9009 as 49)", async () => {
    for (const code of [256, 9009]) {
      const r = await cli(["exec", ...flags(http), "--json", "--", `exit /b ${code}`]);
      assert.equal(r.status, 1, r.stdout);
      assert.equal((JSON.parse(r.stdout) as { exitCode: number }).exitCode, code);
    }
  });

  test("2: a usage error (unknown flag, missing endpoint, bad number); nothing sent", async () => {
    const unknown = await nothingSent(http, () => cli(["exec", ...flags(http), "--shel", "cmd", "--", "hostname"]));
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /^winrm-proxy: .*--shel/);
    const missing = await cli(["identify", "--username", USER, "--password-env", PW_ENV]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /--endpoint is required/);
    const bad = await nothingSent(http, () => cli(["exec", ...flags(http), "--connect-attempts", "0", "--", "hostname"]));
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--connect-attempts must be a whole number from 1 to 100/);
  });

  test("2: a configuration error names the flag (--ca: is not a PEM certificate), not tls.ca; nothing sent", async () => {
    const r = await nothingSent(https, () => cli(["exec", ...flags(https, ["--ca", notPem]), "--", "hostname"]));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^winrm-proxy: --ca: is not a PEM certificate/);
    assert.ok(!r.stderr.includes("tls.ca"), r.stderr);
    const onHttp = await nothingSent(http, () => cli(["exec", ...flags(http, ["--ca", caFile]), "--", "hostname"]));
    assert.equal(onHttp.status, 2);
    assert.match(onHttp.stderr, /^winrm-proxy: --ca: applies only to https:\/\/ endpoints/);
  });

  test("2: a rule refuses the path (Basic over http://, named as --auth); nothing sent", async () => {
    const r = await nothingSent(http, () => cli(["exec", ...flags(http, ["--auth", "basic"]), "--", "hostname"]));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^winrm-proxy: --auth: basic over http:\/\//);
    noSecret(r);
  });

  test("255: the host cannot be reached (connection refused), at once with the CLI's one attempt", async () => {
    const port = await closedPort();
    const r = await cli(["exec", "--endpoint", `http://127.0.0.1:${port}/wsman`, "--username", USER, "--password-env", PW_ENV, "--", "hostname"]);
    assert.equal(r.status, 255, r.stderr);
    assert.match(r.stderr, /ECONNREFUSED/);
    assert.equal(r.stdout, "");
  });

  test("255: authentication failed (a wrong password)", async () => {
    const r = await cli(["exec", ...flags(http), "--", "hostname"], { [PW_ENV]: "Wr0ng-pw" });
    assert.equal(r.status, 255, r.stderr);
    assert.match(r.stderr, /WINRM_AUTH_FAILED/);
  });

  test("255: TLS hostname mismatch (exited 13 while close() never settled), naming --server-name; no request", async () => {
    const before = https.requests.length;
    const r = await cli(["exec", ...flags(https, ["--ca", caFile, "--server-name", "wrong.example"]), "--", "hostname"]);
    assert.equal(r.status, 255, r.stderr);
    assert.match(r.stderr, /does not name this host/);
    assert.match(r.stderr, /--server-name/);
    assert.ok(!r.stderr.includes("tls.serverName"), r.stderr);
    assert.equal(https.requests.length, before, "no HTTP request over a TLS connection that failed verification");
  });

  test("255: the protocol failed (a web server that is not WinRM)", async () => {
    const r = await cli(["exec", "--endpoint", notWinRMUrl, "--username", USER, "--password-env", PW_ENV, "--", "hostname"]);
    assert.equal(r.status, 255, r.stderr);
    assert.match(r.stderr, /^winrm-proxy: .+ \[WINRM_[A-Z_]+\]\n$/);
    noSecret(r);
  });

  describe("--json failures: {\"error\":{\"code\",\"message\"}} on stdout, the same exit status", () => {
    test("exec: usage (2), configuration (2, flag named), unreachable (255), TLS mismatch (255)", async () => {
      const usage = jsonFailure(await cli(["exec", "--json", ...flags(http), "--timeout", "soon", "--", "hostname"]));
      assert.deepEqual(usage.error, { code: "WINRM_USAGE", message: '--timeout must be a positive whole number, got "soon"', flag: "--timeout" });

      const cfg = await cli(["exec", "--json", ...flags(https, ["--ca", notPem]), "--", "hostname"]);
      assert.equal(cfg.status, 2);
      const c = jsonFailure(cfg);
      assert.equal(c.error.code, "WINRM_CONFIG");
      assert.equal(c.error.flag, "--ca");
      assert.match(c.error.message, /^--ca: is not a PEM certificate/);

      const port = await closedPort();
      const down = await cli(["exec", "--json", "--endpoint", `http://127.0.0.1:${port}`, "--username", USER, "--password-env", PW_ENV, "--", "hostname"]);
      assert.equal(down.status, 255);
      assert.equal(jsonFailure(down).error.code, "WINRM_CONNECTION");

      const tls = await cli(["exec", "--json", ...flags(https, ["--ca", caFile, "--server-name", "wrong.example"]), "--", "hostname"]);
      assert.equal(tls.status, 255);
      assert.match(jsonFailure(tls).error.message, /--server-name/);
    });

    test("identify: a wrong password (255) and a refused path (2)", async () => {
      const auth = await cli(["identify", "--json", ...flags(http)], { [PW_ENV]: "Wr0ng-pw" });
      assert.equal(auth.status, 255);
      assert.equal(jsonFailure(auth).error.code, "WINRM_AUTH_FAILED");
      const refused = await nothingSent(http, () => cli(["identify", "--json", ...flags(http, ["--encryption", "never"])]));
      assert.equal(refused.status, 2);
      const e = jsonFailure(refused).error;
      assert.equal(e.code, "WINRM_INSECURE_PROXY_PATH");
      assert.equal(e.flag, "--encryption");
    });

    test("probe: a usage error before the walk is the same shape; a failed walk's report carries the same error", async () => {
      const usage = await cli(["probe", "--json", "--endpoint", http.url, "--username", USER]);
      assert.equal(usage.status, 2);
      assert.equal(jsonFailure(usage).error.flag, "--password-env");

      const refused = await nothingSent(http, () => cli(["probe", "--json", ...flags(http, ["--auth", "basic"])]));
      assert.equal(refused.status, 2);
      const report = JSON.parse(refused.stdout) as JsonFailure & { ok: boolean };
      assert.equal(report.ok, false);
      assert.equal(report.error.code, "WINRM_INSECURE_PROXY_PATH");
      assert.match(report.error.message, /^--auth: basic over http:\/\//);
    });
  });
});
