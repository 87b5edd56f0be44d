/**
 * Adopting settings a host already has, on the real Pulumi CLI v3.248.0, through squid (the fleet lab's hosts and
 * proxies; the program is a small one of its own, run by the engine harness's PulumiProject).
 *
 * The program writes what Pulumi users write: `new WinHttpProxySetting(name, inputs, { import: "winhttp:<endpoint>" })`.
 * The engine's own import step cannot read a dynamic resource (it calls Read with no properties, so there is no
 * serialized provider to run: pulumi/pulumi#3550, #16175), so the SDK turns the option into the `adopt` input and the
 * engine runs a create that writes nothing to the host:
 *
 * - a declared value that differs from the host's fails `pulumi up` naming the property (proxyServer,
 *   serviceAuth.basic), and so does an id naming another host (adopt); the host is untouched, the state empty;
 * - matching values (spelled differently: bypass order, array or string) are adopted: the hosts' WinHttpSettings
 *   bytes and WinRM service document are unchanged (no netsh run, no Put), the state holds the live values and
 *   `previous` is the adopted setting; a refreshing preview shows no change, nor does dropping `import` afterwards;
 * - destroy leaves an adopted setting as it was found; after an update, it puts the adopted value back.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { WinHttpProxyState } from "../../provider/src/hosts/winhttpSettings.js";
import { winHttpId } from "../../provider/src/resources/winHttpProxySetting.js";
import { winRMConfigId } from "../../provider/src/resources/winRMProxyConfig.js";
import { normaliseEndpoint } from "../../provider/src/connection.js";
import { PulumiProject, type PulumiResult } from "../integration/pulumiEngineHarness.js";
import { FleetLab, labMissing, PREVIOUS_LEGACY_02, type LabHost } from "./fleetLab.js";

const skip = labMissing();

const PROJECT = "winrm-adopt";
const STACK = "adopt";
/** WEB-01's WinHTTP proxy before Pulumi manages it (set on the emulated host before the first run). */
const WEB_01_BEFORE: WinHttpProxyState = { accessType: "proxy", proxyServer: "corp-proxy.example:3128", bypassList: "<local>;*.corp.example" };
const NEW_LEGACY_02 = "new-proxy.corp.example:8080";

/** What spec.json declares; the program reads it at each run (the connections come from the environment). */
interface Spec {
  winhttp: { name: string; host: string; args: Record<string, unknown>; import?: string }[];
  winrm: { name: string; host: string; args: Record<string, unknown>; import?: string }[];
}

// CommonJS, as a user's JavaScript program would be; the SDK is the package itself (node_modules/pulumi-winrm-proxy).
const PROGRAM = `"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { WinHttpProxySetting, WinRMProxyConfig } = require("pulumi-winrm-proxy");

const spec = JSON.parse(fs.readFileSync(path.join(__dirname, "spec.json"), "utf8"));
const connections = JSON.parse(process.env.ADOPT_LAB_CONNECTIONS);
for (const r of spec.winhttp) {
  new WinHttpProxySetting(r.name, { connection: connections[r.host], ...r.args }, r.import ? { import: r.import } : {});
}
for (const r of spec.winrm) {
  new WinRMProxyConfig(r.name, { connection: connections[r.host], ...r.args }, r.import ? { import: r.import } : {});
}
`;

