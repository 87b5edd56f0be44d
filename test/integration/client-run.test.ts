/**
 * WinRMClient against the emulated host, every profile, over HTTP with message encryption and over HTTPS.
 * Round trips are counted from the emulator's own request log, not from the client's counters.
 */
import { WinRMClient } from "../../provider/src/client.js";
import { LimitExceededError } from "../../provider/src/errors.js";
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import type { RequestLogEntry } from "../../provider/src/testing/index.js";
import type { ProfileName } from "../../provider/src/testing/index.js";
import { startFixture, type Fixture } from "./clientFixture.js";

function actions(log: RequestLogEntry[]): string[] {
  return log.map((e) => e.action ?? `(${e.authState} ${e.status})`);
}

const short = (a: string | undefined): string => (a ?? "").replace(/^.*\//, "");

const PROFILES: ProfileName[] = ["win2003r2", "win2008", "win2008r2", "win2019"];

for (const profile of PROFILES) {
  for (const tls of [false, true]) {
    describe(`${profile} over ${tls ? "HTTPS" : "HTTP + message encryption"}`, () => {
      let f: Fixture;
      before(async () => {
        f = await startFixture(profile, { tls });
      });
      after(async () => {
        await f.client.close();
        await f.emu.close();
      });

      test("runs a command: stdout, exit code 0", async () => {
        const r = await f.client.run("echo hello world");
        assert.equal(r.stdout, "hello world\r\n");
        assert.equal(r.stderr, "");
        assert.equal(r.exitCode, 0);
        const authenticated = f.emu.requests.filter((e) => e.authState === "authenticated" && e.action !== undefined);
        assert.ok(authenticated.length > 0);
        // HTTP: every SOAP message sealed; HTTPS (auto): TLS protects them, no second layer.
        for (const e of authenticated) assert.equal(e.encrypted, !tls, `${short(e.action)} encrypted=${e.encrypted}`);
        // Flow A: nothing with a body went out before the context was complete.
        for (const e of f.emu.requests.filter((x) => x.authState !== "authenticated" || x.action === undefined)) {
          assert.equal(e.bodyBytes, 0, `handshake leg with a ${e.bodyBytes}-byte body`);
        }
      });

      test("stderr and a non-zero exit code", async () => {
        const r = await f.client.run("fail");
        assert.equal(r.stdout, "");
        assert.equal(r.stderr, "boom\r\n");
        assert.equal(r.exitCode, 3);
      });

      test("stdin reaches the command", async () => {
        const r = await f.client.run("more", { stdin: "line one\r\nline two\r\n" });
        assert.equal(r.stdout, "line one\r\nline two\r\n");
      });

      test("env and cwd become the shell's", async () => {
        const r = await f.client.run("set WINRM_TEST_VAR", { env: { WINRM_TEST_VAR: "x y z" } });
        assert.equal(r.stdout, "WINRM_TEST_VAR=x y z\r\n");
        const c = await f.client.run("cd", { cwd: "C:\\Temp" });
        assert.equal(c.stdout, "C:\\Temp\r\n");
      });

      test("non-ASCII output decodes in the host's code page", async () => {
        const r = await f.client.run("echo café ñandú");
        assert.equal(r.stdout, "café ñandú\r\n");
      });

      test("large output across several Receives", async () => {
        const r = await f.client.run("lines 20000");
        const lines = r.stdout.split("\r\n");
        assert.equal(lines.length, 20001);
        assert.equal(lines[0], "line 1");
        assert.equal(lines[19999], "line 20000");
      });

      test("powershell -EncodedCommand: output, CLIXML error stream, exit code", async () => {
        const r = await f.client.run("Write-Output 'from ps'\nWrite-Error 'ps failed'\nexit 7", { shell: "powershell" });
        assert.equal(r.stdout, "from ps\r\n");
        assert.equal(r.stderr, "ps failed\r\n");
        assert.equal(r.exitCode, 7);
      });

      test("identify reports the profile's product version", async () => {
        const id = await f.client.identify();
        assert.equal(id.productVersion, f.host.profile.productVersion);
        assert.equal(id.productVendor, "Microsoft Corporation");
      });

      test("one NTLM handshake and one connection for all of the above", () => {
        const s = f.client.stats;
        assert.equal(f.emu.connections, 1);
        assert.equal(s.connections, 1);
        assert.equal(s.handshakes, 1);
        const legs = f.emu.requests.filter((e) => e.authScheme !== undefined);
        assert.equal(legs.length, 2, actions(legs).join(","));
        assert.equal(s.requests, f.emu.requests.length);
      });
    });
  }
}

describe("round trips (from the emulator's log)", () => {
  let f: Fixture;
  before(async () => {
    const fixture = await startFixture("win2019");
    await fixture.client.close();
    // The one-shot protocol sequence: a client that does not keep shells (shell-reuse.test.ts covers reuse).
    f = { ...fixture, client: new WinRMClient(fixture.connection, { reuseShell: false }) };
    await f.client.identify(); // warm: connection authenticated, host known
  });
  after(async () => {
    await f.client.close();
    await f.emu.close();
  });

  test("run() on a warm connection = Create, Command, Receive, Delete", async () => {
    const from = f.emu.requests.length;
    await f.client.run("echo one");
    assert.deepEqual(
      f.emu.requests.slice(from).map((e) => short(e.action)),
      ["Create", "Command", "Receive", "Delete"],
    );
  });

  test("run() with stdin adds exactly one Send", async () => {
    const from = f.emu.requests.length;
    await f.client.run("more", { stdin: "abc" });
    assert.deepEqual(
      f.emu.requests.slice(from).map((e) => short(e.action)),
      ["Create", "Command", "Send", "Receive", "Delete"],
    );
  });

  test("a reused shell: Command + Receive per command, Signal terminate only between commands", async () => {
    const from = f.emu.requests.length;
    const shell = await f.client.openShell();
    const a = await shell.run("echo a");
    const b = await shell.run("echo b");
    const c = await shell.run("fail");
    await shell.close();
    assert.equal(a.stdout, "a\r\n");
    assert.equal(b.stdout, "b\r\n");
    assert.equal(c.exitCode, 3);
    assert.deepEqual(
      f.emu.requests.slice(from).map((e) => short(e.action)),
      ["Create", "Command", "Receive", "Signal", "Command", "Receive", "Signal", "Command", "Receive", "Delete"],
    );
  });

  test("no further handshake and no new connection on a warm session", () => {
    assert.equal(f.client.stats.handshakes, 1);
    assert.equal(f.emu.connections, 1);
  });
});

describe("OperationTimeout is normal on Receive", () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture("win2008r2", { maxOperationTimeoutMs: 20 });
  });
  after(async () => {
    f.host.release();
    await f.client.close();
    await f.emu.close();
  });

  test("Receive is reissued after w:TimedOut until the command is done", async () => {
    const timedOut = (): number =>
      f.emu.requests.filter((e) => short(e.action) === "Receive" && e.status === 500).length;
    // Let the command finish only after the host has answered two Receives with the OperationTimeout fault.
    const watcher = (async () => {
      while (timedOut() < 2) await new Promise((r) => setImmediate(r));
      f.host.release();
    })();
    const r = await f.client.run("wait");
    await watcher;
    assert.equal(r.stdout, "done\r\n");
    assert.equal(r.exitCode, 0);
    assert.ok(timedOut() >= 2);
  });
});

