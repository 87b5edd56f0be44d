/** WinRMProxyConfig and RemoteCommand against emulated hosts, called as the dynamic-provider process calls them. */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { resourceProviders } from "../../provider/src/resources/index.js";
import { closeAllClients, pooledClientCount } from "../../provider/src/resources/clientPool.js";
import { setCommandLogWriter } from "../../provider/src/resources/remoteCommand.js";
import { PASSWORD, startHost } from "./resourcesHarness.js";

const C = resourceProviders.WinRMProxyConfig;
const R = resourceProviders.RemoteCommand;

after(async () => {
  await closeAllClients();
});

describe("WinRMProxyConfig", () => {
  test("win2019: create hardens the service, reports the path; read sees drift; update repairs it", async () => {
    const h = await startHost("win2019");
    try {
      // Start from a weak service: Basic on, unencrypted allowed.
      h.host.config.set("winrm/config/service", { AllowUnencrypted: "true" });
      h.host.config.set("winrm/config/service/auth", { Basic: "true" });
      const news = { connection: h.connection, serviceAuth: { cbtHardeningLevel: "Strict" } };
      assert.deepEqual((await C.check({}, news)).failures, []);
      const { id, outs } = await C.create(news);
      assert.equal(id, `winrm-config:${h.emu.url}`);
      assert.equal(h.host.config.allowUnencrypted, false);
      assert.deepEqual(h.host.config.serviceAuth, {
        basic: false,
        kerberos: true,
        negotiate: true,
        certificate: false,
        credSSP: false,
        cbtHardeningLevel: "Strict",
      });
      assert.equal(outs.stack, "3.0");
      assert.equal(outs.productVersion, "OS: 10.0.17763 SP: 0.0 Stack: 3.0");
      // Direct HTTP with NTLM sealing: encrypted by the auth context, not TLS.
      assert.deepEqual(outs.path, { mechanism: (outs.path as { mechanism: string }).mechanism, encrypted: true, sealed: true, tls: false, transport: "direct", proxy: "" });
      assert.match((outs.path as { mechanism: string }).mechanism, /^(ntlm|negotiate)$/);
      assert.deepEqual((outs.previousServiceAuth as { basic: boolean }).basic, true);
      assert.deepEqual(outs.connection, h.connection);
      assert.deepEqual(JSON.parse(JSON.stringify(outs)), outs);

      assert.deepEqual(outs.declared, { serviceAuth: { cbtHardeningLevel: "Strict" } });

      // Read with no change: the inputs exactly as declared (the defaults left out stay out: no refresh diff).
      const r1 = await C.read(id, outs);
      assert.deepEqual(r1.props, outs);
      assert.deepEqual(r1.inputs, news);
      assert.equal((await C.diff(id, r1.props, news)).changes, false);

      // Someone re-enables unencrypted traffic and Basic on the host.
      h.host.config.set("winrm/config/service", { AllowUnencrypted: "true" });
      h.host.config.set("winrm/config/service/auth", { Basic: "true" });
      const r2 = await C.read(id, outs);
      assert.equal(r2.props.allowUnencrypted, true);
      assert.equal((r2.props.serviceAuth as { basic: boolean }).basic, true);
      // Only what drifted differs from the declared inputs.
      assert.deepEqual(r2.inputs, { connection: h.connection, allowUnencrypted: true, serviceAuth: { cbtHardeningLevel: "Strict", basic: true } });
      assert.deepEqual(Object.keys((await C.diff(id, r2.props, news)).detailedDiff).sort(), ["allowUnencrypted", "serviceAuth.basic"]);
      const up = await C.update(id, r2.props, news);
      assert.equal(h.host.config.allowUnencrypted, false);
      assert.equal(h.host.config.serviceAuth.basic, false);
      assert.equal((up.outs.previousServiceAuth as { basic: boolean }).basic, true, "previous stays the value found at create");

      // onDelete retain (default) leaves the hardened settings.
      await C.delete(id, up.outs);
      assert.equal(h.host.config.serviceAuth.basic, false);
      // onDelete restore puts the auth schemes found at create back, never AllowUnencrypted=true.
      await C.delete(id, { ...up.outs, onDelete: "restore" });
      assert.equal(h.host.config.serviceAuth.basic, true);
      assert.equal(h.host.config.allowUnencrypted, false);
    } finally {
      await h.close();
    }
  });

  test("state written before `declared` existed still reads: the inputs in the live form, as before", async () => {
    const h = await startHost("win2019");
    try {
      const news = { connection: h.connection, serviceAuth: { basic: false } };
      const { id, outs } = await C.create(news);
      const { declared: _d, ...older } = outs;
      const r = await C.read(id, older);
      assert.deepEqual(r.inputs, {
        connection: h.connection,
        serviceAuth: { basic: false, negotiate: true, kerberos: true, certificate: false, credSSP: false, cbtHardeningLevel: "Relaxed" },
        onDelete: "retain",
      });
      assert.deepEqual(r.props, older);
      const up = await C.update(id, r.props, news);
      assert.deepEqual(up.outs.declared, { serviceAuth: { basic: false } });
    } finally {
      await h.close();
    }
  });

  test("win2008 (WinRM 1.1) is refused with the way forward, and nothing is changed", async () => {
    const h = await startHost("win2008", "es-ES");
    try {
      const before = JSON.stringify(h.host.config.get("winrm/config/service"));
      await assert.rejects(C.create({ connection: h.connection }), (e: Error) => {
        assert.match(e.message, /runs WinRM 1\.1 .*needs WinRM 2\.0 or later.*use WinHttpProxySetting/);
        return true;
      });
      assert.equal(JSON.stringify(h.host.config.get("winrm/config/service")), before);
    } finally {
      await h.close();
    }
  });

  test("win2008r2 (WinRM 2.0): CredSSP turned on with WS-Transfer Put, read back live", async () => {
    const h = await startHost("win2008r2");
    try {
      const { id, outs } = await C.create({ connection: h.connection, serviceAuth: { credSSP: true } });
      assert.equal(h.host.config.serviceAuth.credSSP, true);
      assert.equal(outs.stack, "2.0");
      assert.equal((outs.serviceAuth as { credSSP: boolean }).credSSP, true);
      h.host.config.set("winrm/config/service/auth", { CredSSP: "false" });
      const r = await C.read(id, outs);
      assert.deepEqual(r.inputs, { connection: h.connection, serviceAuth: { credSSP: false } });
      assert.deepEqual(Object.keys((await C.diff(id, r.props, { connection: h.connection, serviceAuth: { credSSP: true } })).detailedDiff), [
        "serviceAuth.credSSP",
      ]);
    } finally {
      await h.close();
    }
  });
});