interface StateResource {
  urn: string;
  type: string;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

function resourcesOf(stateJson: string): StateResource[] {
  const parsed = JSON.parse(stateJson) as { checkpoint?: { latest?: { resources?: StateResource[] } } };
  return (parsed.checkpoint?.latest?.resources ?? []).filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"));
}

describe("adopting existing settings (the import option) on the real Pulumi CLI, through squid", { skip }, () => {
  let lab: FleetLab;
  let project: PulumiProject;
  let legacy02: LabHost;
  let web01: LabHost;
  let ids: { legacy02: string; web01: string; web01Config: string };

  const writeSpec = (spec: Spec): void => writeFileSync(join(project.projectDir, "spec.json"), JSON.stringify(spec, null, 2));
  const up = (): Promise<PulumiResult> => project.run(["up", "--yes", "--skip-preview", "--non-interactive", "--stack", STACK]);
  const state = (): StateResource[] => resourcesOf(project.stateFile(STACK, PROJECT));
  const named = (name: string): StateResource => {
    const r = state().find((x) => x.urn.endsWith(`::${name}`));
    assert.ok(r !== undefined, `no ${name} in the state`);
    return r;
  };
  /** Everything a write to the host would change: the raw WinHttpSettings bytes (netsh bumps their counter). */
  const winHttpBytes = (h: LabHost): string => h.host.winHttpSettingsBlob()?.toString("hex") ?? "(none)";
  const serviceConfig = (h: LabHost): string => JSON.stringify(h.host.config.get("winrm/config/service"));

  /** The program adopting LEGACY-02's and WEB-01's WinHTTP proxies and WEB-01's service settings, as they are. */
  const adoptAll = (withImport = true): Spec => ({
    winhttp: [
      {
        name: "legacy-02-winhttp",
        host: "legacy-02",
        // The host has "<local>" as a string; an array means the same.
        args: { proxyServer: PREVIOUS_LEGACY_02.proxyServer, bypassList: ["<local>"] },
        ...(withImport ? { import: ids.legacy02 } : {}),
      },
      {
        name: "web-01-winhttp",
        host: "web-01",
        // Another order than the host's: the same bypass list to WinHTTP.
        args: { proxyServer: WEB_01_BEFORE.proxyServer, bypassList: ["*.corp.example", "<local>"] },
        ...(withImport ? { import: ids.web01 } : {}),
      },
    ],
    // WEB-01's service already has the declared (default) settings: AllowUnencrypted false, Basic off.
    winrm: [{ name: "web-01-winrm", host: "web-01", args: {}, ...(withImport ? { import: ids.web01Config } : {}) }],
  });

  before(async () => {
    lab = await FleetLab.start();
    legacy02 = lab.host("legacy-02");
    web01 = lab.host("web-01");
    web01.host.writeWinHttpProxy(WEB_01_BEFORE);
    ids = {
      legacy02: winHttpId(legacy02.emulator.url),
      web01: winHttpId(web01.emulator.url),
      web01Config: winRMConfigId(normaliseEndpoint(web01.emulator.url)),
    };
    const connections = Object.fromEntries(lab.hosts.map((h) => [h.name, lab.connection(h)]));
    project = new PulumiProject({
      name: PROJECT,
      program: PROGRAM,
      files: { "spec.json": JSON.stringify({ winhttp: [], winrm: [] }) },
      env: { ADOPT_LAB_CONNECTIONS: JSON.stringify(connections) },
    });
    await project.ok(["stack", "init", STACK, "--non-interactive"]);
  });

  after(async () => {
    if (project !== undefined) {
      await project.run(["destroy", "--yes", "--skip-preview", "--non-interactive", "--stack", STACK]);
      project.dispose();
      assert.deepEqual(project.killLeftovers(), [], "a Pulumi process outlived the test");
    }
    if (lab !== undefined) await lab.stop();
  });

  test("a declared value that differs from the host's fails the import naming the property, and changes nothing", async () => {
    const legacyBefore = winHttpBytes(legacy02);
    const serviceBefore = serviceConfig(web01);

    writeSpec({
      winhttp: [{ name: "legacy-02-winhttp", host: "legacy-02", args: { proxyServer: NEW_LEGACY_02, bypassList: ["<local>"] }, import: ids.legacy02 }],
      winrm: [],
    });
    let r = await up();
    let out = r.stdout + r.stderr;
    assert.notEqual(r.code, 0, out);
    assert.match(out, /proxyServer: does not match the host's setting, so it cannot be adopted \(import\): the host has "old-proxy\.corp\.example:80", the program declares "new-proxy\.corp\.example:8080"/, out);

    writeSpec({ winhttp: [], winrm: [{ name: "web-01-winrm", host: "web-01", args: { serviceAuth: { basic: true } }, import: ids.web01Config }] });
    r = await up();
    out = r.stdout + r.stderr;
    assert.notEqual(r.code, 0, out);
    assert.match(out, /serviceAuth\.basic: does not match the host's WinRM service, so it cannot be adopted \(import\): the host has false, the program declares true/, out);

    // The id must name the connection's host: WEB-01's id on LEGACY-02's connection.
    writeSpec({
      winhttp: [{ name: "legacy-02-winhttp", host: "legacy-02", args: { proxyServer: PREVIOUS_LEGACY_02.proxyServer, bypassList: "<local>" }, import: ids.web01 }],
      winrm: [],
    });
    r = await up();
    out = r.stdout + r.stderr;
    assert.notEqual(r.code, 0, out);
    assert.match(out, /adopt: ".*" does not name this connection's host; expected "winhttp:/, out);

    assert.equal(winHttpBytes(legacy02), legacyBefore, "LEGACY-02's WinHTTP setting was written");
    assert.equal(serviceConfig(web01), serviceBefore, "WEB-01's service settings were put");
    assert.deepEqual(state(), [], "a failed import left a resource in the state");
  });

  test("matching values are adopted: nothing written to the hosts, the state holds the live values, previous is the adopted setting", async () => {
    const legacyBefore = winHttpBytes(legacy02);
    const webBefore = winHttpBytes(web01);
    const serviceBefore = serviceConfig(web01);

    writeSpec(adoptAll());
    const r = await up();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // The engine ran a create for each (the SDK turned `import` into `adopt`): no "import" step, no update.
    for (const name of ["legacy-02-winhttp", "web-01-winhttp", "web-01-winrm"]) {
      assert.match(r.stdout, new RegExp(`\\+\\s+pulumi-nodejs:dynamic/winrm-proxy:\\w+ ${name} created`), r.stdout);
    }
    assert.doesNotMatch(r.stdout, /\bimport(ing|ed)\b|updated/, r.stdout);
    // Not one write: netsh would have bumped the WinHttpSettings counter, a Put would have changed the document.
    assert.equal(winHttpBytes(legacy02), legacyBefore);
    assert.equal(winHttpBytes(web01), webBefore);
    assert.equal(serviceConfig(web01), serviceBefore);

    const l = named("legacy-02-winhttp");
    assert.equal(l.id, ids.legacy02);
    assert.equal(l.inputs?.adopt, ids.legacy02);
    assert.equal(l.outputs?.proxyServer, PREVIOUS_LEGACY_02.proxyServer);
    assert.equal(l.outputs?.bypassList, PREVIOUS_LEGACY_02.bypassList);
    assert.deepEqual(l.outputs?.previous, { exists: true, ...PREVIOUS_LEGACY_02 }, "previous is the adopted setting");
    const w = named("web-01-winhttp");
    assert.equal(w.id, ids.web01);
    assert.equal(w.outputs?.proxyServer, WEB_01_BEFORE.proxyServer);
    assert.deepEqual(w.outputs?.previous, { exists: true, ...WEB_01_BEFORE });
    const c = named("web-01-winrm");
    assert.equal(c.id, ids.web01Config);
    assert.deepEqual(c.outputs?.previousServiceAuth, c.outputs?.serviceAuth, "previousServiceAuth is the adopted settings");
    assert.equal((c.outputs?.serviceAuth as Record<string, unknown>).basic, false);

    await project.ok(["preview", "--refresh", "--expect-no-changes", "--non-interactive", "--stack", STACK]);
    // As Pulumi advises after an import, the option can go: no change either.
    writeSpec(adoptAll(false));
    await project.ok(["preview", "--refresh", "--expect-no-changes", "--non-interactive", "--stack", STACK]);
    const again = await up();
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.doesNotMatch(again.stdout, /updated|created|deleted/, again.stdout);
    assert.equal(winHttpBytes(legacy02), legacyBefore);
  });

  test("destroy leaves an adopted setting as it was found, and puts it back after an update", async () => {
    const webBefore = winHttpBytes(web01);
    const serviceBefore = serviceConfig(web01);
    const spec = adoptAll(false);
    const legacy = spec.winhttp[0];
    assert.ok(legacy !== undefined);
    legacy.args = { ...legacy.args, proxyServer: NEW_LEGACY_02 };
    writeSpec(spec);
    const r = await up();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /1 updated/, r.stdout);
    assert.equal(lab.winHttpOf(legacy02).proxyServer, NEW_LEGACY_02);
    assert.deepEqual(named("legacy-02-winhttp").outputs?.previous, { exists: true, ...PREVIOUS_LEGACY_02 }, "an update keeps previous");

    const destroy = await project.ok(["destroy", "--yes", "--skip-preview", "--non-interactive", "--stack", STACK]);
    for (const name of ["legacy-02-winhttp", "web-01-winhttp", "web-01-winrm"]) {
      assert.match(destroy.stdout, new RegExp(`-\\s+pulumi-nodejs:dynamic/winrm-proxy:\\w+ ${name} deleted`), destroy.stdout);
    }
    // LEGACY-02: the value found at adoption, back; WEB-01: never changed, so never written (same bytes).
    assert.deepEqual(lab.winHttpOf(legacy02), PREVIOUS_LEGACY_02);
    assert.equal(winHttpBytes(web01), webBefore);
    assert.deepEqual(lab.winHttpOf(web01), WEB_01_BEFORE);
    // WinRMProxyConfig's default onDelete is "retain": the adopted service settings stay as they are.
    assert.equal(serviceConfig(web01), serviceBefore);
    assert.deepEqual(state(), []);
  });
});