describe("legacy host (Server 2003 R2) prints in its OEM code page", () => {
  for (const locale of ["es-ES", "it-IT", "en-US"] as const) {
    test(`${locale}: learned once with chcp, output decoded`, async () => {
      const f = await startFixture("win2003r2", { locale });
      try {
        const r1 = await f.client.run("echo Año café");
        assert.equal(r1.stdout, "Año café\r\n");
        const r2 = await f.client.run("echo più");
        assert.equal(r2.stdout, "più\r\n");
        assert.equal(f.emu.requests.filter((e) => short(e.action) === "Command").length, 3, "chcp once, then 2 commands");
        assert.ok(f.host.effectiveCodePages.every((cp) => cp === (locale === "en-US" ? 437 : 850)));
      } finally {
        await f.client.close();
        await f.emu.close();
      }
    });
  }
});

describe("streaming", () => {
  test("chunks in order, exit code last", async () => {
    const f = await startFixture("win2019", { receiveChunkBytes: 1000 });
    try {
      let text = "";
      let exit: number | undefined;
      let chunks = 0;
      for await (const c of f.client.stream("lines 500")) {
        assert.equal(exit, undefined, "nothing after the exit code");
        if (c.type === "exit") exit = c.exitCode;
        else {
          chunks++;
          text += c.text;
        }
      }
      assert.equal(exit, 0);
      assert.ok(chunks > 1, `${chunks} chunk(s)`);
      assert.equal(text.split("\r\n")[499], "line 500");
    } finally {
      await f.client.close();
      await f.emu.close();
    }
  });
});

describe("run() bounds what it collects", () => {
  test("more output than maxOutputBytes: LimitExceededError, the command released, the client goes on", async () => {
    const f = await startFixture("win2019", { receiveChunkBytes: 1000 });
    try {
      const full = await f.client.run("lines 500");
      assert.ok(full.stdout.length > 4000, `${full.stdout.length} bytes`);
      await assert.rejects(f.client.run("lines 500", { maxOutputBytes: 4000 }), (e: unknown) => {
        assert.ok(e instanceof LimitExceededError, String(e));
        assert.equal(e.code, "WINRM_LIMIT");
        assert.match(e.message, /stream\(\)/);
        return true;
      });
      const from = f.emu.requests.length;
      assert.equal((await f.client.run("echo after")).stdout, "after\r\n");
      // The shell of the refused command was deleted (not kept for the next run), so the next run() made its own.
      assert.ok(f.emu.requests.slice(0, from).some((e) => short(e.action) === "Delete"), "the refused command's shell was deleted");
    } finally {
      await f.client.close();
      await f.emu.close();
    }
  });
});

describe("config", () => {
  test("getConfig and putConfig (Get, then Put of the whole document)", async () => {
    const f = await startFixture("win2019", { tls: true });
    try {
      const before = await f.client.getConfig("winrm/config/service");
      assert.equal(typeof before.AllowUnencrypted, "string");
      const from = f.emu.requests.length;
      const after = await f.client.putConfig("winrm/config/service", { MaxConnections: 42 });
      assert.equal(after.MaxConnections, "42");
      assert.deepEqual(f.emu.requests.slice(from).map((e) => short(e.action)), ["Get", "Put"]);
      const again = await f.client.getConfig("winrm/config/service");
      assert.equal(again.MaxConnections, "42");
      await assert.rejects(f.client.putConfig("winrm/config/service", { NoSuchKey: "1" }), { code: "WINRM_CONFIG" });
    } finally {
      await f.client.close();
      await f.emu.close();
    }
  });
});