describe("WinRMProxyConfig adoption (adopt, the SDK's form of the import option)", () => {
  test("matching settings are adopted without a Put; a differing one fails naming it; the id must name the host", async () => {
    const h = await startHost("win2019");
    try {
      const id = `winrm-config:${h.emu.url}`;
      const service = () => JSON.stringify(h.host.config.get("winrm/config/service"));
      const before = service();
      assert.deepEqual((await C.check({}, { connection: h.connection, adopt: "winhttp:x" })).failures.map((f) => f.property), ["adopt"]);

      await assert.rejects(C.create({ connection: h.connection, serviceAuth: { basic: true, credSSP: true }, adopt: id }), (e: Error) => {
        assert.match(e.message, /^serviceAuth\.basic: does not match the host's WinRM service, so it cannot be adopted \(import\): the host has false, the program declares true \(also differing: serviceAuth\.credSSP\)/);
        return true;
      });
      await assert.rejects(C.create({ connection: h.connection, adopt: "winrm-config:https://elsewhere:5986/wsman" }), /^Error: adopt: .* does not name this connection's host|adopt: .*does not name/);
      assert.equal(service(), before, "a failed adoption Put something");

      const { id: created, outs } = await C.create({ connection: h.connection, adopt: id });
      assert.equal(created, id);
      assert.equal(service(), before, "an adoption Put something");
      assert.deepEqual(outs.previousServiceAuth, outs.serviceAuth);
      // adopt matters at create only: dropping it later is no change.
      assert.equal((await C.diff(id, outs, { connection: h.connection })).changes, false);
    } finally {
      await h.close();
    }
  });
});

describe("RemoteCommand", () => {
  test("create / update / delete run the right commands; outputs are plain JSON; one client per host", async () => {
    const h = await startHost("win2019");
    try {
      const news = { connection: h.connection, create: "echo created %GREETING%", update: "echo updated", delete: "echo deleted", environment: { GREETING: "hola" } };
      assert.deepEqual((await R.check({}, news)).failures, []);
      const { id, outs } = await R.create(news);
      assert.match(id, /^remote-command:[0-9a-f-]{36}$/);
      assert.equal(outs.stdout, "created hola\r\n");
      assert.equal(outs.stderr, "");
      assert.equal(outs.exitCode, 0);
      assert.equal(outs.schemaVersion, 1);
      assert.deepEqual(JSON.parse(JSON.stringify(outs)), outs);

      const r = await R.read(id, outs);
      assert.deepEqual(r.props, outs);
      // Exactly as declared: the default shell "cmd" the program left out stays out.
      assert.deepEqual(r.inputs, news);
      // State written before `declared` existed: the stored (parsed) form, as before.
      const { declared: _d, ...older } = outs;
      assert.deepEqual((await R.read(id, older)).inputs, { ...news, shell: "cmd", addPreviousOutputInEnv: true, logging: "stdoutAndStderr" });

      const changed = { ...news, environment: { GREETING: "ciao" } };
      const d = await R.diff(id, outs, changed);
      assert.deepEqual(Object.keys(d.detailedDiff), ["environment"]);
      assert.deepEqual(d.replaces, []);
      const up = await R.update(id, outs, changed);
      assert.equal(up.outs.stdout, "updated\r\n");

      await R.delete(id, up.outs);
      assert.deepEqual(h.commands.filter((c) => c.startsWith("echo")), ["echo created %GREETING%", "echo updated", "echo deleted"]);
      assert.equal(pooledClientCount(), 1);
    } finally {
      await h.close();
    }
  });

  test("update without an update command runs create again; stdin and PowerShell", async () => {
    const h = await startHost("win2008r2");
    try {
      const a = await R.create({ connection: h.connection, create: "more", stdin: "from stdin\r\n" });
      assert.equal(a.outs.stdout, "from stdin\r\n");
      const b = await R.update(a.id, a.outs, { connection: h.connection, create: "more", stdin: "again\r\n" });
      assert.equal(b.outs.stdout, "again\r\n");
      const ps = await R.create({ connection: h.connection, create: "Write-Output 'from ps'", shell: "powershell" });
      assert.equal(ps.outs.stdout, "from ps\r\n");
    } finally {
      await h.close();
    }
  });

  test("a non-zero exit fails with the exit code and the stderr tail, not the command text", async () => {
    const h = await startHost("win2003r2", "es-ES");
    try {
      await assert.rejects(R.create({ connection: h.connection, create: `echo token-${PASSWORD} >&2 & echo boom >&2 & exit /b 7` }), (e: Error & { exitCode?: number; stderrTail?: string }) => {
        assert.equal(e.exitCode, 7);
        assert.match(e.message, /"create \(cmd\)" exited with code 7/);
        assert.match(e.stderrTail ?? "", /boom/);
        return true;
      });
      // delete fails the same way.
      const ok = await R.create({ connection: h.connection, create: "echo ok", delete: "exit /b 2" });
      await assert.rejects(R.delete(ok.id, ok.outs), /"delete \(cmd\)" exited with code 2/);
    } finally {
      await h.close();
    }
  });

  test("triggers replace", async () => {
    const h = await startHost("win2019");
    try {
      const { id, outs } = await R.create({ connection: h.connection, create: "echo v1", triggers: ["build-1"] });
      const d = await R.diff(id, outs, { connection: h.connection, create: "echo v1", triggers: ["build-2"] });
      assert.deepEqual(d.replaces, ["triggers"]);
      assert.deepEqual(d.detailedDiff, { triggers: { kind: "update-replace" } });
      const same = await R.diff(id, outs, { connection: h.connection, create: "echo v1", triggers: ["build-1"] });
      assert.equal(same.changes, false);
    } finally {
      await h.close();
    }
  });
});

describe("WinRMProxyConfig: a connection-only change", () => {
  test("a rotated password is recorded and the path re-proven with Identify; nothing is Put", async () => {
    const h = await startHost("win2019");
    try {
      const news = { connection: h.connection };
      const { id, outs } = await C.create(news);
      const before = h.emu.requests.length;
      const rotated = { connection: { ...h.connection, timeouts: { connectMs: 10_000 } } };
      const up = await C.update(id, outs, rotated);
      assert.deepEqual(up.outs.connection, rotated.connection);
      assert.deepEqual(up.outs.path, outs.path);
      const actions = h.emu.requests.slice(before).map((r) => r.action ?? "");
      assert.ok(!actions.some((a) => /transfer\/(Put|Get)$/.test(a)), `no Get, no Put: ${actions.join(", ")}`);
      assert.deepEqual({ ...up.outs, connection: outs.connection }, outs);
    } finally {
      await h.close();
    }
  });
});

describe("RemoteCommand next to @pulumi/command's remote.Command", () => {
  /** Every line RemoteCommand logs during `fn`, with the time it was written. */
  async function logged<T>(fn: () => Promise<T>): Promise<{ result: T; lines: { at: number; line: string }[] }> {
    const lines: { at: number; line: string }[] = [];
    const previous = setCommandLogWriter((line) => lines.push({ at: Date.now(), line }));
    try {
      return { result: await fn(), lines };
    } finally {
      setCommandLogWriter(previous);
    }
  }

  test("create is optional: nothing runs, the outputs are empty; update with neither command keeps them", async () => {
    const h = await startHost("win2019");
    try {
      const news = { connection: h.connection, delete: "echo bye" };
      assert.deepEqual((await R.check({}, news)).failures, []);
      const { id, outs } = await R.create(news);
      assert.equal(outs.stdout, "");
      assert.equal(outs.exitCode, 0);
      assert.deepEqual(h.commands.filter((c) => c.startsWith("echo")), []);
      const up = await R.update(id, outs, { ...news, environment: { A: "1" } });
      assert.equal(up.outs.stdout, "");
      assert.deepEqual(h.commands.filter((c) => c.startsWith("echo")), [], "no create, no update: nothing runs");
    } finally {
      await h.close();
    }
  });

  test("addPreviousOutputInEnv: update and delete see the previous stdout / stderr; false turns it off", async () => {
    const h = await startHost("win2019");
    try {
      const news = {
        connection: h.connection,
        create: "echo first-out & echo first-err >&2",
        update: "echo prev=%PULUMI_COMMAND_STDOUT%/%PULUMI_COMMAND_STDERR%",
        delete: "echo gone=%PULUMI_COMMAND_STDOUT% & exit /b 0",
        logging: "none",
      };
      const { id, outs } = await R.create(news);
      const up = await R.update(id, outs, { ...news, environment: { X: "1" } });
      // Without the final line break; echo keeps the space before >&2.
      assert.equal(up.outs.stdout, "prev=first-out /first-err \r\n");
      await R.delete(id, up.outs);
      assert.ok(h.commands.includes(news.delete));
      // Off: the variables are not set, so cmd leaves them literal.
      const off = { ...news, addPreviousOutputInEnv: false };
      const c2 = await R.create(off);
      const u2 = await R.update(c2.id, c2.outs, { ...off, environment: { X: "2" } });
      assert.equal(u2.outs.stdout, "prev=%PULUMI_COMMAND_STDOUT%/%PULUMI_COMMAND_STDERR%\r\n");
      // A variable of the same name in environment conflicts with it, named by its path.
      const clash = await R.check({}, { ...news, environment: { PULUMI_COMMAND_STDOUT: "x" } });
      assert.deepEqual(clash.failures.map((f) => f.property), ["environment.PULUMI_COMMAND_STDOUT"]);
      assert.match(clash.failures[0]?.reason ?? "", /addPreviousOutputInEnv: false/);
    } finally {
      await h.close();
    }
  });

  test("dir is the shell's working directory; acceptedExitCodes count as success, others still fail", async () => {
    const h = await startHost("win2019");
    try {
      const { outs } = await R.create({ connection: h.connection, create: "cd", dir: "C:\\deploy" });
      assert.equal(outs.stdout, "C:\\deploy\r\n");
      const ok = await R.create({ connection: h.connection, create: "exit /b 3010", acceptedExitCodes: [1, 3010] });
      assert.equal(ok.outs.exitCode, 3010);
      await assert.rejects(R.create({ connection: h.connection, create: "exit /b 2", acceptedExitCodes: [1, 3010] }), /exited with code 2/);
      const bad = await R.check({}, { connection: h.connection, create: "x", acceptedExitCodes: ["1"] });
      assert.deepEqual(bad.failures.map((f) => f.property), ["acceptedExitCodes[0]"]);
      assert.match(bad.failures[0]?.reason ?? "", /must be a number/);
    } finally {
      await h.close();
    }
  });

  test("logging streams lines while the command runs, prefixed with phase and host; stdout / stderr / none choose", async () => {
    const h = await startHost("win2019");
    try {
      const ticker = "for /L %i in (1,1,3) do (echo tick %i & ping -n 2 127.0.0.1 >nul)";
      const { result, lines } = await logged(() => R.create({ connection: h.connection, create: `echo oops >&2 & ${ticker}` }));
      const host = new URL(h.emu.url).host;
      // Within one Receive the host's stdout comes before its stderr: compare each stream's lines on their own.
      const ticks = lines.filter((l) => !l.line.includes("(stderr)"));
      assert.deepEqual(ticks.map((l) => l.line), [1, 2, 3].map((i) => `RemoteCommand create on ${host}: tick ${i} `));
      assert.deepEqual(lines.filter((l) => l.line.includes("(stderr)")).map((l) => l.line.trimEnd()), [`RemoteCommand create on ${host} (stderr): oops`]);
      // Live: the first tick is logged about two seconds before the last (one ping second between ticks), not at the end.
      const first = ticks[0]?.at ?? 0;
      const last = ticks[2]?.at ?? 0;
      assert.ok(last - first >= 1500, `ticks logged ${last - first} ms apart`);
      assert.equal(result.outs.stdout, "tick 1 \r\ntick 2 \r\ntick 3 \r\n");

      const both = "echo to-out & echo to-err >&2";
      const only = async (logging: string): Promise<string[]> =>
        (await logged(() => R.create({ connection: h.connection, create: both, logging }))).lines.map((l) => l.line.replace(/^.*?: /, ""));
      assert.deepEqual(await only("stdout"), ["to-out "]);
      assert.deepEqual(await only("stderr"), ["to-err "]);
      assert.deepEqual(await only("none"), []);
      const bad = await R.check({}, { connection: h.connection, create: "x", logging: "verbose" });
      assert.match(bad.failures[0]?.reason ?? "", /"stdout", "stderr", "stdoutAndStderr", "none"/);
    } finally {
      await h.close();
    }
  });

  test("a connection-only change (password, timeouts, proxy) runs nothing; another endpoint replaces", async () => {
    const h = await startHost("win2019");
    try {
      const news = { connection: h.connection, create: "echo made", update: "echo updated", logging: "none" };
      const { id, outs } = await R.create(news);
      const ran = h.commands.length;
      const requests = h.emu.requests.length;
      const timeouts = { ...news, connection: { ...h.connection, timeouts: { connectMs: 5_000 } } };
      const d = await R.diff(id, outs, timeouts);
      assert.deepEqual(d.detailedDiff, { "connection.timeouts.connectMs": { kind: "update" } });
      assert.deepEqual(d.replaces, []);
      const up = await R.update(id, outs, timeouts);
      assert.deepEqual(up.outs.connection, timeouts.connection);
      assert.equal(up.outs.stdout, "made\r\n", "the outputs of the last run stay");
      assert.deepEqual(up.outs.declared, { create: "echo made", update: "echo updated", logging: "none" });
      assert.equal(h.commands.length, ran, "no command ran");
      assert.equal(h.emu.requests.length, requests, "nothing reached the host");
      // A connection change together with a command change runs the update command.
      const both = await R.update(id, up.outs, { ...timeouts, update: "echo updated2" });
      assert.equal(both.outs.stdout, "updated2\r\n");
      // Another endpoint: a replacement, named by its path.
      const moved = await R.diff(id, outs, { ...news, connection: { ...h.connection, endpoint: "http://10.0.0.9:5985/wsman" } });
      assert.deepEqual(moved.replaces, ["connection"]);
      assert.deepEqual(moved.detailedDiff, { "connection.endpoint": { kind: "update-replace" } });
    } finally {
      await h.close();
    }
  });
});
