/**
 * A JavaScript program on the Node.js SDK generated from the native provider's schema (scripts/gen-native-sdks.sh:
 * the CLI's own code generator, compiled here), on the real CLI and the Node.js language host, against the fleet lab's
 * LEGACY-02 through squid, the plugin installed into the plugin cache (scripts/install-native-plugin.sh):
 *
 * - `new winrmproxy.Provider(...)` per host (the SDK sends its object inputs JSON-encoded: the provider decodes them),
 *   resources with `{ provider }`;
 * - `up` sets the host; an out-of-band change is caught by `preview --refresh --expect-no-changes` naming
 *   `proxyServer`; `refresh` and `up` repair it; `destroy` restores what the host had;
 * - no credential in the state file.
 */
import { execFile } from "node:child_process";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { PulumiRunner, type PulumiResult } from "../integration/pulumiEngineHarness.js";
import { FleetLab, labMissing, PREVIOUS_LEGACY_02, proxyUrl, REPO_ROOT } from "./fleetLab.js";

const skip = labMissing();
const PROJECT = "winrm-nodejs-sdk";
const STACK = "sdk";
const WINHTTP_PROXY = "sdk-proxy.corp.example:8080";
const ROGUE_PROXY = "rogue-proxy.example:7777";
const CREDENTIALS = { user: "CORP\\deploy", password: "Sdk-Passw0rd-6d2e!" };
const output = (r: PulumiResult): string => `${r.stdout}\n${r.stderr}`;

const PROGRAM = `"use strict";
const pulumi = require("@pulumi/pulumi");
const winrmproxy = require("@pulumi-winrm-proxy/winrmproxy");

const config = new pulumi.Config();
const legacy = new winrmproxy.Provider("legacy-02", {
  endpoint: config.require("legacyEndpoint"),
  auth: { mechanism: "negotiate", username: config.require("deployUser"), password: config.requireSecret("deployPassword") },
  proxy: { url: config.require("legacyProxy") },
});
const setting = new winrmproxy.WinHttpProxySetting("legacy-02-winhttp", {
  proxyServer: config.require("winhttpProxy"),
  bypassList: ["<local>", "*.corp.example"],
}, { provider: legacy });
new winrmproxy.RemoteCommand("legacy-02-marker", {
  create: 'reg add "HKLM\\\\SOFTWARE\\\\Corp\\\\Deployment" /v WinHttpProxy /t REG_SZ /d "' + config.require("winhttpProxy") + '" /f',
  delete: 'reg delete "HKLM\\\\SOFTWARE\\\\Corp\\\\Deployment" /v WinHttpProxy /f',
}, { provider: legacy, dependsOn: [setting] });
exports.proxyServer = setting.proxyServer;
`;

describe("native provider: a program on the generated Node.js SDK", { skip, timeout: 900_000 }, () => {
  let lab: FleetLab;
  let pulumi: PulumiRunner;
  const withStack = (args: string[]): string[] => [...args, "--stack", STACK, "--non-interactive"];

  before(async () => {
    lab = await FleetLab.start({ credentials: CREDENTIALS });
    const sdkDir = join(lab.dir, "sdk");
    await promisify(execFile)("bash", [join(REPO_ROOT, "scripts", "gen-native-sdks.sh"), sdkDir, "nodejs"], { timeout: 600_000 });
    const projectDir = join(lab.dir, "sdk-project");
    const home = join(lab.dir, "sdk-home");
    for (const d of [projectDir, join(lab.dir, "sdk-state"), home, join(projectDir, "node_modules", "@pulumi-winrm-proxy")]) mkdirSync(d, { recursive: true });
    writeFileSync(join(projectDir, "Pulumi.yaml"), `name: ${PROJECT}\nruntime: nodejs\nmain: index.js\n`);
    writeFileSync(join(projectDir, "package.json"), JSON.stringify({ name: PROJECT, private: true, main: "index.js" }));
    writeFileSync(join(projectDir, "index.js"), PROGRAM);
    // node_modules: @pulumi/pulumi from the repository, the generated SDK as @pulumi-winrm-proxy/winrmproxy.
    symlinkSync(join(REPO_ROOT, "node_modules", "@pulumi"), join(projectDir, "node_modules", "@pulumi"), "dir");
    symlinkSync(join(sdkDir, "nodejs", "bin"), join(projectDir, "node_modules", "@pulumi-winrm-proxy", "winrmproxy"), "dir");
    await promisify(execFile)("bash", [join(REPO_ROOT, "scripts", "install-native-plugin.sh")], {
      env: { ...process.env, PULUMI_HOME: home, PULUMI: `node ${join(REPO_ROOT, "scripts", "pulumi.mjs")}` },
    });
    pulumi = new PulumiRunner({
      cwd: projectDir,
      env: {
        PULUMI_BACKEND_URL: `file://${join(lab.dir, "sdk-state")}`,
        PULUMI_HOME: home,
        PULUMI_CONFIG_PASSPHRASE: "native-sdk-test",
        PULUMI_CONFIG_PASSPHRASE_FILE: undefined,
        NO_COLOR: "1",
      },
      killAfterMs: 180_000,
      label: "native nodejs sdk",
    });
    const legacy = lab.host("legacy-02");
    await pulumi.ok(["stack", "init", STACK, "--non-interactive"]);
    const plain = { legacyEndpoint: legacy.emulator.url, legacyProxy: proxyUrl(legacy.proxy), deployUser: CREDENTIALS.user, winhttpProxy: WINHTTP_PROXY };
    await pulumi.ok(withStack(["config", "set-all", ...Object.entries(plain).flatMap(([k, v]) => ["--plaintext", `${k}=${v}`])]));
    await pulumi.ok(withStack(["config", "set", "--secret", "deployPassword"]), { input: CREDENTIALS.password });
  });

  after(async () => {
    pulumi?.killLeftovers();
    await lab?.stop();
  });

  test("up, drift caught by a refreshing preview, refresh, repair, destroy restores; no credential in state", async () => {
    const legacy = lab.host("legacy-02");
    await pulumi.ok(withStack(["up", "--yes", "--skip-preview"]));
    assert.deepEqual(lab.winHttpOf(legacy), { accessType: "proxy", proxyServer: WINHTTP_PROXY, bypassList: "<local>;*.corp.example" });
    assert.equal(lab.markerOf(legacy), WINHTTP_PROXY);
    const stateFile = join(lab.dir, "sdk-state", ".pulumi", "stacks", PROJECT, `${STACK}.json`);
    assert.ok(!readFileSync(stateFile, "utf8").includes(CREDENTIALS.password), "the password is in the state in plain text");

    await lab.exec(legacy, `netsh winhttp set proxy proxy-server="${ROGUE_PROXY}" bypass-list="<local>"`);
    const drift = await pulumi.run(withStack(["preview", "--refresh", "--expect-no-changes", "--diff"]));
    assert.notEqual(drift.code, 0, `the drift was not caught:\n${output(drift)}`);
    assert.match(output(drift), /proxyServer/);
    await pulumi.ok(withStack(["refresh", "--yes", "--skip-preview"]));
    await pulumi.ok(withStack(["up", "--yes", "--skip-preview"]));
    assert.equal(lab.winHttpOf(legacy).proxyServer, WINHTTP_PROXY);

    await pulumi.ok(withStack(["destroy", "--yes", "--skip-preview"]));
    assert.deepEqual(lab.winHttpOf(legacy), PREVIOUS_LEGACY_02);
    assert.equal(lab.markerOf(legacy), undefined);
  });
});
