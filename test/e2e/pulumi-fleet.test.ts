/**
 * End to end, with the real Pulumi CLI v3.248.0 (scripts/pulumi.mjs, as `npm run pulumi` runs it) on a local file
 * backend: the example program (the root Pulumi.yaml -> examples/fleet/index.ts, compiled by the Pulumi Node.js
 * runtime) against three emulated Windows hosts reached through two real squids (fleetLab.ts):
 *
 * - `pulumi up` creates all three kinds: a WinRMProxyConfig on the 2019 host only (WinRM 3.0), a WinHttpProxySetting
 *   per host (proxycfg on 2003 R2, netsh on the Spanish 2008 and on 2019), a RemoteCommand per host; the hosts'
 *   registries hold the declared values and every WinRM exchange went through the host's proxy;
 * - a refresh right after `up` changes nothing, not even the recorded inputs (read() gives back the inputs as the
 *   program declared them: no false drift from an array bypass list or a default left out);
 * - someone changes two hosts' WinHTTP proxy server out of band (real proxycfg and netsh runs over WinRM, one with
 *   an equivalent bypass list spelled differently); the refreshing preview with --expect-no-changes fails naming
 *   proxyServer and nothing else; `pulumi refresh` records the live value; `pulumi up` puts the declared value back;
 * - a bad input fails `pulumi preview` naming its field;
 * - neither the state file nor `pulumi stack export` holds a password in plaintext;
 * - `pulumi destroy` gives every host back what it had before.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { WinHttpProxyState } from "../../provider/src/hosts/winhttpSettings.js";
import { FleetLab, labMissing, PREVIOUS_LEGACY_02, proxyUrl } from "./fleetLab.js";

const skip = labMissing();

const WINHTTP = { server: "proxy.corp.example:8080", bypass: ["<local>", "*.corp.example"] };
const DECLARED: WinHttpProxyState = { accessType: "proxy", proxyServer: "proxy.corp.example:8080", bypassList: "<local>;*.corp.example" };
const DIRECT: WinHttpProxyState = { accessType: "direct", proxyServer: "", bypassList: "" };
// Distinctive, so that any copy of them in the state is found.
const CREDENTIALS = {
  password: "E2e-Deploy-Pa55word-7f3a9c",
  proxyPassword: "E2e-Proxy-Pa55word-b81d42",
};

interface StateResource {
  urn: string;
  type: string;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

function resourcesOf(stateJson: string): StateResource[] {
  const parsed = JSON.parse(stateJson) as { checkpoint?: { latest?: { resources?: StateResource[] } }; deployment?: { resources?: StateResource[] } };
  return parsed.checkpoint?.latest?.resources ?? parsed.deployment?.resources ?? [];
}

function named(resources: StateResource[], name: string): StateResource {
  const r = resources.find((x) => x.urn.endsWith(`::${name}`));
  assert.ok(r !== undefined, `no ${name} in the state`);
  return r;
}

/**
 * The properties each `<type>: (<op>)` block of a `--diff` display marks as changed ("~ proxyServer: a => b",
 * "+ bypassList: [", "- onDelete: ..."), keyed by the resource id. A block is the lines indented deeper than its
 * header (a refresh block's own "--outputs:--" included; the stack's outputs, less indented, end it).
 */
function changedProperties(out: string, type: string, op: string): Map<string, string[]> {
  const blocks = new Map<string, string[]>();
  let current: { indent: number; props: string[] } | undefined;
  for (const line of out.split(/\r?\n/)) {
    const indent = line.search(/\S/);
    if (line.includes(`${type}: (${op})`)) {
      current = { indent, props: [] };
      continue;
    }
    if (current === undefined) continue;
    if (indent <= current.indent) {
      current = undefined;
      continue;
    }
    const id = /^\s*\[id=(.*)\]\s*$/.exec(line)?.[1];
    if (id !== undefined) blocks.set(id, current.props);
    const prop = /^\s*[~+-]\s+([A-Za-z_]\w*)\s*:/.exec(line)?.[1];
    if (prop !== undefined && !current.props.includes(prop)) current.props.push(prop);
  }
  return blocks;
}

/** The inputs the state records for each dynamic resource, secrets shown (`pulumi stack export --show-secrets`). */
async function recordedInputs(lab: FleetLab): Promise<Record<string, unknown>> {
  const exported = await lab.ok(["stack", "export", "--show-secrets", "--stack", lab.stack]);
  return Object.fromEntries(
    resourcesOf(exported.stdout)
      .filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"))
      .map((r) => [r.urn, r.inputs]),
  );
}

