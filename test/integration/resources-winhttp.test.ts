/**
 * WinHttpProxySetting against emulated hosts through the real client: 2003 R2 (WinRM 1.1, proxycfg, Spanish),
 * Spanish 2008 (WinRM 1.1, netsh) and 2019 (netsh). The provider functions are called as the engine's
 * dynamic-provider process calls them.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { resourceProviders } from "../../provider/src/resources/index.js";
import { closeAllClients } from "../../provider/src/resources/clientPool.js";
import type { Locale } from "../../provider/src/testing/index.js";
import type { ProfileName } from "../../provider/src/testing/index.js";
import { fakeCommand, PASSWORD, startHost } from "./resourcesHarness.js";

const W = resourceProviders.WinHttpProxySetting;

after(async () => {
  await closeAllClients();
});

const HOSTS: { profile: ProfileName; locale: Locale; tool: "netsh" | "proxycfg" }[] = [
  { profile: "win2003r2", locale: "es-ES", tool: "proxycfg" },
  { profile: "win2008", locale: "es-ES", tool: "netsh" },
  { profile: "win2019", locale: "en-US", tool: "netsh" },
];

for (const { profile, locale, tool } of HOSTS) {
  describe(`WinHttpProxySetting on ${profile} (${locale}, ${tool})`, () => {
    test("create, read, drift, no false drift, update, delete restores the previous setting", async () => {
      const initial = { accessType: "proxy" as const, proxyServer: "old-proxy:8080", bypassList: "<local>" };
      const h = await startHost(profile, locale, { winHttp: initial });
      try {
        const news = { connection: h.connection, proxyServer: "Proxy.Corp.Example:3128", bypassList: ["<local>", "*.corp.example"] };
        assert.deepEqual((await W.check({}, news)).failures, []);
        const { id, outs } = await W.create(news);
        assert.equal(id, `winhttp:${h.emu.url}`);
        assert.equal(outs.tool, tool);
        assert.equal(outs.schemaVersion, 1);
        assert.deepEqual(outs.previous, { exists: true, ...initial });
        // The host holds what was asked, written by the right tool.
        assert.deepEqual(
          { s: h.host.winHttpProxy.proxyServer, b: h.host.winHttpProxy.bypassList },
          { s: "Proxy.Corp.Example:3128", b: "<local>;*.corp.example" },
        );
        assert.ok(h.commands.some((c) => c.startsWith(tool === "netsh" ? "netsh winhttp set proxy" : "proxycfg -p")));
        assert.ok(!h.commands.some((c) => c.startsWith(tool === "netsh" ? "proxycfg" : "netsh")));
        // Plain JSON, no undefined anywhere.
        assert.deepEqual(JSON.parse(JSON.stringify(outs)), outs);

        // The inputs exactly as declared are in the state, without the connection (kept once, as a secret).
        assert.deepEqual(outs.declared, { proxyServer: "Proxy.Corp.Example:3128", bypassList: ["<local>", "*.corp.example"] });

        // Read with no change: the same state, no diff, and the inputs exactly as declared (the array stays an array,
        // the omitted onDelete default stays omitted): the engine compares these with the program's, so a refresh
        // shows no change.
        const r1 = await W.read(id, outs);
        assert.deepEqual(r1.props, outs);
        assert.deepEqual(r1.inputs, news);
        assert.equal((await W.diff(id, r1.props, news)).changes, false);

        // Equivalent spelling on the host (case, order, separators): still no drift, in the outputs or the inputs.
        h.host.writeWinHttpProxy({ accessType: "proxy", proxyServer: "proxy.corp.example:3128", bypassList: "*.CORP.EXAMPLE;<local>" });
        const r2 = await W.read(id, outs);
        assert.equal(r2.props.proxyServer, "Proxy.Corp.Example:3128");
        assert.deepEqual(r2.inputs, news);
        assert.equal((await W.diff(id, r2.props, news)).changes, false);

        // Only the server changes on the host (the bypass list is respelled): only proxyServer differs from what was
        // declared, in the inputs and in the outputs.
        h.host.writeWinHttpProxy({ accessType: "proxy", proxyServer: "other:3128", bypassList: "*.Corp.Example <LOCAL>" });
        const rs = await W.read(id, outs);
        assert.deepEqual(rs.inputs, { ...news, proxyServer: "other:3128" });
        assert.deepEqual({ s: rs.props.proxyServer, b: rs.props.bypassList }, { s: "other:3128", b: outs.bypassList });
        assert.deepEqual(Object.keys((await W.diff(id, rs.props, news)).detailedDiff), ["proxyServer"]);

        // Out of band, through the host's own tool over WinRM: refresh reads the live value exactly.
        const oob = tool === "netsh" ? 'netsh winhttp set proxy proxy-server="evil:9999" bypass-list="*.evil"' : 'proxycfg -p "evil:9999" "*.evil"';
        const { getClient } = await import("../../provider/src/resources/clientPool.js");
        assert.equal((await getClient(h.connection).client.run(oob)).exitCode, 0);
        const r3 = await W.read(id, outs);
        assert.equal(r3.props.proxyServer, "evil:9999");
        assert.equal(r3.props.bypassList, "*.evil");
        // Both drifted: both replaced, the bypass list in the declared form (an array); nothing else added.
        assert.deepEqual(r3.inputs, { connection: h.connection, proxyServer: "evil:9999", bypassList: ["*.evil"] });
        // State read back keeps `declared`: the next refresh still knows what the program wrote.
        assert.deepEqual(r3.props.declared, outs.declared);
        const d = await W.diff(id, r3.props, news);
        assert.deepEqual(Object.keys(d.detailedDiff).sort(), ["bypassList", "proxyServer"]);
        assert.deepEqual(d.replaces, []);

        // Update puts the declared value back; "previous" stays the value found at create.
        const up = await W.update(id, r3.props, news);
        assert.equal(h.host.winHttpProxy.proxyServer, "Proxy.Corp.Example:3128");
        assert.deepEqual(up.outs.previous, { exists: true, ...initial });
        assert.equal((await W.diff(id, (await W.read(id, up.outs)).props, news)).changes, false);

        // Update to direct access: `declared` follows the new inputs.
        const direct = await W.update(id, up.outs, { connection: h.connection, directAccess: true });
        assert.equal(h.host.winHttpProxy.accessType, "direct");
        assert.equal(direct.outs.accessType, "direct");
        assert.equal(direct.outs.proxyServer, "");
        assert.deepEqual(direct.outs.declared, { directAccess: true });
        assert.deepEqual((await W.read(id, direct.outs)).inputs, { connection: h.connection, directAccess: true });
        // Someone sets a proxy: directAccess goes, the live server and bypass list (a string: nothing declared an array) come.
        h.host.writeWinHttpProxy({ accessType: "proxy", proxyServer: "rogue:1", bypassList: "<local>" });
        assert.deepEqual((await W.read(id, direct.outs)).inputs, { connection: h.connection, proxyServer: "rogue:1", bypassList: "<local>" });
        h.host.writeWinHttpProxy({ accessType: "direct", proxyServer: "", bypassList: "" });

        // Delete restores what was there before create.
        await W.delete(id, direct.outs);
        assert.deepEqual(
          { a: h.host.winHttpProxy.accessType, s: h.host.winHttpProxy.proxyServer, b: h.host.winHttpProxy.bypassList },
          { a: "proxy", s: "old-proxy:8080", b: "<local>" },
        );
      } finally {
        await h.close();
      }
    });

    test("rollback: a tool that reports success but writes something else is undone, and the change fails", async () => {
      const h = await startHost(profile, locale);
      try {
        // The host misbehaves: its proxy tool "succeeds" but stores another server.
        h.intercept((line) => {
          if (!/^(netsh winhttp set|proxycfg -p)/i.test(line) || !line.includes("wanted")) return undefined;
          h.host.writeWinHttpProxy({ accessType: "proxy", proxyServer: "wrong:1", bypassList: "" });
          return fakeCommand("ok\r\n");
        });
        await assert.rejects(W.create({ connection: h.connection, proxyServer: "wanted:3128" }), (e: Error) => {
          assert.equal((e as { code?: string }).code, "WINRM_COMMAND_FAILED");
          assert.match(e.message, /reports proxy "wrong:1" .* after setting proxy "wanted:3128"/);
          assert.match(e.message, /previous setting was restored/);
          assert.ok(!e.message.includes(PASSWORD));
          return true;
        });
        // The host is back where it was (direct access).
        assert.equal(h.host.winHttpProxy.accessType, "direct");
      } finally {
        await h.close();
      }
    });

    test("onDelete reset and retain; a tool error fails with its exit code", async () => {
      const h = await startHost(profile, locale, { winHttp: { accessType: "proxy", proxyServer: "before:1", bypassList: "" } });
      try {
        const a = await W.create({ connection: h.connection, proxyServer: "p:2", onDelete: "reset" });
        await W.delete(a.id, a.outs);
        assert.equal(h.host.winHttpProxy.accessType, "direct");
        const b = await W.create({ connection: h.connection, proxyServer: "p:3", onDelete: "retain" });
        await W.delete(b.id, b.outs);
        assert.equal(h.host.winHttpProxy.proxyServer, "p:3");

        h.intercept((line) => (line.includes("p:4") ? fakeCommand("", 1, "Error writing proxy settings. (5) Access is denied.\r\n") : undefined));
        await assert.rejects(W.create({ connection: h.connection, proxyServer: "p:4" }), /exited with code 1: Error writing proxy settings/);
        assert.equal(h.host.winHttpProxy.proxyServer, "p:3");
      } finally {
        await h.close();
      }
    });

    test("importFromIe copies the user's manual IE proxy and verifies it", async () => {
      const h = await startHost(profile, locale, { ieProxy: { enabled: true, proxyServer: "ie-proxy:8080", bypassList: "<local>;*.ie" } });
      try {
        const { id, outs } = await W.create({ connection: h.connection, importFromIe: true });
        assert.ok(h.commands.includes(tool === "netsh" ? "netsh winhttp import proxy source=ie" : "proxycfg -u"));
        assert.equal(h.host.winHttpProxy.proxyServer, "ie-proxy:8080");
        assert.deepEqual(outs.expected, { accessType: "proxy", proxyServer: "ie-proxy:8080", bypassList: "<local>;*.ie" });
        assert.equal((await W.diff(id, (await W.read(id, outs)).props, { connection: h.connection, importFromIe: true })).changes, false);
        h.host.writeWinHttpProxy({ accessType: "direct", proxyServer: "", bypassList: "" });
        const drifted = await W.read(id, outs);
        assert.equal((await W.diff(id, drifted.props, { connection: h.connection, importFromIe: true })).changes, true);
        // No other input can say "import from IE": the inputs stay as declared, the state carries the drift.
        assert.deepEqual(drifted.inputs, { connection: h.connection, importFromIe: true });
      } finally {
        await h.close();
      }
    });
  });
}

describe("WinHttpProxySetting adoption (adopt, the SDK's form of the import option)", () => {
  for (const profile of ["win2003r2", "win2008"] as const) {
    test(`${profile}: a matching setting is adopted without a write; destroy leaves it as found`, async () => {
      const found = { accessType: "proxy" as const, proxyServer: "Old-Proxy.corp:8080", bypassList: "<local>;*.corp" };
      const h = await startHost(profile, "es-ES", { winHttp: found });
      try {
        const id = `winhttp:${h.emu.url}`;
        const bytes = () => h.host.winHttpSettingsBlob()?.toString("hex");
        const before = bytes();
        // Spelled differently (case, order, array): the same setting to WinHTTP.
        const news = { connection: h.connection, proxyServer: "old-proxy.CORP:8080", bypassList: ["*.corp", "<local>"], adopt: id };
        assert.deepEqual((await W.check({}, news)).failures, []);
        const { id: created, outs } = await W.create(news);
        assert.equal(created, id);
        assert.equal(bytes(), before, "adoption wrote the setting");
        assert.ok(!h.commands.some((c) => /^(netsh winhttp (set|reset|import)|proxycfg -)/i.test(c)), h.commands.join("\n"));
        assert.deepEqual(outs.previous, { exists: true, ...found });
        assert.deepEqual((outs.declared as Record<string, unknown>).adopt, id);
        // adopt matters at create only: dropping it is no change.
        const { adopt: _a, ...without } = news;
        assert.equal((await W.diff(id, outs, without)).changes, false);
        await W.delete(id, outs);
        assert.equal(bytes(), before, "destroy of an unchanged adopted setting wrote it");
      } finally {
        await h.close();
      }
    });
  }

  test("a differing value fails naming the property and writes nothing; adopt is checked", async () => {
    const h = await startHost("win2019", "it-IT", { winHttp: { accessType: "proxy", proxyServer: "a:80", bypassList: "<local>" } });
    try {
      const id = `winhttp:${h.emu.url}`;
      const before = h.host.winHttpSettingsBlob()?.toString("hex");
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ proxyServer: "b:80", bypassList: "<local>" }, /^proxyServer: does not match the host's setting, so it cannot be adopted \(import\): the host has "a:80", the program declares "b:80"/],
        [{ proxyServer: "a:80" }, /^bypassList: does not match .*the host has "<local>", the program declares ""/],
        [{ directAccess: true }, /^directAccess: does not match .*the host has "a:80", the program declares direct access/],
      ];
      for (const [inputs, message] of cases) {
        await assert.rejects(W.create({ connection: h.connection, ...inputs, adopt: id }), (e: Error) => {
          assert.match(e.message, message);
          return true;
        });
      }
      await assert.rejects(W.create({ connection: h.connection, proxyServer: "a:80", bypassList: "<local>", adopt: "winhttp:http://other:5985/wsman" }), /^Error: adopt: |adopt: ".*" does not name this connection's host/);
      assert.equal(h.host.winHttpSettingsBlob()?.toString("hex"), before);
      const bad = await W.check({}, { connection: h.connection, importFromIe: true, adopt: "winrm-config:x" });
      assert.deepEqual(bad.failures.map((f) => f.property).sort(), ["adopt", "adopt"]);
    } finally {
      await h.close();
    }
  });
});

describe("WinHttpProxySetting read without state, and absent values", () => {
  test("read from an id and the connection input alone (no state); the id must name the host", async () => {
    const h = await startHost("win2019", "it-IT", { winHttp: { accessType: "proxy", proxyServer: "http=a:80;https=b:443", bypassList: "<local>" } });
    try {
      const id = `winhttp:${h.emu.url}`;
      const r = await W.read(id, { connection: h.connection });
      assert.equal(r.props.proxyServer, "http=a:80;https=b:443");
      assert.equal(r.props.tool, "netsh");
      assert.deepEqual(r.inputs, { connection: h.connection, proxyServer: "http=a:80;https=b:443", bypassList: "<local>", onDelete: "restore" });
      // The program declaring the per-scheme list in another order and case sees no change.
      assert.equal((await W.diff(id, r.props, { connection: h.connection, proxyServer: "HTTPS=b:443;http=a:80", bypassList: "<LOCAL>" })).changes, false);
      await assert.rejects(W.read("winhttp:http://elsewhere:5985/wsman", { connection: h.connection }), /does not name this connection's host/);
    } finally {
      await h.close();
    }
  });

  test("state written before `declared` existed still reads: the inputs in the live form, as before", async () => {
    const h = await startHost("win2008", "es-ES");
    try {
      const news = { connection: h.connection, proxyServer: "p:8080", bypassList: ["<local>", "*.corp"] };
      const { id, outs } = await W.create(news);
      const { declared: _d, ...older } = outs;
      const r = await W.read(id, older);
      assert.deepEqual(r.inputs, { connection: h.connection, proxyServer: "p:8080", bypassList: "<local>;*.corp", onDelete: "restore" });
      assert.equal("declared" in r.props, false);
      assert.deepEqual(r.props, older);
      assert.equal((await W.diff(id, r.props, news)).changes, false);
      // The next update writes it.
      const up = await W.update(id, r.props, news);
      assert.deepEqual(up.outs.declared, { proxyServer: "p:8080", bypassList: ["<local>", "*.corp"] });
    } finally {
      await h.close();
    }
  });

  test("a host that never had a WinHttpSettings value reads as direct; restore leaves it direct", async () => {
    const h = await startHost("win2003r2", "en-US", { winHttp: null });
    try {
      const { id, outs } = await W.create({ connection: h.connection, proxyServer: "p:8080" });
      assert.deepEqual(outs.previous, { exists: false, accessType: "direct", proxyServer: "", bypassList: "" });
      await W.delete(id, outs);
      assert.equal(h.host.winHttpProxy.accessType, "direct");
    } finally {
      await h.close();
    }
  });
});

describe("WinHttpProxySetting: a connection-only change", () => {
  test("new timeouts and TLS options update the stored connection and run nothing on the host; declared follows", async () => {
    const h = await startHost("win2019");
    try {
      const news = { connection: h.connection, proxyServer: "proxy.corp.example:3128" };
      const { id, outs } = await W.create(news);
      const ran = h.commands.length;
      const requests = h.emu.requests.length;
      const changed = { ...news, connection: { ...h.connection, timeouts: { connectMs: 5_000, operationTimeoutSec: 30 } } };
      const d = await W.diff(id, outs, changed);
      assert.deepEqual(Object.keys(d.detailedDiff).sort(), ["connection.timeouts.connectMs", "connection.timeouts.operationTimeoutSec"]);
      const up = await W.update(id, outs, changed);
      assert.deepEqual(up.outs.connection, changed.connection);
      assert.deepEqual({ ...up.outs, connection: outs.connection }, outs, "everything else as stored");
      assert.equal(h.commands.length, ran, "no netsh, no reg query");
      assert.equal(h.emu.requests.length, requests, "nothing reached the host");
      // A setting change with it applies the setting (through the new connection).
      const both = await W.update(id, up.outs, { ...changed, proxyServer: "other.corp.example:8080" });
      assert.equal(both.outs.proxyServer, "other.corp.example:8080");
      assert.ok(h.commands.slice(ran).some((c) => /netsh winhttp set proxy/i.test(c)));
    } finally {
      await h.close();
    }
  });
});
