/**
 * `pulumi up` killed with SIGKILL in the middle of creating WinHttpProxySetting and WinRMProxyConfig resources, on the
 * real Pulumi CLI v3.248.0 through squid (the fleet lab's hosts and proxies; a program of its own, run by the engine
 * harness's PulumiProject), then `up` again and `destroy`: every host must end with exactly the setting it had.
 *
 * The kill is deterministic: the emulated hosts report each command line right after it ran and each config Put right
 * after it was applied, before the answer leaves (EmulatedHost.observe); at the chosen one the test SIGKILLs every
 * process of the run at once (the CLI, the language host, the dynamic-provider plugin: PulumiRunner.killLeftovers, by
 * the marker variable they all inherit). The plugin never sees that answer and the engine never records the result:
 * the state keeps a pending CREATE, and the file backend the run's lock (`pulumi cancel` removes it, as README
 * "After a killed `pulumi up`" tells the user).
 *
 * Each rerun is itself killed at the next point, so every kill point is also "a rerun interrupted again". The program
 * chains the creates with dependsOn, so they run in program order and each point is reached in the run meant for it:
 *  1. LEGACY-01 (2003 R2, proxycfg, no WinHttpSettings value at all) has read back its change: the create was about to
 *     return, its result never reaches the state;
 *  2. LEGACY-02 (2008, Spanish, netsh) has written the backup of its WinHTTP setting, not yet changed it;
 *  3. WEB-01 (2019, HTTPS) has run `netsh winhttp set proxy`: changed, not yet read back;
 *  4. WEB-01's WinRM service has applied the Put of the declared auth settings.
 * Then an `up` completes: every `previous` / `previousServiceAuth` in the state is the
 * setting from before the first run (the bug this guards against: a rerun recorded the changed value and destroy left
 * it), and `destroy` restores the exact registry bytes (both views, change counter included) and service document,
 * and removes the backups.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { backupKey } from "../../provider/src/hosts/backup.js";
import type { WinHttpProxyState } from "../../provider/src/hosts/winhttpSettings.js";
import type { HostActivity } from "../../provider/src/testing/index.js";
import { CONNECTIONS_KEY } from "../../provider/src/testing/index.js";
import { PulumiProject, type PulumiResult } from "../integration/pulumiEngineHarness.js";
import { FleetLab, labMissing, PREVIOUS_LEGACY_02, type LabHost } from "./fleetLab.js";

const skip = labMissing();

const PROJECT = "winrm-crash";
const STACK = "crash";
const WEB_01_BEFORE: WinHttpProxyState = { accessType: "proxy", proxyServer: "corp-proxy.example:3128", bypassList: "<local>;*.corp.example" };

// CommonJS, as a user's program; the connections come from the environment (passwords included: test values).
const PROGRAM = `"use strict";
const { WinHttpProxySetting, WinRMProxyConfig } = require("pulumi-winrm-proxy");
const c = JSON.parse(process.env.CRASH_LAB_CONNECTIONS);
const proxyServer = "proxy.corp.example:8080";
// Each create after the one before (dependsOn): the kill points are reached in the run meant for them.
const l1 = new WinHttpProxySetting("legacy-01-winhttp", { connection: c["legacy-01"], proxyServer, bypassList: ["<local>"] });
const l2 = new WinHttpProxySetting("legacy-02-winhttp", { connection: c["legacy-02"], proxyServer, bypassList: ["<local>", "*.corp.example"] }, { dependsOn: [l1] });
const w = new WinHttpProxySetting("web-01-winhttp", { connection: c["web-01"], proxyServer }, { dependsOn: [l2] });
new WinRMProxyConfig("web-01-winrm", { connection: c["web-01"], serviceAuth: { credSSP: true, cbtHardeningLevel: "Strict" }, onDelete: "restore" }, { dependsOn: [w] });
`;

interface KillPoint {
  name: string;
  host: string;
  /** Whether this activity is the moment to kill (called for every activity of `host` while the run is armed). */
  matches: (a: HostActivity, seen: HostActivity[]) => boolean;
  /** The resource being created at the kill (its create stays pending). */
  resource: string;
  /** The resources created (and recorded) before the kill, in this run or an earlier one. */
  recordedBefore: string[];
}

