/**
 * `pulumi import` through the native provider, on the real CLI and the YAML language host, against the fleet lab's
 * LEGACY-02 (its WinHTTP proxy set before Pulumi knows the host) through squid:
 *
 * - the plugin is installed into the plugin cache by scripts/install-native-plugin.sh (no PATH entry: the engine finds
 *   it there, without its "from $PATH" warning);
 * - a YAML program with only the host's explicit provider instance is deployed;
 * - `pulumi import winrmproxy:index:WinHttpProxySetting NAME winhttp:<endpoint> --provider NAME=<urn>` reads the host
 *   through that provider (the engine's import step calls Read with the id alone: the connection is the provider's
 *   configuration) and writes a program snippet with the live values; the host is not changed;
 * - the snippet, added to the program, gives a preview with no changes (`--expect-no-changes`), refreshing too;
 * - destroy leaves the adopted setting as it was found (onDelete "restore" restores the setting read at import).
 */
import { execFile } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PulumiRunner, type PulumiResult } from "../integration/pulumiEngineHarness.js";
import { FleetLab, labMissing, PREVIOUS_LEGACY_02, proxyUrl, REPO_ROOT } from "./fleetLab.js";

const skip = labMissing();
const PROJECT = "winrm-import-yaml";
const STACK = "import";
const CREDENTIALS = { user: "CORP\\deploy", password: "Import-Passw0rd-51b8!" };

const output = (r: PulumiResult): string => `${r.stdout}\n${r.stderr}`;

const PROGRAM = `name: ${PROJECT}
runtime: yaml
config:
  endpoint:
    type: string
  proxyUrl:
    type: string
  deployUser:
    type: string
  deployPassword:
    type: string
    secret: true
resources:
  legacy-02:
    type: pulumi:providers:winrmproxy
    properties:
      endpoint: \${endpoint}
      auth:
        mechanism: negotiate
        username: \${deployUser}
        password: \${deployPassword}
      proxy:
        url: \${proxyUrl}
`;

describe("native provider: pulumi import reads the host through the provider", { skip, timeout: 600_000 }, () => {
  let lab: FleetLab;
  let pulumi: PulumiRunner;
  let projectDir: string;
  const withStack = (args: string[]): string[] => [...args, "--stack", STACK, "--non-interactive"];

  before(async () => {
    lab = await FleetLab.start({ credentials: CREDENTIALS });
    projectDir = join(lab.dir, "import-project");
    for (const d of [projectDir, join(lab.dir, "import-state"), join(lab.dir, "import-home")]) mkdirSync(d, { recursive: true });
    writeFileSync(join(projectDir, "Pulumi.yaml"), PROGRAM);
    pulumi = new PulumiRunner({
      cwd: projectDir,
      env: {
        PULUMI_BACKEND_URL: `file://${join(lab.dir, "import-state")}`,
        PULUMI_HOME: join(lab.dir, "import-home"),
        PULUMI_CONFIG_PASSPHRASE: "native-import-test",
        PULUMI_CONFIG_PASSPHRASE_FILE: undefined,
        NO_COLOR: "1",
      },
      killAfterMs: 180_000,
      label: "native import",
    });
    await promisify(execFile)("bash", [join(REPO_ROOT, "scripts", "install-native-plugin.sh")], {
      env: { ...process.env, PULUMI_HOME: join(lab.dir, "import-home"), PULUMI: `node ${join(REPO_ROOT, "scripts", "pulumi.mjs")}` },
    });
    const legacy = lab.host("legacy-02");
    await pulumi.ok(["stack", "init", STACK, "--non-interactive"]);
    await pulumi.ok(
      withStack(["config", "set-all", "--plaintext", `endpoint=${legacy.emulator.url}`, "--plaintext", `proxyUrl=${proxyUrl(legacy.proxy)}`, "--plaintext", `deployUser=${CREDENTIALS.user}`]),
    );
    await pulumi.ok(withStack(["config", "set", "--secret", "deployPassword"]), { input: CREDENTIALS.password });
    const up = await pulumi.ok(withStack(["up", "--yes", "--skip-preview"]));
    assert.doesNotMatch(output(up), /from \$PATH/, "the engine did not use the installed plugin");
  });

  after(async () => {
    pulumi?.killLeftovers();
    await lab?.stop();
  });

  test("import adopts the live WinHTTP setting and writes it as the program; the next preview shows no changes", async () => {
    const legacy = lab.host("legacy-02");
    const registryBefore = JSON.stringify(lab.winHttpOf(legacy));
    const state = JSON.parse(readFileSync(join(lab.dir, "import-state", ".pulumi", "stacks", PROJECT, `${STACK}.json`), "utf8")) as {
      checkpoint: { latest: { resources: { urn: string; type: string }[] } };
    };
    const providerUrn = state.checkpoint.latest.resources.find((r) => r.type === "pulumi:providers:winrmproxy")?.urn;
    assert.ok(providerUrn !== undefined, "the provider instance is not in the state");
    const id = `winhttp:${legacy.emulator.url}`;
    const snippetFile = join(lab.dir, "imported.yaml");
    const imported = await pulumi.ok(
      withStack(["import", "winrmproxy:index:WinHttpProxySetting", "legacy-02-winhttp", id, "--provider", `legacy-02=${providerUrn}`, "--protect=false", "--yes", "--out", snippetFile]),
    );
    assert.match(output(imported), /import/i);
    assert.equal(JSON.stringify(lab.winHttpOf(legacy)), registryBefore, "import changed the host");
    assert.ok(!output(imported).includes(CREDENTIALS.password));

    const snippet = readFileSync(snippetFile, "utf8");
    assert.match(snippet, /type: winrmproxy:(index:)?WinHttpProxySetting/);
    assert.ok(snippet.includes(PREVIOUS_LEGACY_02.proxyServer), `the snippet does not carry the live proxy:\n${snippet}`);
    assert.ok(!snippet.includes(CREDENTIALS.password), "the snippet holds the password");

    // The snippet is the program's resource: appended under `resources:` (the program ends inside that map).
    const body = snippet.replace(/^resources:\s*\n/m, "");
    appendFileSync(join(projectDir, "Pulumi.yaml"), body);
    const preview = await pulumi.run(withStack(["preview", "--expect-no-changes", "--diff"]));
    assert.equal(preview.code, 0, `the imported program does not match the state:\n${output(preview)}\n--- program\n${readFileSync(join(projectDir, "Pulumi.yaml"), "utf8")}`);
    const refreshing = await pulumi.run(withStack(["preview", "--refresh", "--expect-no-changes"]));
    assert.equal(refreshing.code, 0, `a refreshing preview shows changes:\n${output(refreshing)}`);
  });

  test("destroy leaves the imported setting as it was found", async () => {
    await pulumi.ok(withStack(["destroy", "--yes", "--skip-preview"]));
    assert.deepEqual(lab.winHttpOf(lab.host("legacy-02")), PREVIOUS_LEGACY_02);
  });
});
