/**
 * `winrm-proxy exec -- WORDS...` against the emulated host's cmd interpreter: several words are quoted token by token,
 * so `netsh winhttp set proxy p:80 "<local>"` sets the bypass list `<local>` (joined unquoted, cmd read `<local>` as
 * a redirection from a file named "local"), `%NAME%` is not expanded, `&` runs nothing else; one word is a command
 * line of its own; --raw joins as typed; PowerShell words arrive literally. Also the WINRM_* defaults end to end.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { EmulatedHost } from "../../provider/src/testing/index.js";
import { WinRMEmulator } from "../../provider/src/testing/index.js";
import { runCli } from "./cliHarness.js";

const USER = "CORP\\deploy";
const PASSWORD = "Qu0ting-pw!";
const PW_ENV = "QUOTING_TEST_PASSWORD";
const UNSET = ["WINRM_ENDPOINT", "WINRM_USERNAME", "WINRM_PASSWORD"];

describe("winrm-proxy exec: the words after -- run as typed", { concurrency: false }, () => {
  let host!: EmulatedHost;
  let emu!: WinRMEmulator;
  let dir = "";

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "winrm-cli-quoting-"));
    host = new EmulatedHost({ profile: "win2019", locale: "en-US", computerName: "QUOTEHOST", domain: "CORP" });
    emu = await WinRMEmulator.start({ host, users: [{ username: USER, password: PASSWORD }] });
  });
  after(async () => {
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const exec = (flags: string[], words: string[], env: Record<string, string> = {}) =>
    runCli(["exec", "--endpoint", emu.url, "--username", USER, "--password-env", PW_ENV, ...flags, "--", ...words], {
      env: { [PW_ENV]: PASSWORD, ...env },
      unset: UNSET,
    });

  /** The Command lines the host received while `fn` ran. */
  async function commandsSent(fn: () => Promise<unknown>): Promise<string[]> {
    const lines: string[] = [];
    const start = host.startCommand.bind(host);
    host.startCommand = (line, o) => {
      lines.push(line);
      return start(line, o);
    };
    try {
      await fn();
    } finally {
      host.startCommand = start;
    }
    return lines;
  }

  test('netsh winhttp set proxy p:80 "<local>": the bypass list is <local>, not a redirection', async () => {
    let r!: Awaited<ReturnType<typeof exec>>;
    const sent = await commandsSent(async () => {
      r = await exec([], ["netsh", "winhttp", "set", "proxy", "p:80", "<local>"]);
    });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.deepEqual(sent, ['netsh winhttp set proxy p:80 "<local>"']);
    const state = host.winHttpProxy;
    assert.deepEqual({ accessType: state.accessType, proxyServer: state.proxyServer, bypassList: state.bypassList }, {
      accessType: "proxy",
      proxyServer: "p:80",
      bypassList: "<local>",
    });
  });

  test("a bypass list with blanks, & and a quote arrives whole; nothing else runs", async () => {
    const bypass = '<local>;*.corp & echo INJECTED;say "hi"';
    const r = await exec([], ["netsh", "winhttp", "set", "proxy", "proxy-server=http=p:80", `bypass-list=${bypass}`]);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.ok(!r.stdout.includes("\r\nINJECTED"), r.stdout);
    assert.equal(host.winHttpProxy.proxyServer, "http=p:80");
    assert.equal(host.winHttpProxy.bypassList, bypass);
  });

  test("%NAME% is not expanded: findstr looks for the literal text", async () => {
    const input = join(dir, "lines.txt");
    writeFileSync(input, "literal %COMPUTERNAME% & more\r\nQUOTEHOST & more\r\n");
    const r = await exec(["--stdin", input], ["findstr", "/C:%COMPUTERNAME% & more"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "literal %COMPUTERNAME% & more\r\n");
  });

  test("one word is a command line (operators work); --raw joins several words as typed", async () => {
    const one = await exec([], ["echo one& echo two"]);
    assert.equal(one.status, 0, one.stderr);
    assert.equal(one.stdout, "one\r\ntwo\r\n");
    const raw = await exec(["--raw"], ["echo", "one&", "echo", "two"]);
    assert.equal(raw.stdout, "one\r\ntwo\r\n");
    // The same words quoted (the default) are one echo with its arguments: cmd's echo prints them as given.
    const quoted = await exec([], ["echo", "one&", "echo", "two"]);
    assert.equal(quoted.stdout, '"one&" echo two\r\n');
  });

  test("a line break in a word cannot reach cmd: exit 2, nothing sent", async () => {
    const before = emu.connections;
    const r = await exec([], ["findstr", "a\nb"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /line break/);
    assert.equal(emu.connections, before);
  });

  test("--shell powershell: each word literal ('$env:X' is not expanded), the program called as typed", async () => {
    const r = await exec(["--shell", "powershell"], ["Write-Output", "$env:COMPUTERNAME", "it's", "a;b"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "$env:COMPUTERNAME\r\nit's\r\na;b\r\n");
    const one = await exec(["--shell", "powershell"], ["Write-Output $env:COMPUTERNAME"]);
    assert.equal(one.stdout.trimEnd(), "QUOTEHOST", "one word stays a script");
  });

  test("WINRM_ENDPOINT, WINRM_USERNAME and WINRM_PASSWORD stand in for the flags", async () => {
    const r = await runCli(["exec", "--", "hostname"], {
      env: { WINRM_ENDPOINT: emu.url, WINRM_USERNAME: USER, WINRM_PASSWORD: PASSWORD },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "QUOTEHOST\r\n");
    assert.ok(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD));
    // A flag wins: a wrong --endpoint is used even with WINRM_ENDPOINT set.
    const wrong = await runCli(["identify", "--endpoint", "ftp://x"], {
      env: { WINRM_ENDPOINT: emu.url, WINRM_USERNAME: USER, WINRM_PASSWORD: PASSWORD },
    });
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /^winrm-proxy: --endpoint: must use http:\/\/ or https:\/\//);
  });
});