const isCommand = (a: HostActivity, re: RegExp): boolean => a.kind === "command" && re.test(a.commandLine);
const BACKUP_WRITE = /^reg query "HKLM\\SOFTWARE\\pulumi-winrm-proxy\\Originals\\WinHttpSettings" \/v \w+ >nul 2>&1 \|\| reg add /;
const READ_WINHTTP = /^reg query "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections" \/v WinHttpSettings$/;

const KILL_POINTS: KillPoint[] = [
  {
    name: "LEGACY-01 read back its proxycfg change (the create was about to return)",
    host: "legacy-01",
    resource: "legacy-01-winhttp",
    matches: (a, seen) => isCommand(a, READ_WINHTTP) && seen.some((s) => isCommand(s, /^proxycfg -p/)),
    recordedBefore: [],
  },
  { name: "LEGACY-02 wrote its backup, nothing changed yet", host: "legacy-02", resource: "legacy-02-winhttp", matches: (a) => isCommand(a, BACKUP_WRITE), recordedBefore: ["legacy-01-winhttp"] },
  {
    name: "WEB-01 ran netsh winhttp set proxy, not read back",
    host: "web-01",
    resource: "web-01-winhttp",
    matches: (a) => isCommand(a, /^netsh winhttp set proxy/),
    recordedBefore: ["legacy-01-winhttp", "legacy-02-winhttp"],
  },
  {
    name: "WEB-01's WinRM service applied the Put",
    host: "web-01",
    resource: "web-01-winrm",
    matches: (a) => a.kind === "config-put",
    recordedBefore: ["legacy-01-winhttp", "legacy-02-winhttp", "web-01-winhttp"],
  },
];

interface StateResource {
  urn: string;
  type: string;
  outputs?: Record<string, unknown>;
}

interface Deployment {
  resources?: StateResource[];
  pending_operations?: { type: string; resource: { urn: string } }[];
}

function deploymentOf(stateJson: string): Deployment {
  return (JSON.parse(stateJson) as { checkpoint?: { latest?: Deployment } }).checkpoint?.latest ?? {};
}