function assertNoPlaintextSecret(text: string, where: string): void {
  for (const [what, secret] of Object.entries(CREDENTIALS)) {
    assert.equal(text.includes(secret), false, `${where} holds the ${what} in plaintext`);
  }
}

describe("the example fleet program on the real Pulumi CLI, through squid", { skip }, () => {
  let lab: FleetLab;

  before(async () => {
    lab = await FleetLab.start({ credentials: CREDENTIALS });
    await lab.initStack(WINHTTP);
  });

  after(async () => {
    if (lab === undefined) return;
    // Leave the hosts clean even when a test failed half-way, then stop everything.
    await lab.run(lab.withStack(["destroy", "--yes", "--skip-preview", "--non-interactive"]));
    await lab.stop();
    assert.deepEqual(lab.killLeftovers(), [], "a Pulumi process outlived the lab");
  });

  test("pulumi up creates WinRMProxyConfig on the WinRM 3.0 host, and a WinHttpProxySetting and RemoteCommand on each", async () => {
    const up = await lab.ok(lab.withStack(["up", "--yes", "--skip-preview", "--non-interactive"]));
    assert.match(up.stdout, /8 created/);

    const resources = resourcesOf(lab.stateFile());
    const configs = resources.filter((r) => r.type === "pulumi-nodejs:dynamic/winrm-proxy:WinRMProxyConfig");
    assert.deepEqual(configs.map((r) => r.urn.split("::").at(-1)), ["web-01-winrm"], "WinRMProxyConfig only where WinRM >= 2.0");
    for (const h of lab.hosts) {
      const winhttp = named(resources, `${h.name}-winhttp`);
      assert.equal(winhttp.type, "pulumi-nodejs:dynamic/winrm-proxy:WinHttpProxySetting");
      assert.equal(winhttp.outputs?.tool, h.profile === "win2003r2" ? "proxycfg" : "netsh", h.name);
      assert.equal(named(resources, `${h.name}-marker`).type, "pulumi-nodejs:dynamic/winrm-proxy:RemoteCommand");
      // On the host itself: the registry value netsh/proxycfg write, and the marker the RemoteCommand recorded.
      assert.deepEqual(lab.winHttpOf(h), DECLARED, `${h.name} WinHTTP proxy`);
      assert.equal(lab.markerOf(h), WINHTTP.server, `${h.name} marker`);
    }

    // WEB-01's service settings, and the path the provider took: a CONNECT tunnel through the corporate proxy.
    const web = lab.host("web-01");
    assert.equal(web.host.config.allowUnencrypted, false);
    assert.equal(web.host.config.serviceAuth.basic, false);
    const path = named(resources, "web-01-winrm").outputs?.path as Record<string, unknown>;
    assert.equal(path.transport, "tunnel");
    assert.equal(path.proxy, proxyUrl(lab.corpProxy));
    assert.equal(path.tls, true);

    // Every host was reached through its proxy: CONNECT to its port, authenticated as the proxy account on the
    // corporate proxy.
    const portOf = (url: string) => new URL(url).port;
    const legacyLog = await lab.legacyProxy.logUntilMarker();
    for (const name of ["legacy-01", "legacy-02"]) {
      const port = portOf(lab.host(name).emulator.url);
      assert.ok(legacyLog.some((e) => e.method === "CONNECT" && e.url === `127.0.0.1:${port}` && e.status === 200), `${name} via the legacy proxy`);
    }
    const corpLog = await lab.corpProxy.logUntilMarker();
    assert.ok(
      corpLog.some((e) => e.method === "CONNECT" && e.url === `127.0.0.1:${portOf(web.emulator.url)}` && e.status === 200 && e.user === lab.credentials.proxyUser),
      "web-01 via the corporate proxy, authenticated",
    );

    await lab.ok(lab.withStack(["preview", "--refresh", "--expect-no-changes", "--non-interactive"]));
  });

  test("a refresh right after up reports no change, and leaves the recorded inputs as the program declared them", async () => {
    const before = await recordedInputs(lab);
    assert.equal(Object.keys(before).length, 7);
    const preview = await lab.ok(lab.withStack(["refresh", "--preview-only", "--diff", "--non-interactive"]));
    assert.match(preview.stdout, /\b8 unchanged\b/, preview.stdout);
    assert.doesNotMatch(preview.stdout, /to update|\(refresh\)|\bdiff: /, preview.stdout);

    const refresh = await lab.ok(lab.withStack(["refresh", "--yes", "--skip-preview", "--diff", "--non-interactive"]));
    assert.match(refresh.stdout, /\b8 unchanged\b/, refresh.stdout);
    // What the engine will compare the program's inputs with from now on: exactly what the program declared (an
    // array bypass list, no onDelete / shell default added), so no later preview shows a cosmetic diff.
    const after = await recordedInputs(lab);
    assert.deepEqual(after, before);
    const winhttp = Object.entries(after).filter(([urn]) => urn.endsWith("-winhttp"));
    assert.equal(winhttp.length, 3);
    for (const [urn, inputs] of winhttp) {
      const i = inputs as Record<string, unknown>;
      assert.deepEqual(i.bypassList, WINHTTP.bypass, urn);
      assert.equal("onDelete" in i, false, urn);
    }
    for (const [urn, inputs] of Object.entries(after).filter(([u]) => u.endsWith("-marker"))) {
      assert.equal("shell" in (inputs as Record<string, unknown>), false, urn);
    }
  });

  test("out-of-band changes are caught by preview --refresh --expect-no-changes, recorded by refresh, repaired by up", async () => {
    const legacy01 = lab.host("legacy-01");
    const legacy02 = lab.host("legacy-02");
    // Someone at the consoles: proxycfg on the 2003 R2 host, netsh on the Spanish 2008 host (over WinRM, through squid).
    // Only the server changes; on the 2008 host the bypass list is rewritten in another order and case, which means
    // the same to WinHTTP: no drift.
    const r1 = await lab.exec(legacy01, 'proxycfg -p rogue-a.example:3128 "<local>;*.corp.example"');
    assert.equal(r1.exitCode, 0, r1.stdout + r1.stderr);
    const r2 = await lab.exec(legacy02, 'netsh winhttp set proxy proxy-server="rogue-b.example:3128" bypass-list="*.CORP.EXAMPLE;<local>"');
    assert.equal(r2.exitCode, 0, r2.stdout + r2.stderr);
    assert.equal(lab.winHttpOf(legacy01).proxyServer, "rogue-a.example:3128");
    assert.equal(lab.winHttpOf(legacy02).proxyServer, "rogue-b.example:3128");

    const drift = await lab.run(lab.withStack(["preview", "--refresh", "--expect-no-changes", "--diff", "--non-interactive"]));
    const out = drift.stdout + drift.stderr;
    assert.notEqual(drift.code, 0, `preview --expect-no-changes passed despite the drift:\n${out}`);
    assert.match(out, /no changes were expected for preview but changes were proposed/);
    assert.match(out, /proxyServer\s*:\s*"rogue-a\.example:3128" => "proxy\.corp\.example:8080"/, out);
    assert.match(out, /proxyServer\s*:\s*"rogue-b\.example:3128" => "proxy\.corp\.example:8080"/, out);
    assert.match(out, /~ 2 to update/, out);
    // The drift shows as what drifted, and only that: no bypass list changing type, no onDelete / shell default.
    const updates = changedProperties(out, "pulumi-nodejs:dynamic/winrm-proxy:WinHttpProxySetting", "update");
    assert.equal(updates.size, 2, out);
    for (const [block, props] of updates) assert.deepEqual(props, ["proxyServer"], `${block}\n${out}`);
    const refreshBlocks = changedProperties(out, "pulumi-nodejs:dynamic/winrm-proxy:WinHttpProxySetting", "refresh");
    assert.equal(refreshBlocks.size, 2, out);
    for (const [block, props] of refreshBlocks) assert.deepEqual(props, ["proxyServer"], `${block}\n${out}`);
    assert.doesNotMatch(out, /[~+-]\s+(bypassList|onDelete|shell)\b/, out);
    // A preview changes nothing on the hosts.
    assert.equal(lab.winHttpOf(legacy01).proxyServer, "rogue-a.example:3128");

    await lab.ok(lab.withStack(["refresh", "--yes", "--skip-preview", "--non-interactive"]));
    const refreshed = resourcesOf(lab.stateFile());
    assert.equal(named(refreshed, "legacy-01-winhttp").outputs?.proxyServer, "rogue-a.example:3128");
    assert.equal(named(refreshed, "legacy-02-winhttp").outputs?.proxyServer, "rogue-b.example:3128");
    // Equivalent to the declared list: recorded in the declared spelling.
    assert.equal(named(refreshed, "legacy-02-winhttp").outputs?.bypassList, "<local>;*.corp.example");
    assert.deepEqual(named(refreshed, "legacy-02-winhttp").inputs?.bypassList, WINHTTP.bypass);
    assert.equal(named(refreshed, "web-01-winhttp").outputs?.proxyServer, WINHTTP.server, "no false drift elsewhere");
    // What refresh wrote back (inputs included) keeps the connection secret.
    assertNoPlaintextSecret(lab.stateFile(), "the state after refresh");

    const up = await lab.ok(lab.withStack(["up", "--yes", "--skip-preview", "--non-interactive"]));
    assert.match(up.stdout, /2 updated/);
    assert.deepEqual(lab.winHttpOf(legacy01), DECLARED);
    assert.deepEqual(lab.winHttpOf(legacy02), DECLARED);
    await lab.ok(lab.withStack(["preview", "--refresh", "--expect-no-changes", "--non-interactive"]));
  });

  test("a bad input fails pulumi preview with its field path", async () => {
    await lab.ok(lab.withStack(["config", "set", "--path", "winhttpProxy.server", "proxy.corp.example:99999"]));
    try {
      const bad = await lab.run(lab.withStack(["preview", "--non-interactive"]));
      const out = bad.stdout + bad.stderr;
      assert.notEqual(bad.code, 0, out);
      assert.match(out, /proxyServer/, out);
      assert.match(out, /port 1-65535/, out);
    } finally {
      await lab.ok(lab.withStack(["config", "set", "--path", "winhttpProxy.server", WINHTTP.server]));
    }
    // A bad field inside the connection: the path names it.
    await lab.ok(lab.withStack(["config", "set", "--path", "hosts[0].endpoint", "ftp://legacy-01.corp.example/wsman"]));
    try {
      const bad = await lab.run(lab.withStack(["preview", "--non-interactive"]));
      const out = bad.stdout + bad.stderr;
      assert.notEqual(bad.code, 0, out);
      assert.match(out, /connection\.endpoint/, out);
    } finally {
      await lab.ok(lab.withStack(["config", "set", "--path", "hosts[0].endpoint", lab.host("legacy-01").emulator.url]));
    }
    await lab.ok(lab.withStack(["preview", "--expect-no-changes", "--non-interactive"]));
  });

  test("neither the state file, nor pulumi stack export, nor the stack config holds a password in plaintext", async () => {
    const state = lab.stateFile();
    assertNoPlaintextSecret(state, "the state file");
    // The connection inputs and outputs are there, as secrets.
    const web = named(resourcesOf(state), "web-01-winhttp");
    assert.match(JSON.stringify(web.inputs?.connection), /1b47061264138c4ac30d75fd1eb44270/, "connection input is a secret");
    assert.match(JSON.stringify(web.outputs?.connection), /1b47061264138c4ac30d75fd1eb44270/, "connection output is a secret");
    // The provider's copy of the declared inputs too: a secret stdin or command line would otherwise sit there in
    // plaintext (the engine only carries secretness over to outputs named like an input).
    for (const r of resourcesOf(state).filter((x) => x.type.startsWith("pulumi-nodejs:dynamic/"))) {
      assert.match(JSON.stringify(r.outputs?.declared), /1b47061264138c4ac30d75fd1eb44270/, `${r.urn}: declared is a secret`);
    }
    const exported = await lab.ok(["stack", "export", "--stack", lab.stack]);
    assertNoPlaintextSecret(exported.stdout, "pulumi stack export");
    assert.equal(resourcesOf(exported.stdout).filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/")).length, 7);
    assertNoPlaintextSecret(lab.configText(), "the stack config file");
    // The secrets are really in there, encrypted: --show-secrets reveals them (so the checks above can fail).
    const revealed = await lab.ok(["stack", "export", "--show-secrets", "--stack", lab.stack]);
    assert.equal(revealed.stdout.includes(CREDENTIALS.password), true);
  });

  test("pulumi destroy gives each host back what it had before", async () => {
    const destroy = await lab.ok(lab.withStack(["destroy", "--yes", "--skip-preview", "--non-interactive"]));
    assert.match(destroy.stdout, /8 deleted/);
    assert.deepEqual(lab.winHttpOf(lab.host("legacy-01")), DIRECT);
    assert.deepEqual(lab.winHttpOf(lab.host("legacy-02")), PREVIOUS_LEGACY_02);
    assert.deepEqual(lab.winHttpOf(lab.host("web-01")), DIRECT);
    for (const h of lab.hosts) assert.equal(lab.markerOf(h), undefined, `${h.name} marker removed`);
    // WinRMProxyConfig's default onDelete is "retain": the hardened service settings stay.
    assert.equal(lab.host("web-01").host.config.allowUnencrypted, false);
    assert.equal(resourcesOf(lab.stateFile()).length, 0);
  });
});
