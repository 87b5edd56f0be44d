/**
 * A Go program on the Go SDK generated from the native provider's schema (examples/go: scripts/gen-native-sdks.sh
 * writes the SDK beside it, go.mod replaces the module with it), run by the real CLI v3.248.0 and the Go language host
 * (pulumi-language-go, tools/pulumi-language-go), against the fleet lab's LEGACY-02 through squid, the plugin
 * pulumi-resource-winrmproxy on PATH:
 *
 * - `up` sets the host's WinHTTP proxy and the marker command through the explicit provider;
 * - a change behind Pulumi's back is caught by `preview --refresh --expect-no-changes`, which names the property;
 * - `up` repairs it (refreshing); `destroy` restores what the host had;
 * - the state holds no credential in clear.
 *
 * The Go build is part of each CLI run (the host runs `go build`): the first is cold for this program, the rest hit
 * the Go build cache; the test prints both times.
 */
import { execFile } from "node:child_process";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { PulumiRunner, type PulumiResult } from "../integration/pulumiEngineHarness.js";
import { FleetLab, labMissing, PREVIOUS_LEGACY_02, proxyUrl, REPO_ROOT } from "./fleetLab.js";

const skip = labMissing();
const PROJECT = "winrm-fleet-go";
const STACK = "go";
const WINHTTP_PROXY = "go-proxy.corp.example:8080";
const ROGUE_PROXY = "rogue-proxy.example:9999";
const CREDENTIALS = { user: "CORP\\deploy", password: "Go-Passw0rd-6d2b!" };

const output = (r: PulumiResult): string => `${r.stdout}\n${r.stderr}`;
const show = process.env.NATIVE_E2E_SHOW === "1";

describe("native provider: Go program on the generated Go SDK on the real CLI", { skip, timeout: 1_500_000 }, () => {
  let lab: FleetLab;
  let pulumi: PulumiRunner;

  const withStack = (args: string[]): string[] => [...args, "--stack", STACK, "--non-interactive"];
  const stateFile = (): string => readFileSync(join(lab.dir, "go-state", ".pulumi", "stacks", PROJECT, `${STACK}.json`), "utf8");
  const timed = async (what: string, fn: () => Promise<PulumiResult>): Promise<PulumiResult> => {
    const started = Date.now();
    const r = await fn();
    console.log(`native go: ${what} took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return r;
  };

  before(async () => {
    lab = await FleetLab.start({ credentials: CREDENTIALS });
    const projectDir = join(lab.dir, "go-project");
    // The example program as it is in the repository, its SDK generated beside it (where go.mod's replace points).
    for (const f of ["Pulumi.yaml", "main.go", "go.mod", "go.sum"]) cpSync(join(REPO_ROOT, "examples", "go", f), join(projectDir, f));
    const started = Date.now();
    await promisify(execFile)("bash", [join(REPO_ROOT, "scripts", "gen-native-sdks.sh"), join(projectDir, "sdk"), "go"], { timeout: 900_000 });
    console.log(`native go: SDK generated and built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const d of [join(lab.dir, "go-state"), join(lab.dir, "go-home")]) mkdirSync(d, { recursive: true });
    pulumi = new PulumiRunner({
      cwd: projectDir,
      env: {
        PULUMI_BACKEND_URL: `file://${join(lab.dir, "go-state")}`,
        PULUMI_HOME: join(lab.dir, "go-home"),
        PULUMI_CONFIG_PASSPHRASE: "native-go-test",
        PULUMI_CONFIG_PASSPHRASE_FILE: undefined,
        NO_COLOR: "1",
        // The modules come from the module cache (or the proxy); the go.sum of examples/go pins them.
        GOFLAGS: "-mod=readonly -buildvcs=false",
        GOTOOLCHAIN: "local",
        PATH: `${join(REPO_ROOT, "bin")}:/usr/local/go/bin:${process.env.PATH ?? ""}`,
      },
      killAfterMs: 900_000,
      label: "native go",
    });
    const legacy = lab.host("legacy-02");
    await pulumi.ok(["stack", "init", STACK, "--non-interactive"]);
    const plain: Record<string, string> = {
      legacyEndpoint: legacy.emulator.url,
      legacyProxy: proxyUrl(legacy.proxy),
      deployUser: CREDENTIALS.user,
      winhttpProxy: WINHTTP_PROXY,
    };
    await pulumi.ok(withStack(["config", "set-all", ...Object.entries(plain).flatMap(([k, v]) => ["--plaintext", `${k}=${v}`])]));
    await pulumi.ok(withStack(["config", "set", "--secret", "deployPassword"]), { input: CREDENTIALS.password });
  });

  after(async () => {
    pulumi?.killLeftovers();
    await lab?.stop();
  });

  test("up sets the host through its provider; the state holds no credential in clear", async () => {
    const r = await timed("first up (cold Go build of the program)", () => pulumi.ok(withStack(["up", "--yes", "--skip-preview"]), { show }));
    assert.match(output(r), /pulumi:providers:winrmproxy/);
    const legacy = lab.host("legacy-02");
    assert.deepEqual(lab.winHttpOf(legacy), { accessType: "proxy", proxyServer: WINHTTP_PROXY, bypassList: "<local>;*.corp.example" });
    assert.equal(lab.markerOf(legacy), WINHTTP_PROXY);
    assert.ok(!stateFile().includes(CREDENTIALS.password), "the password is in the state file in plain text");
    assert.ok(!output(r).includes(CREDENTIALS.password), "the password is in the CLI's output");
  });

  test("an out-of-band change is caught by preview --refresh --expect-no-changes naming the property; up repairs it", async () => {
    const legacy = lab.host("legacy-02");
    await lab.exec(legacy, `netsh winhttp set proxy proxy-server="${ROGUE_PROXY}" bypass-list="<local>"`);
    const preview = await timed("preview (warm Go build)", () => pulumi.run(withStack(["preview", "--refresh", "--expect-no-changes", "--diff"]), { show }));
    assert.notEqual(preview.code, 0, `preview --expect-no-changes passed despite the drift:\n${output(preview)}`);
    assert.match(output(preview), /legacy-02-winhttp/);
    assert.match(output(preview), /proxyServer/);
    assert.equal(lab.winHttpOf(legacy).proxyServer, ROGUE_PROXY, "a preview changed the host");

    await timed("up --refresh", () => pulumi.ok(withStack(["up", "--yes", "--skip-preview", "--refresh"]), { show }));
    assert.equal(lab.winHttpOf(legacy).proxyServer, WINHTTP_PROXY);
    const clean = await pulumi.run(withStack(["preview", "--refresh", "--expect-no-changes"]));
    assert.equal(clean.code, 0, `after the repair a refreshing preview still shows changes:\n${output(clean)}`);
  });

  test("destroy restores what the host had", async () => {
    await timed("destroy", () => pulumi.ok(withStack(["destroy", "--yes", "--skip-preview"]), { show }));
    const legacy = lab.host("legacy-02");
    assert.deepEqual(lab.winHttpOf(legacy), PREVIOUS_LEGACY_02);
    assert.equal(lab.markerOf(legacy), undefined);
  });
});