describe("pulumi up killed with SIGKILL during creates, then up and destroy: every host ends with its original", { skip }, () => {
  let lab: FleetLab;
  let project: PulumiProject;
  /** Per host: the raw WinHttpSettings of both views and the service document, before Pulumi ever ran. */
  const originals = new Map<string, string>();
  let armed: { point: KillPoint; seen: HostActivity[]; fired: boolean } | undefined;

  const snapshot = (h: LabHost): string =>
    JSON.stringify({
      native: h.host.winHttpSettingsBlob("native")?.toString("hex") ?? null,
      wow64: h.host.winHttpSettingsBlob("wow64")?.toString("hex") ?? null,
      service: h.host.config.get("winrm/config/service"),
      backups: h.host.registry.keyExists(backupKey("WinHttpSettings")) || h.host.registry.keyExists(backupKey("WinRMService")),
    });
  /** The file backend's lock files (.pulumi/locks/...), one per run holding the stack. */
  const lockFiles = (): string[] => {
    const root = join(project.backendDir, ".pulumi", "locks");
    if (!existsSync(root)) return [];
    return readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
  };
  const stackArgs = ["--yes", "--skip-preview", "--non-interactive", "--stack", STACK];
  const up = (): Promise<PulumiResult> => project.run(["up", ...stackArgs]);
  const deployment = (): Deployment => deploymentOf(project.stateFile(STACK, PROJECT));
  const outputsOf = (name: string): Record<string, unknown> => {
    const r = (deployment().resources ?? []).find((x) => x.urn.endsWith(`::${name}`));
    assert.ok(r?.outputs !== undefined, `no ${name} in the state`);
    return r.outputs;
  };

  before(async () => {
    lab = await FleetLab.start();
    // Three kinds of original: LEGACY-01 never had a WinHttpSettings value, LEGACY-02 an old proxy (the lab's), WEB-01
    // a proxy with a bypass list and a weaker service (Basic on).
    lab.host("legacy-01").host.registry.deleteValue(CONNECTIONS_KEY, "WinHttpSettings");
    const web01 = lab.host("web-01");
    web01.host.writeWinHttpProxy(WEB_01_BEFORE);
    web01.host.config.set("winrm/config/service/auth", { Basic: "true" });
    for (const h of lab.hosts) {
      originals.set(h.name, snapshot(h));
      h.host.observe((a) => {
        if (armed === undefined || armed.fired || armed.point.host !== h.name) return;
        armed.seen.push(a);
        if (!armed.point.matches(a, armed.seen)) return;
        armed.fired = true;
        // Synchronously, before the emulator answers: the plugin never learns the result.
        project.killLeftovers();
      });
    }
    const connections = Object.fromEntries(lab.hosts.map((h) => [h.name, lab.connection(h)]));
    project = new PulumiProject({ name: PROJECT, program: PROGRAM, env: { CRASH_LAB_CONNECTIONS: JSON.stringify(connections) } });
    await project.ok(["stack", "init", STACK, "--non-interactive"]);
  });

  after(async () => {
    armed = undefined;
    if (project !== undefined) {
      await project.run(["destroy", ...stackArgs]);
      project.dispose();
      assert.deepEqual(project.killLeftovers(), [], "a Pulumi process outlived the test");
    }
    if (lab !== undefined) await lab.stop();
  });

  /** The true originals, as the state must record them. */
  const assertOriginalRecorded = (name: string): void => {
    const o = outputsOf(name);
    if (name === "legacy-01-winhttp") assert.deepEqual(o.previous, { exists: false, accessType: "direct", proxyServer: "", bypassList: "" }, name);
    else if (name === "legacy-02-winhttp") assert.deepEqual(o.previous, { exists: true, ...PREVIOUS_LEGACY_02 }, name);
    else if (name === "web-01-winhttp") assert.deepEqual(o.previous, { exists: true, ...WEB_01_BEFORE }, name);
    else assert.equal((o.previousServiceAuth as { basic: boolean }).basic, true, name);
  };

  for (const [i, point] of KILL_POINTS.entries()) {
    test(`${i === 0 ? "up" : "the rerun up"} killed when ${point.name}`, async () => {
      armed = { point, seen: [], fired: false };
      const killed = await up();
      const fired = armed.fired;
      armed = undefined;
      assert.ok(fired, `the kill point was never reached\n${killed.stdout}\n${killed.stderr}`);
      assert.notEqual(killed.code, 0, "the killed run cannot have succeeded");
      const d = deployment();
      assert.ok(
        (d.pending_operations ?? []).some((p) => p.type === "creating" && p.resource.urn.endsWith(`::${point.resource}`)),
        `no pending create in the state after the kill: ${JSON.stringify(d.pending_operations)}`,
      );
      // What the runs before completed is recorded with the true originals (the reruns found the backups).
      for (const name of point.recordedBefore) assertOriginalRecorded(name);

      // The file backend keeps the killed run's lock (`up` would fail: "the stack is currently locked") until
      // `pulumi cancel` removes it.
      assert.notDeepEqual(lockFiles(), [], "the killed run left no lock");
      await project.ok(["cancel", "--yes", "--stack", STACK]);
      assert.deepEqual(lockFiles(), []);
    });
  }

  test("the last rerun up records every true original (no --clear-pending-creates needed); destroy restores them exactly", async () => {
    const rerun = await up();
    assert.equal(rerun.code, 0, rerun.stdout + rerun.stderr);
    for (const name of ["legacy-01-winhttp", "legacy-02-winhttp", "web-01-winhttp", "web-01-winrm"]) assertOriginalRecorded(name);
    assert.equal(lab.winHttpOf(lab.host("web-01")).proxyServer, "proxy.corp.example:8080");
    assert.equal(lab.host("web-01").host.config.serviceAuth.credSSP, true);
    // The interrupted creates stay listed as pending through `up` (the engine only warns); the rerun created the
    // resources again, so the pending entries describe nothing: `refresh --clear-pending-creates` drops them (README).
    assert.equal((deployment().pending_operations ?? []).length, KILL_POINTS.length);
    const refresh = await project.run(["refresh", "--clear-pending-creates", ...stackArgs]);
    assert.equal(refresh.code, 0, refresh.stdout + refresh.stderr);
    assert.deepEqual(deployment().pending_operations ?? [], []);
    for (const name of ["legacy-01-winhttp", "legacy-02-winhttp", "web-01-winhttp", "web-01-winrm"]) assertOriginalRecorded(name);

    const destroy = await project.run(["destroy", ...stackArgs]);
    assert.equal(destroy.code, 0, destroy.stdout + destroy.stderr);
    for (const h of lab.hosts) {
      assert.equal(snapshot(h), originals.get(h.name), `${h.name} does not hold exactly its original setting after destroy`);
    }
    assert.deepEqual(deployment().resources ?? [], []);
  });
});
