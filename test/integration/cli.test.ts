/**
 * The `winrm-proxy` command line, spawned as a user runs it, against the emulated Windows host with its real cmd
 * interpreter (host/host.ts), on every profile: NTLM + WinRM message encryption over HTTP (MS-WSMV 2.2.9.1: every
 * SOAP body sealed, the handshake on empty bodies, 3.1.4.1.28), HTTPS with a CA file and Basic, the host tools
 * (netsh winhttp / proxycfg), output code pages (OEM cp850 on a Spanish 2003, UTF-8 on 2019), PowerShell, stdin, and
 * the refusals that must happen before any byte leaves (exit 2 and an untouched emulator).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { EmulatedHost } from "../../provider/src/testing/index.js";
import type { Locale } from "../../provider/src/testing/index.js";
import { PROFILE_NAMES, getProfile, type ProfileName } from "../../provider/src/testing/index.js";
import { WinRMEmulator, type RequestLogEntry } from "../../provider/src/testing/index.js";
import { runCli, type CliResult } from "./cliHarness.js";

const DOMAIN = "CORP";
const USER = `${DOMAIN}\\deploy`;
/** Distinctive, so a leak into any output is unmistakable. */
const PASSWORD = "Zq7!cli-S3cret-pw";
const WRONG_PASSWORD = "Wr0ng!cli-Guess-pw";
const PW_ENV = "WINRM_CLI_TEST_PASSWORD";

