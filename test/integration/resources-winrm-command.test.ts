/** WinRMProxyConfig and RemoteCommand against emulated hosts, called as the dynamic-provider process calls them. */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { resourceProviders } from "../../provider/src/resources/index.js";
import { closeAllClients, pooledClientCount } from "../../provider/src/resources/clientPool.js";
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
      assert.deepEqual((await R.read(id, older)).inputs, { ...news, shell: "cmd" });

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
