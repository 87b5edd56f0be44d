/**
 * The native provider `winrmproxy` from a Pulumi YAML program (examples/yaml/Pulumi.yaml, `runtime: yaml`), on the
 * real CLI v3.248.0 and the YAML language host v1.25.0, against the fleet lab's emulated hosts through real squids:
 *
 * - the plugin is found on PATH as pulumi-resource-winrmproxy (bin/, started by the engine, no project code);
 * - one explicit `pulumi:providers:winrmproxy` per host, its configuration the connection; the resources name it;
 * - `up` sets the hosts; a change made behind Pulumi's back is caught by `preview --refresh --expect-no-changes`,
 *   which names the property; `refresh` records it, `up` repairs it; `destroy` restores what the hosts had;
 * - a password rotation (the host's account, then the secret config) shows in `up --diff` as the provider's
 *   `auth.password`, [secret], never its value, and runs nothing on the host;
 * - the state file holds no credential in plain text (old or new password, proxy password).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PulumiRunner, type PulumiResult } from "../integration/pulumiEngineHarness.js";
import { FleetLab, labMissing, PREVIOUS_LEGACY_02, proxyUrl, REPO_ROOT } from "./fleetLab.js";

const skip = labMissing();
const PROJECT = "winrm-fleet-yaml";
const STACK = "yaml";
const WINHTTP_PROXY = "yaml-proxy.corp.example:8080";
const ROGUE_PROXY = "rogue-proxy.example:9999";
// Distinctive, so a leak into state or output is unmistakable.
const CREDENTIALS = { user: "CORP\\deploy", password: "Yaml-Passw0rd-4a1f!", proxyUser: "svc-winrm", proxyPassword: "Yaml-Proxy-Passw0rd-77c2!" };
const ROTATED_PASSWORD = "Rotated-Passw0rd-9e3d!";

const output = (r: PulumiResult): string => `${r.stdout}\n${r.stderr}`;
/** NATIVE_E2E_SHOW=1: copy the CLI's output to this process's stdout (to watch a run). */
const show = process.env.NATIVE_E2E_SHOW === "1";