const tmp = mkdtempSync(join(tmpdir(), "winrm-cli-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A NetBIOS-length name that differs per profile, so `hostname` proves which host answered. */
function computerName(profile: ProfileName, locale: Locale): string {
  return `${locale === "en-US" ? "CLI" : "ES"}-${profile.toUpperCase()}`.slice(0, 15);
}

interface Emu {
  host: EmulatedHost;
  emu: WinRMEmulator;
  /** Raw stdout bytes of every command the host ran, in order (what went on the wire before the client decoded it). */
  rawStdout: Buffer[];
}

async function startEmu(profile: ProfileName, opts: { tls?: boolean; locale?: Locale } = {}): Promise<Emu> {
  const locale = opts.locale ?? "en-US";
  const host = new EmulatedHost({ profile, locale, computerName: computerName(profile, locale), domain: DOMAIN });
  const rawStdout: Buffer[] = [];
  const start = host.startCommand.bind(host);
  host.startCommand = (commandLine, o) => {
    const cmd = start(commandLine, o);
    return {
      readsStdin: cmd.readsStdin,
      run: async (stdin: Buffer) => {
        const r = await cmd.run(stdin);
        rawStdout.push(r.stdout);
        return r;
      },
    };
  };
  const emu = await WinRMEmulator.start({ host, users: [{ username: USER, password: PASSWORD }], tls: opts.tls === true });
  return { host, emu, rawStdout };
}

/** Connection flags for an emulator; the password travels only in the environment. */
function conn(e: Emu, extra: string[] = []): string[] {
  return ["--endpoint", e.emu.url, "--username", USER, "--password-env", PW_ENV, ...extra];
}

function exec(e: Emu, flags: string[], command: string[], password = PASSWORD): Promise<CliResult> {
  return runCli(["exec", ...conn(e, flags), "--", ...command], { env: { [PW_ENV]: password } });
}

/** Runs `fn` and returns the log entries the emulator wrote meanwhile (tests in a file run one at a time). */
async function logged<T>(e: Emu, fn: () => Promise<T>): Promise<{ result: T; entries: RequestLogEntry[]; newConnections: number }> {
  const n = e.emu.requests.length;
  const c = e.emu.connections;
  const result = await fn();
  return { result, entries: e.emu.requests.slice(n), newConnections: e.emu.connections - c };
}

function ok(r: CliResult, what: string): void {
  assert.equal(r.status, 0, `${what}: exit ${String(r.status)}, stderr: ${r.stderr}`);
}

function noSecret(r: CliResult): void {
  for (const pw of [PASSWORD, WRONG_PASSWORD]) {
    assert.ok(!r.stdout.includes(pw) && !r.stderr.includes(pw), "a password appeared in the CLI's output");
  }
}

/** The refusals: exit 2 before anything is sent, so the emulator saw neither a connection nor a request. */
async function assertRefused(e: Emu, args: string[], env: Record<string, string>, stderrPattern: RegExp, unset: string[] = []): Promise<void> {
  const before = { requests: e.emu.requests.length, connections: e.emu.connections };
  const r = await runCli(args, { env, unset });
  assert.equal(r.status, 2, `expected a usage refusal, got exit ${String(r.status)}: ${r.stderr}`);
  assert.match(r.stderr, stderrPattern);
  assert.equal(r.stdout, "");
  noSecret(r);
  assert.deepEqual({ requests: e.emu.requests.length, connections: e.emu.connections }, before, "nothing may reach the host");
}

// The profiles share nothing (each has its own emulators and log snapshots), so their suites run side by side; the
// tests inside one suite run in order, as the request-log snapshots need.
void describe("winrm-proxy CLI, every profile", { concurrency: true }, () => {
  for (const profile of PROFILE_NAMES) {
    // concurrency is inherited: this suite's tests must run one after the other (log snapshots, config changes).
    void describe(`winrm-proxy CLI on ${profile}`, { concurrency: false }, () => {
      let http!: Emu;
      let https!: Emu;
      /** Never contacted by a successful test: the refusal tests assert it stays at zero requests and connections. */
      let untouched!: Emu;
      let caFile = "";

      before(async () => {
        [http, https, untouched] = await Promise.all([startEmu(profile), startEmu(profile, { tls: true }), startEmu(profile)]);
        caFile = join(tmp, `${profile}-ca.pem`);
        writeFileSync(caFile, https.emu.caPem ?? "");
      });
      after(async () => {
        await Promise.all([http.emu.close(), https.emu.close(), untouched.emu.close()]);
      });

      void test("HTTP + NTLM: hostname prints the computer name; every SOAP body sealed, handshake on empty bodies", async () => {
        const { result: r, entries } = await logged(http, () => exec(http, [], ["hostname"]));
        ok(r, "hostname");
        assert.equal(r.stdout, `${http.host.computerName}\r\n`);
        assert.equal(r.stderr, "");
        noSecret(r);

        const soap = entries.filter((x) => x.action !== undefined);
        const handshake = entries.filter((x) => x.action === undefined);
        assert.ok(soap.some((x) => x.action?.endsWith("/Command")), "a Command was sent");
        assert.deepEqual(
          soap.filter((x) => !x.encrypted).map((x) => x.action),
          [],
          "every SOAP request is multipart/encrypted",
        );
        assert.ok(soap.every((x) => x.status === 200 && x.authState === "authenticated" && x.user === USER));
        // NEGOTIATE then AUTHENTICATE (Flow A), each on an empty body, then nothing but sealed messages.
        assert.deepEqual(
          handshake.map((x) => ({ scheme: x.authScheme, bytes: x.bodyBytes, encrypted: x.encrypted, status: x.status })),
          [
            { scheme: "Negotiate", bytes: 0, encrypted: false, status: 401 },
            { scheme: "Negotiate", bytes: 0, encrypted: false, status: 200 },
          ],
        );
        assert.deepEqual(entries.slice(0, 2), handshake, "the handshake comes first");
      });

      void test("HTTP: stdout and stderr stay apart and the exit status is the command's (7)", async () => {
        const { result: r, entries } = await logged(http, () => exec(http, [], ["echo out & echo err 1>&2 & exit /b 7"]));
        // cmd drops the redirection but keeps the blanks around it: echo prints "out " and "err  " (two blanks).
        assert.equal(r.status, 7, r.stderr);
        assert.equal(r.stdout, "out \r\n");
        assert.equal(r.stderr, "err  \r\n");
        // Not vacuous: the Command itself is among the logged requests.
        assert.ok(entries.some((x) => x.action?.endsWith("/Command") && x.encrypted), "the Command went out sealed");
        assert.ok(entries.every((x) => x.action === undefined || x.encrypted));
      });

      void test("HTTP: --json carries the same stdout, stderr and exit code", async () => {
        const r = await exec(http, ["--json"], ["echo out & echo err 1>&2 & exit /b 7"]);
        assert.equal(r.status, 7, r.stderr);
        assert.equal(r.stderr, "");
        assert.deepEqual(JSON.parse(r.stdout), { stdout: "out \r\n", stderr: "err  \r\n", exitCode: 7 });
        const h = await exec(http, ["--json"], ["hostname"]);
        ok(h, "hostname --json");
        assert.deepEqual(JSON.parse(h.stdout), { stdout: `${http.host.computerName}\r\n`, stderr: "", exitCode: 0 });
      });

      void test("a Windows exit code beyond 8 bits still fails the CLI (1); --json keeps the full code", async () => {
        // 256 & 0xFF would be 0: a failed command reported as success.
        const r = await exec(http, [], ["exit /b 256"]);
        assert.equal(r.status, 1);
        const j = await exec(http, ["--json"], ["exit /b 256"]);
        assert.equal(j.status, 1);
        assert.equal((JSON.parse(j.stdout) as { exitCode: number }).exitCode, 256);
      });

      void test("identify --json reports the profile's product version", async () => {
        const r = await runCli(["identify", ...conn(http), "--json"], { env: { [PW_ENV]: PASSWORD } });
        ok(r, "identify");
        const id = JSON.parse(r.stdout) as { productVersion: string; productVendor: string };
        assert.equal(id.productVersion, http.host.profile.productVersion);
        assert.equal(id.productVendor, "Microsoft Corporation");
      });

      void test("HTTPS with --ca: hostname over TLS (no second encryption layer); without --ca the certificate is refused", async () => {
        const { result: r, entries } = await logged(https, () => exec(https, ["--ca", caFile], ["hostname"]));
        ok(r, "hostname over https");
        assert.equal(r.stdout, `${https.host.computerName}\r\n`);
        assert.ok(entries.some((x) => x.action?.endsWith("/Command")));
        assert.ok(entries.every((x) => !x.encrypted), "encryption auto: TLS protects https://");

        const { result: bad, entries: none } = await logged(https, () => exec(https, [], ["hostname"]));
        assert.equal(bad.status, 255, bad.stderr);
        assert.deepEqual(none, [], "no HTTP request over an unverified TLS connection");
        noSecret(bad);
      });

      void test("HTTPS + Basic: refused while Service/Auth/Basic=false, works once the host enables it", async () => {
        const basic = ["--ca", caFile, "--auth", "basic"];
        assert.equal(https.host.config.serviceAuth.basic, false, "Windows ships with Basic disabled");
        const { result: off, entries: offLog } = await logged(https, () => exec(https, basic, ["hostname"]));
        assert.equal(off.status, 255, off.stderr);
        assert.match(off.stderr, /basic/i);
        noSecret(off);
        assert.ok(offLog.length <= 1, `one refused request, no loop (${offLog.length})`);

        https.host.config.set("winrm/config/service/auth", { Basic: "true" });
        try {
          const { result: r, entries } = await logged(https, () => exec(https, basic, ["hostname"]));
          ok(r, "basic over https");
          assert.equal(r.stdout, `${https.host.computerName}\r\n`);
          assert.ok(entries.length > 0 && entries.every((x) => x.authScheme === "Basic" && x.status === 200 && x.user === USER));
          noSecret(r);
        } finally {
          https.host.config.set("winrm/config/service/auth", { Basic: "false" });
        }
      });

      const hostTool = proxyTool(profile);
      void test(`the host's proxy tool: ${hostTool.command.join(" ")}`, async () => {
        const r = await exec(http, [], hostTool.command);
        ok(r, hostTool.command.join(" "));
        for (const line of hostTool.expect) assert.ok(r.stdout.includes(line), `missing ${JSON.stringify(line)} in ${JSON.stringify(r.stdout)}`);
        const other = await exec(http, [], hostTool.absent);
        assert.notEqual(other.status, 0, `${hostTool.absent.join(" ")} does not exist on ${profile}`);
      });

      if (getProfile(profile).hasPowerShell) {
        void test("PowerShell: --shell powershell -- Write-Output $env:COMPUTERNAME", async () => {
          const r = await exec(http, ["--shell", "powershell"], ["Write-Output $env:COMPUTERNAME"]);
          ok(r, "powershell");
          assert.equal(r.stdout.trimEnd(), http.host.computerName);
          assert.equal(r.stderr, "");
          const j = await exec(http, ["--shell", "powershell", "--json"], ["Write-Output $env:COMPUTERNAME; exit 4"]);
          assert.equal(j.status, 4, j.stderr);
          assert.equal((JSON.parse(j.stdout) as { stdout: string }).stdout.trimEnd(), http.host.computerName);
        });
      } else {
        void test("PowerShell is absent: cmd's 'not recognized' and exit 9009 come through", async () => {
          const r = await exec(http, ["--shell", "powershell", "--json"], ["Write-Output $env:COMPUTERNAME"]);
          assert.equal(r.status, 1, "9009 does not fit an exit status: reported as 1");
          const j = JSON.parse(r.stdout) as { stdout: string; stderr: string; exitCode: number };
          assert.equal(j.exitCode, 9009);
          assert.equal(j.stdout, "");
          assert.match(j.stderr, /^'powershell' is not recognized as an internal or external command,/);
        });
      }

      void test("--stdin FILE: more and findstr read it back", async () => {
        const file = join(tmp, `${profile}-stdin.txt`);
        writeFileSync(file, "alpha one\r\nbeta two\r\ngamma three\r\n");
        const more = await exec(http, ["--stdin", file], ["more"]);
        ok(more, "more");
        assert.equal(more.stdout, "alpha one\r\nbeta two\r\ngamma three\r\n");
        const find = await exec(http, ["--stdin", file], ["findstr", "beta"]);
        ok(find, "findstr");
        assert.equal(find.stdout, "beta two\r\n");
        const miss = await exec(http, ["--stdin", file], ["findstr", "delta"]);
        assert.equal(miss.status, 1, "findstr without a match exits 1");
        assert.equal(miss.stdout, "");
      });

      void test("refused before sending: Basic over http://", async () => {
        await assertRefused(
          untouched,
          ["exec", ...conn(untouched, ["--auth", "basic"]), "--", "hostname"],
          { [PW_ENV]: PASSWORD },
          /basic/i,
        );
      });

      void test("refused before sending: --encryption never over http://", async () => {
        await assertRefused(
          untouched,
          ["exec", ...conn(untouched, ["--encryption", "never"]), "--", "hostname"],
          { [PW_ENV]: PASSWORD },
          /encrypt/i,
        );
      });

      void test("refused before sending: the --password-env variable is not set", async () => {
        await assertRefused(untouched, ["exec", ...conn(untouched), "--", "hostname"], {}, new RegExp(PW_ENV), [PW_ENV]);
        // And without the flag at all.
        await assertRefused(
          untouched,
          ["exec", "--endpoint", untouched.emu.url, "--username", USER, "--", "hostname"],
          { [PW_ENV]: PASSWORD },
          /--password-env/,
        );
      });

      void test("refused before sending: an unknown flag", async () => {
        await assertRefused(untouched, ["exec", ...conn(untouched, ["--pasword", "x"]), "--", "hostname"], { [PW_ENV]: PASSWORD }, /--pasword/);
        await assertRefused(untouched, ["identify", ...conn(untouched, ["--shell", "cmd"])], { [PW_ENV]: PASSWORD }, /--shell/);
      });

      void test("wrong password: exit 255, mechanism and stage named, no password, one handshake (no 401 loop)", async () => {
        const { result: r, entries, newConnections } = await logged(http, () => exec(http, [], ["hostname"], WRONG_PASSWORD));
        assert.equal(r.status, 255, r.stderr);
        assert.equal(r.stdout, "");
        assert.match(r.stderr, /ntlm/i, "names the mechanism");
        assert.match(r.stderr, /AUTHENTICATE/, "names the stage");
        assert.match(r.stderr, /WINRM_AUTH_FAILED/);
        noSecret(r);
        assert.equal(newConnections, 1);
        assert.ok(entries.length >= 1 && entries.length <= 2, `NEGOTIATE + AUTHENTICATE at most, got ${entries.length}`);
        assert.ok(entries.every((x) => x.action === undefined && x.bodyBytes === 0 && x.status === 401), "no SOAP, no body, no success");
        assert.ok(entries.every((x) => x.authState !== "authenticated"));
      });
    });
  }

  // Beside the profiles (this suite's concurrency), not after them: the file stays within the per-file timeout.
  void describe("winrm-proxy CLI on Spanish (es-ES) hosts: output decoded from the host's code page", () => {
    let es2003!: Emu;
    let es2019!: Emu;
    before(async () => {
      [es2003, es2019] = await Promise.all([startEmu("win2003r2", { locale: "es-ES" }), startEmu("win2019", { locale: "es-ES" })]);
    });
    after(async () => {
      await Promise.all([es2003.emu.close(), es2019.emu.close()]);
    });

    void test("win2003r2 es-ES: proxycfg and ver printed in cp850 arrive as the right characters", async () => {
      const r = await exec(es2003, [], ["proxycfg"]);
      ok(r, "proxycfg");
      assert.ok(r.stdout.includes("Configuración actual del proxy de WinHTTP en:"), r.stdout);
      assert.ok(r.stdout.includes("Acceso directo (sin servidor proxy)."), r.stdout);
      assert.ok(!r.stdout.includes("\uFFFD"));
      // The host really printed in its OEM page: "ó" is 0xA2 in cp850 (not UTF-8's C3 B3).
      const raw = es2003.rawStdout.at(-1) ?? Buffer.alloc(0);
      assert.ok(raw.includes(Buffer.from("Configuraci\xA2n", "latin1")), "proxycfg output was cp850 on the wire");
      // And the CLI wrote UTF-8 to its own stdout.
      assert.ok(r.stdoutBytes.includes(Buffer.from("Configuración", "utf8")));

      const ver = await exec(es2003, [], ["ver"]);
      ok(ver, "ver");
      assert.equal(ver.stdout, "\r\nMicrosoft Windows [Versión 5.2.3790]\r\n");
    });

    void test("win2019 es-ES: netsh winhttp show proxy via UTF-8", async () => {
      const r = await exec(es2019, [], ["netsh", "winhttp", "show", "proxy"]);
      ok(r, "netsh");
      assert.ok(r.stdout.includes("Configuración actual del proxy de WinHTTP:"), r.stdout);
      assert.ok(r.stdout.includes("Acceso directo (sin servidor proxy)."), r.stdout);
      const raw = es2019.rawStdout.at(-1) ?? Buffer.alloc(0);
      assert.ok(raw.includes(Buffer.from("Configuración", "utf8")), "netsh output was UTF-8 (code page 65001) on the wire");
    });
  });
});

/** What a user runs on each profile to see the machine's WinHTTP proxy, and the tool that does not exist there. */
function proxyTool(profile: ProfileName): { command: string[]; expect: string[]; absent: string[] } {
  if (profile === "win2003r2") {
    return {
      command: ["proxycfg"],
      expect: ["Current WinHTTP proxy settings under:", "Direct access (no proxy server)."],
      absent: ["netsh", "winhttp", "show", "proxy"],
    };
  }
  return {
    command: ["netsh", "winhttp", "show", "proxy"],
    expect: ["Current WinHTTP proxy settings:", "Direct access (no proxy server)."],
    absent: ["proxycfg"],
  };
}
