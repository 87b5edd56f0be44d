/**
 * Interrupted creates and deletes, called as the engine's dynamic-provider process calls them, against emulated hosts
 * through the real client. A create whose result never reached the state (the CLI was killed) is run again as the
 * engine runs it: a fresh create with no state. Each point of interruption is reproduced by what it leaves on the
 * host: a backup and no change (the tool fails), the change made (a create whose result is dropped), a restore made
 * and the backup left (its removal fails).
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { backupKey } from "../../provider/src/hosts/backup.js";
import { resourceProviders } from "../../provider/src/resources/index.js";
import { closeAllClients } from "../../provider/src/resources/clientPool.js";
import type { Locale } from "../../provider/src/testing/index.js";
import type { ProfileName } from "../../provider/src/testing/index.js";
import { fakeCommand, startHost, type ResourceHost } from "./resourcesHarness.js";

const W = resourceProviders.WinHttpProxySetting;
const C = resourceProviders.WinRMProxyConfig;

after(async () => {
  await closeAllClients();
});

const ORIGINAL = { accessType: "proxy" as const, proxyServer: "old-proxy.corp.example:80", bypassList: "<local>" };

const bytes = (h: ResourceHost): { native: string; wow64: string } => ({
  native: h.host.winHttpSettingsBlob("native")?.toString("hex") ?? "(none)",
  wow64: h.host.winHttpSettingsBlob("wow64")?.toString("hex") ?? "(none)",
});
const hasBackup = (h: ResourceHost, setting: "WinHttpSettings" | "WinRMService"): boolean => h.host.registry.keyExists(backupKey(setting));

const HOSTS: { profile: ProfileName; locale: Locale; set: RegExp }[] = [
  { profile: "win2003r2", locale: "es-ES", set: /^proxycfg -p/ },
  { profile: "win2008", locale: "es-ES", set: /^netsh winhttp set proxy/ },
  { profile: "win2019", locale: "it-IT", set: /^netsh winhttp set proxy/ },
];

for (const { profile, locale, set } of HOSTS) {
  describe(`WinHttpProxySetting on ${profile} (${locale}): a create or delete interrupted anywhere`, () => {
    test("after the change, before the state: the rerun records the true original; destroy puts its bytes back", async () => {
      const h = await startHost(profile, locale, { winHttp: ORIGINAL });
      try {
        const before = bytes(h);
        const news = { connection: h.connection, proxyServer: "new-proxy:3128", bypassList: ["<local>"] };
        await W.create(news); // its result is lost: the CLI was killed before writing the state
        assert.equal(h.host.winHttpProxy.proxyServer, "new-proxy:3128");
        assert.ok(hasBackup(h, "WinHttpSettings"));
        const { id, outs } = await W.create(news);
        assert.deepEqual(outs.previous, { exists: true, ...ORIGINAL }, "previous is the setting before the first run, not the first run's change");
        // The rerun found the host as declared: no second change.
        assert.equal(h.commands.filter((c) => set.test(c)).length, 1, h.commands.join("\n"));
        await W.delete(id, outs);
        assert.deepEqual(bytes(h), before, "the original bytes in both views, change counter included");
        assert.equal(hasBackup(h, "WinHttpSettings"), false, "the backup is removed with the resource");
      } finally {
        await h.close();
      }
    });

    test("after the backup, before the change; then a rerun with another declaration", async () => {
      const h = await startHost(profile, locale, { winHttp: ORIGINAL });
      try {
        const before = bytes(h);
        h.intercept((line) => (set.test(line) ? fakeCommand("", 1, "simulated: the process died here") : undefined));
        await assert.rejects(W.create({ connection: h.connection, proxyServer: "first:3128" }));
        assert.ok(hasBackup(h, "WinHttpSettings"));
        assert.deepEqual(bytes(h), before, "nothing changed yet");
        h.intercept(undefined);
        await W.create({ connection: h.connection, proxyServer: "second:3128" }); // result lost again
        const { id, outs } = await W.create({ connection: h.connection, proxyServer: "third:8080", bypassList: "*.corp" });
        assert.deepEqual(outs.previous, { exists: true, ...ORIGINAL });
        assert.equal(h.host.winHttpProxy.proxyServer, "third:8080");
        await W.delete(id, outs);
        assert.deepEqual(bytes(h), before);
      } finally {
        await h.close();
      }
    });

    test("a delete interrupted after the restore, before the backup's removal, is run again", async () => {
      const h = await startHost(profile, locale, { winHttp: null });
      try {
        const { id, outs } = await W.create({ connection: h.connection, proxyServer: "new-proxy:3128" });
        assert.deepEqual(outs.previous, { exists: false, accessType: "direct", proxyServer: "", bypassList: "" });
        h.intercept((line) => (line.startsWith("reg delete") && line.includes("pulumi-winrm-proxy") ? fakeCommand("", 5, "simulated") : undefined));
        await assert.rejects(W.delete(id, outs));
        assert.equal(h.host.winHttpSettingsBlob(), undefined, "restored: the value did not exist before");
        assert.ok(hasBackup(h, "WinHttpSettings"));
        h.intercept(undefined);
        await W.delete(id, outs);
        assert.equal(h.host.winHttpSettingsBlob(), undefined);
        assert.equal(h.host.winHttpSettingsBlob("wow64"), undefined);
        assert.equal(hasBackup(h, "WinHttpSettings"), false);
      } finally {
        await h.close();
      }
    });
  });
}

describe("WinHttpProxySetting: backups and the other ways a setting is managed", () => {
  test("nothing to change: no backup is written; onDelete retain and reset remove a backup", async () => {
    const h = await startHost("win2019", "en-US", { winHttp: ORIGINAL });
    try {
      const { id, outs } = await W.create({ connection: h.connection, proxyServer: ORIGINAL.proxyServer, bypassList: ORIGINAL.bypassList });
      assert.equal(hasBackup(h, "WinHttpSettings"), false);
      assert.ok(!h.commands.some((c) => c.startsWith("reg add")), h.commands.join("\n"));
      await W.delete(id, outs);

      const retained = await W.create({ connection: h.connection, proxyServer: "kept:80", onDelete: "retain" });
      assert.ok(hasBackup(h, "WinHttpSettings"));
      await W.delete(retained.id, retained.outs);
      assert.equal(h.host.winHttpProxy.proxyServer, "kept:80");
      assert.equal(hasBackup(h, "WinHttpSettings"), false, "the retained value is the host's own now");

      const reset = await W.create({ connection: h.connection, proxyServer: "other:80", onDelete: "reset" });
      assert.deepEqual(reset.outs.previous, { exists: true, accessType: "proxy", proxyServer: "kept:80", bypassList: "" });
      await W.delete(reset.id, reset.outs);
      assert.equal(h.host.winHttpProxy.accessType, "direct");
      assert.equal(hasBackup(h, "WinHttpSettings"), false);
    } finally {
      await h.close();
    }
  });

  test("adopting: the original is the live value, even with a backup left by an abandoned create", async () => {
    const h = await startHost("win2008", "es-ES", { winHttp: ORIGINAL });
    try {
      await W.create({ connection: h.connection, proxyServer: "abandoned:3128" }); // lost, and dropped from the program
      const adopted = { accessType: "proxy" as const, proxyServer: "abandoned:3128", bypassList: "" };
      const commandsBefore = h.commands.length;
      const { id, outs } = await W.create({ connection: h.connection, proxyServer: "abandoned:3128", adopt: `winhttp:${h.emu.url}` });
      assert.deepEqual(outs.previous, { exists: true, ...adopted });
      assert.ok(!h.commands.slice(commandsBefore).some((c) => /^(netsh|reg add|reg delete)/.test(c)), "adopting writes nothing");
      const updated = await W.update(id, outs, { connection: h.connection, proxyServer: "later:80" });
      await W.delete(id, updated.outs);
      assert.equal(h.host.winHttpProxy.proxyServer, "abandoned:3128", "destroy puts back the adopted value");
      assert.equal(hasBackup(h, "WinHttpSettings"), false);
    } finally {
      await h.close();
    }
  });
});

describe("WinRMProxyConfig: the service settings' original on the host", () => {
  const declared = (h: ResourceHost): Record<string, unknown> => ({
    connection: h.connection,
    serviceAuth: { credSSP: true, cbtHardeningLevel: "Strict" },
    onDelete: "restore",
  });

  test("backup before the first Put; a create whose result was lost, run again, records the true original; destroy restores it", async () => {
    const h = await startHost("win2019", "es-ES");
    try {
      h.host.config.set("winrm/config/service/auth", { Basic: "true" });
      const original = h.host.config.serviceAuth;
      const observed: string[] = [];
      const stop = h.host.observe((a) => {
        if (a.kind === "config-put") observed.push("put");
        else if (a.commandLine.includes("reg add") && a.commandLine.includes("WinRMService")) observed.push("backup");
      });
      await C.create(declared(h)); // lost
      stop();
      assert.deepEqual(observed, ["backup", "put"], "the backup is written before the first Put");
      assert.equal(h.host.config.serviceAuth.credSSP, true);
      const { id, outs } = await C.create(declared(h));
      assert.deepEqual(outs.previousServiceAuth, original);
      await C.delete(id, outs);
      assert.deepEqual(h.host.config.serviceAuth, original);
      assert.equal(hasBackup(h, "WinRMService"), false);
    } finally {
      await h.close();
    }
  });

  test("nothing to Put: no backup; the default onDelete (retain) removes one left behind; WinHTTP's backup is another's", async () => {
    const h = await startHost("win2019");
    try {
      const { id, outs } = await C.create({ connection: h.connection });
      assert.equal(hasBackup(h, "WinRMService"), false);
      await W.create({ connection: h.connection, proxyServer: "p:80" }); // its own backup
      await C.create(declared(h)); // lost: leaves the service backup
      assert.ok(hasBackup(h, "WinRMService"));
      await C.delete(id, outs);
      assert.equal(hasBackup(h, "WinRMService"), false);
      assert.ok(hasBackup(h, "WinHttpSettings"), "one setting's delete leaves the other setting's backup");
    } finally {
      await h.close();
    }
  });
});