describe("native provider: Pulumi YAML program on the real CLI", { skip, timeout: 900_000 }, () => {
  let lab: FleetLab;
  let pulumi: PulumiRunner;
  let projectDir: string;

  const withStack = (args: string[]): string[] => [...args, "--stack", STACK, "--non-interactive"];
  const stateFile = (): string => readFileSync(join(lab.dir, "yaml-state", ".pulumi", "stacks", PROJECT, `${STACK}.json`), "utf8");

  before(async () => {
    lab = await FleetLab.start({ credentials: CREDENTIALS });
    projectDir = join(lab.dir, "yaml-project");
    mkdirSync(projectDir, { recursive: true });
    mkdirSync(join(lab.dir, "yaml-state"), { recursive: true });
    mkdirSync(join(lab.dir, "yaml-home"), { recursive: true });
    // The example program itself, alone in its directory: no package.json, no node_modules.
    copyFileSync(join(REPO_ROOT, "examples", "yaml", "Pulumi.yaml"), join(projectDir, "Pulumi.yaml"));
    pulumi = new PulumiRunner({
      cwd: projectDir,
      env: {
        PULUMI_BACKEND_URL: `file://${join(lab.dir, "yaml-state")}`,
        PULUMI_HOME: join(lab.dir, "yaml-home"),
        PULUMI_CONFIG_PASSPHRASE: "native-yaml-test",
        PULUMI_CONFIG_PASSPHRASE_FILE: undefined,
        NO_COLOR: "1",
        // The plugin, ambient on PATH (scripts/pulumi.mjs puts the engine's bin dir in front of it).
        PATH: `${join(REPO_ROOT, "bin")}:${process.env.PATH ?? ""}`,
      },
      killAfterMs: 180_000,
      label: "native yaml",
    });
    const legacy = lab.host("legacy-02");
    const web = lab.host("web-01");
    await pulumi.ok(["stack", "init", STACK, "--non-interactive"]);
    const plain: Record<string, string> = {
      legacyEndpoint: legacy.emulator.url,
      legacyProxy: proxyUrl(legacy.proxy),
      webEndpoint: web.emulator.url,
      webCaFile: web.caFile as string,
      corpProxy: proxyUrl(web.proxy),
      deployUser: CREDENTIALS.user,
      proxyUser: CREDENTIALS.proxyUser,
      winhttpProxy: WINHTTP_PROXY,
    };
    await pulumi.ok(withStack(["config", "set-all", ...Object.entries(plain).flatMap(([k, v]) => ["--plaintext", `${k}=${v}`])]));
    // Secrets from stdin, never on a command line.
    await pulumi.ok(withStack(["config", "set", "--secret", "deployPassword"]), { input: CREDENTIALS.password });
    await pulumi.ok(withStack(["config", "set", "--secret", "proxyPassword"]), { input: CREDENTIALS.proxyPassword });
  });

  after(async () => {
    pulumi?.killLeftovers();
    await lab?.stop();
  });

  test("up sets every host through its own provider instance; the state holds no credential in clear", async () => {
    const r = await pulumi.ok(withStack(["up", "--yes", "--skip-preview"]), { show });
    assert.match(output(r), /pulumi:providers:winrmproxy/);
    const legacy = lab.host("legacy-02");
    const web = lab.host("web-01");
    assert.deepEqual(lab.winHttpOf(legacy), { accessType: "proxy", proxyServer: WINHTTP_PROXY, bypassList: "<local>;*.corp.example" });
    assert.deepEqual(lab.winHttpOf(web), { accessType: "proxy", proxyServer: WINHTTP_PROXY, bypassList: "<local>;*.corp.example" });
    assert.equal(lab.markerOf(legacy), WINHTTP_PROXY);
    assert.equal(web.host.config.allowUnencrypted, false);

    const state = stateFile();
    for (const secret of [CREDENTIALS.password, CREDENTIALS.proxyPassword]) {
      assert.ok(!state.includes(secret), "a credential is in the state file in plain text");
      assert.ok(!output(r).includes(secret), "a credential is in the CLI's output");
    }
    const resources = (JSON.parse(state) as { checkpoint: { latest: { resources: { type: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }[] } } })
      .checkpoint.latest.resources;
    const providers = resources.filter((x) => x.type === "pulumi:providers:winrmproxy");
    assert.equal(providers.length, 2, "one provider instance per host");
    // The provider's password is stored as a secret (ciphertext), its endpoint in clear.
    const auth = providers[0]?.inputs?.auth as Record<string, unknown>;
    assert.equal(typeof auth.password, "object");
    assert.equal((auth.password as Record<string, unknown>)["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270");
    // Resources that use their provider's connection keep no copy of it.
    for (const res of resources.filter((x) => x.type.startsWith("winrmproxy:index:"))) {
      assert.equal(res.outputs?.connection, undefined, `${res.type} copied the provider's connection into its state`);
    }
  });

  test("an out-of-band change is caught by preview --refresh --expect-no-changes, naming the property; refresh + up repair it", async () => {
    const legacy = lab.host("legacy-02");
    await lab.exec(legacy, `netsh winhttp set proxy proxy-server="${ROGUE_PROXY}" bypass-list="<local>"`);
    assert.equal(lab.winHttpOf(legacy).proxyServer, ROGUE_PROXY);

    const preview = await pulumi.run(withStack(["preview", "--refresh", "--expect-no-changes", "--diff"]), { show });
    assert.notEqual(preview.code, 0, `preview --expect-no-changes passed despite the drift:\n${output(preview)}`);
    assert.match(output(preview), /legacy-02-winhttp/);
    assert.match(output(preview), /proxyServer/);
    assert.match(output(preview), new RegExp(ROGUE_PROXY.replace(/\./g, "\\.")));
    assert.equal(lab.winHttpOf(legacy).proxyServer, ROGUE_PROXY, "a preview changed the host");

    await pulumi.ok(withStack(["refresh", "--yes", "--skip-preview"]), { show });
    assert.match(stateFile(), new RegExp(ROGUE_PROXY.replace(/\./g, "\\.")), "refresh did not record the live value");
    await pulumi.ok(withStack(["up", "--yes", "--skip-preview"]), { show });
    assert.equal(lab.winHttpOf(legacy).proxyServer, WINHTTP_PROXY);
    const clean = await pulumi.run(withStack(["preview", "--refresh", "--expect-no-changes"]));
    assert.equal(clean.code, 0, `after the repair a refreshing preview still shows changes:\n${output(clean)}`);
  });

  test("a password rotation shows as the provider's auth.password, [secret], and runs nothing on the host", async () => {
    const legacy = lab.host("legacy-02");
    const web = lab.host("web-01");
    legacy.emulator.setUserPassword(CREDENTIALS.user, ROTATED_PASSWORD);
    web.emulator.setUserPassword(CREDENTIALS.user, ROTATED_PASSWORD);
    await pulumi.ok(withStack(["config", "set", "--secret", "deployPassword"]), { input: ROTATED_PASSWORD });

    const before = { legacy: legacy.emulator.requests.length, web: web.emulator.requests.length };
    const r = await pulumi.ok(withStack(["up", "--yes", "--diff"]), { show });
    const text = output(r);
    assert.match(text, /password/);
    assert.match(text, /\[secret\]/);
    for (const secret of [CREDENTIALS.password, ROTATED_PASSWORD, CREDENTIALS.proxyPassword]) {
      assert.ok(!text.includes(secret), "a password value is in the diff output");
      assert.ok(!stateFile().includes(secret), "a password is in the state file in plain text");
    }
    // Only the providers changed: no resource is updated, so nothing is sent to either host.
    assert.doesNotMatch(text, /winrmproxy:index:\w+\s+legacy-02-winhttp\s+updated/);
    assert.deepEqual({ legacy: legacy.emulator.requests.length, web: web.emulator.requests.length }, before, "the rotation sent requests to a host");
  });

  test("destroy restores what the hosts had, with the rotated password", async () => {
    await pulumi.ok(withStack(["destroy", "--yes", "--skip-preview"]), { show });
    const legacy = lab.host("legacy-02");
    assert.deepEqual(lab.winHttpOf(legacy), PREVIOUS_LEGACY_02);
    assert.equal(lab.winHttpOf(lab.host("web-01")).accessType, "direct");
    assert.equal(lab.markerOf(legacy), undefined);
  });
});
