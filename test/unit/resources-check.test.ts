/** check / diff of the three resources without a host: property paths, preview unknowns, replaces, state versions. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { resourceProviders, SCHEMA_VERSION, UNKNOWN } from "../../provider/src/resources/index.js";
import { connectionFailures } from "../../provider/src/resources/schemas.js";
import { connectionOnlyChange, type Props } from "../../provider/src/resources/types.js";
import { driftedInputs } from "../../provider/src/resources/winHttpProxySetting.js";
import { driftedConfigInputs } from "../../provider/src/resources/winRMProxyConfig.js";

const conn = { endpoint: "http://10.0.0.5:5985/wsman", auth: { username: "CORP\\deploy", password: "pw-Secret-1" } };
const W = resourceProviders.WinHttpProxySetting;
const C = resourceProviders.WinRMProxyConfig;
const R = resourceProviders.RemoteCommand;
const PROVIDER = { __provider: "exports.handler = ..." };

function props(failures: { property: string; reason: string }[]): string[] {
  return failures.map((f) => f.property).sort();
}

describe("check: failures name the property and the fix", () => {
  test("a valid WinHttpProxySetting passes and keeps the program's form, without __provider", async () => {
    const news = { ...PROVIDER, connection: conn, proxyServer: "proxy:3128", bypassList: ["<local>"] };
    const r = await W.check({}, news);
    assert.deepEqual(r.failures, []);
    assert.deepEqual(r.inputs, { connection: conn, proxyServer: "proxy:3128", bypassList: ["<local>"] });
  });

  test("missing and nested fields are reported with dotted paths", async () => {
    const r = await W.check({}, { connection: { endpoint: "http://h/wsman", auth: { password: "x" } }, proxyServer: "p:80" });
    assert.deepEqual(props(r.failures), ["connection.auth.username"]);
    assert.match(r.failures[0]?.reason ?? "", /is required; give "DOMAIN/);
  });

  test("no mode, two modes, bypass without server, bad proxy entry, bad enum, unknown key", async () => {
    assert.deepEqual(props((await W.check({}, { connection: conn })).failures), ["proxyServer"]);
    const two = await W.check({}, { connection: conn, proxyServer: "p:80", directAccess: true });
    assert.deepEqual(props(two.failures), ["directAccess"]);
    assert.match(two.failures[0]?.reason ?? "", /exactly one of/);
    assert.deepEqual(props((await W.check({}, { connection: conn, directAccess: true, bypassList: "a" })).failures), ["bypassList"]);
    assert.deepEqual(props((await W.check({}, { connection: conn, proxyServer: "p:99999" })).failures), ["proxyServer"]);
    const e = await W.check({}, { connection: conn, proxyServer: "p:80", onDelete: "keep" });
    assert.deepEqual(props(e.failures), ["onDelete"]);
    assert.match(e.failures[0]?.reason ?? "", /"restore", "reset", "retain"/);
    assert.deepEqual(props((await W.check({}, { connection: conn, proxyserver: "p:80" })).failures), ["proxyServer", "proxyserver"]);
  });

  test("connection rules beyond the schema (URL shape, proxy credentials) get connection.* paths", async () => {
    const r = await W.check({}, { connection: { ...conn, endpoint: "ftp://h" }, directAccess: true });
    assert.deepEqual(props(r.failures), ["connection.endpoint"]);
    const p = await W.check({}, { connection: { ...conn, proxy: { url: "http://proxy:3128", auth: "basic" } }, directAccess: true });
    assert.deepEqual(props(p.failures), ["connection.proxy.username"]);
    const bad = await W.check({}, { connection: { ...conn, proxy: { url: "http://proxy:3128", mode: "sideways" } }, directAccess: true });
    assert.deepEqual(props(bad.failures), ["connection.proxy.mode"]);
  });

  test("no failure message echoes a password", async () => {
    const r = await W.check({}, { connection: { ...conn, auth: { username: "", password: "pw-Secret-1" } }, proxyServer: "" });
    assert.ok(r.failures.length >= 2);
    for (const f of r.failures) assert.ok(!f.reason.includes("pw-Secret-1"));
  });

  test("preview: values not known yet are not failures", async () => {
    assert.deepEqual((await W.check({}, { connection: UNKNOWN, proxyServer: UNKNOWN })).failures, []);
    assert.deepEqual((await R.check({}, { connection: { ...conn, endpoint: UNKNOWN }, create: "echo" })).failures, []);
    // ... but a known bad field next to an unknown one still is.
    assert.deepEqual(props((await R.check({}, { connection: UNKNOWN, create: "", shell: "bash" })).failures), ["create", "shell"]);
  });

  test("WinRMProxyConfig: allowUnencrypted must be false; the connection's own scheme must stay on", async () => {
    assert.deepEqual((await C.check({}, { connection: conn })).failures, []);
    const u = await C.check({}, { connection: conn, allowUnencrypted: true });
    assert.deepEqual(props(u.failures), ["allowUnencrypted"]);
    const l = await C.check({}, { connection: conn, serviceAuth: { negotiate: false } });
    assert.deepEqual(props(l.failures), ["serviceAuth.negotiate"]);
    assert.match(l.failures[0]?.reason ?? "", /lock the provider out/);
    assert.deepEqual(props((await C.check({}, { connection: conn, serviceAuth: { cbtHardeningLevel: "Max" } })).failures), [
      "serviceAuth.cbtHardeningLevel",
    ]);
  });

  test("RemoteCommand: environment names and triggers type", async () => {
    const r = await R.check({}, { connection: conn, create: "echo", environment: { "BAD NAME": "x" }, triggers: "x" });
    assert.deepEqual(props(r.failures), ["environment.BAD NAME", "triggers"]);
  });
});

function winhttpState(over: Partial<Props> = {}): Props {
  return {
    schemaVersion: SCHEMA_VERSION,
    connection: conn,
    endpoint: conn.endpoint,
    proxyServer: "Proxy.Corp:3128",
    bypassList: "<local>;*.corp",
    directAccess: false,
    importFromIe: false,
    onDelete: "restore",
    accessType: "proxy",
    expected: { accessType: "proxy", proxyServer: "Proxy.Corp:3128", bypassList: "<local>;*.corp" },
    previous: { exists: true, accessType: "direct", proxyServer: "", bypassList: "" },
    tool: "netsh",
    productVersion: "OS: 10.0.17763 SP: 0.0 Stack: 3.0",
    ...over,
  };
}

describe("check: every offline rule of `up` runs at preview, named by its full path", () => {
  const https = { endpoint: "https://web-01.corp.example:5986/wsman", auth: { username: "CORP\\deploy", password: "pw-Secret-1" } };
  const only = async (connection: unknown): Promise<{ property: string; reason: string }[]> =>
    (await W.check({}, { connection, directAccess: true })).failures;

  test("the transport policy: Basic and messageEncryption never over http://, proxy credentials, forward with https://", async () => {
    const basic = await only({ ...conn, auth: { ...conn.auth, mechanism: "basic" } });
    assert.deepEqual(props(basic), ["connection.auth.mechanism"]);
    assert.match(basic[0]?.reason ?? "", /basic over http:\/\/ would send the password and every message in clear/);
    // The fix names fields by their full path too.
    assert.match(basic[0]?.reason ?? "", /connection\.auth\.mechanism "negotiate"/);
    assert.doesNotMatch(basic[0]?.reason ?? "", /(?<!connection\.)auth\.mechanism/);

    const never = await only({ ...conn, messageEncryption: "never" });
    assert.deepEqual(props(never), ["connection.messageEncryption"]);

    const proxyAuth = await only({ ...conn, proxy: { url: "http://proxy:3128", auth: "basic", username: "svc", password: "pp-Secret-2" } });
    assert.deepEqual(props(proxyAuth), ["connection.proxy.auth"]);
    assert.match(proxyAuth[0]?.reason ?? "", /use an https:\/\/ endpoint .* or a proxy that needs no authentication \(connection\.proxy\.auth "none"\)/);

    const forward = await only({ ...https, proxy: { url: "http://proxy:3128", mode: "forward" } });
    assert.deepEqual(props(forward), ["connection.proxy.mode"]);
    assert.match(forward[0]?.reason ?? "", /use connection\.proxy\.mode "auto" or "tunnel"/);

    const always = await only({ ...https, auth: { ...https.auth, mechanism: "basic" }, messageEncryption: "always" });
    assert.deepEqual(props(always), ["connection.messageEncryption"]);
    // The same connections are fine over https:// (Basic, forward excepted) and with a proxy that needs no auth.
    assert.deepEqual(await only({ ...https, auth: { ...https.auth, mechanism: "basic" } }), []);
    assert.deepEqual(await only({ ...https, proxy: { url: "http://proxy:3128", auth: "basic", username: "svc", password: "p" } }), []);
    assert.deepEqual(await only({ ...conn, proxy: { url: "http://proxy:3128" } }), []);
    for (const f of [...basic, ...proxyAuth]) assert.ok(!f.reason.includes("pw-Secret-1") && !f.reason.includes("pp-Secret-2"));
  });

  test("required passwords and field conflicts", async () => {
    const ntlm = await only({ ...conn, auth: { mechanism: "ntlm", username: "CORP\\deploy" } });
    assert.deepEqual(props(ntlm), ["connection.auth.password"]);
    assert.match(ntlm[0]?.reason ?? "", /is required with connection\.auth\.mechanism "ntlm"/);
    // Kerberos and negotiate may use the ticket cache.
    assert.deepEqual(await only({ ...conn, auth: { mechanism: "kerberos", username: "deploy@CORP.EXAMPLE" } }), []);
    const none = await only({ ...https, proxy: { url: "http://proxy:3128", auth: "none", username: "svc", password: "p" } });
    assert.deepEqual(props(none), ["connection.proxy.auth"]);
    assert.deepEqual(props(await only({ ...conn, tls: { ca: "not a pem" } })), ["connection.tls.ca"]);
    assert.deepEqual(props(await only({ ...conn, timeouts: { operationTimeoutSec: 60, readMs: 30_000 } })), ["connection.timeouts.readMs"]);
  });

  test("credentials in HTTP_PROXY for an http:// endpoint: connection.proxy, naming the variable, never its value", () => {
    const f = connectionFailures({ ...conn, proxy: "env" }, { HTTP_PROXY: "http://svc:env-Secret-3@proxy:3128" });
    assert.deepEqual(props(f), ["connection.proxy"]);
    assert.match(f[0]?.reason ?? "", /HTTP_PROXY carries proxy credentials/);
    assert.ok(!f[0]?.reason.includes("env-Secret-3"));
    assert.deepEqual(connectionFailures({ ...conn, proxy: "env" }, { HTTP_PROXY: "http://proxy:3128" }), []);
  });

  test("preview: an unknown password still lets the policy run; an unknown endpoint or mechanism lets it through", async () => {
    const unknownPassword = await only({ ...conn, auth: { mechanism: "basic", username: "u", password: UNKNOWN } });
    assert.deepEqual(props(unknownPassword), ["connection.auth.mechanism"]);
    assert.deepEqual(await only({ ...conn, auth: { mechanism: "negotiate", username: UNKNOWN, password: UNKNOWN } }), []);
    assert.deepEqual(await only({ ...conn, endpoint: UNKNOWN, auth: { ...conn.auth, mechanism: "basic" } }), []);
    assert.deepEqual(await only({ ...conn, auth: { ...conn.auth, mechanism: UNKNOWN } }), []);
    // An unknown tls.ca is no "tls.ca applies only to https://" failure.
    assert.deepEqual(await only({ ...conn, tls: { ca: UNKNOWN } }), []);
  });

  test("a wrong type names the expected type", async () => {
    const bypass = await W.check({}, { connection: conn, proxyServer: "p:80", bypassList: 42 });
    assert.deepEqual(bypass.failures, [{ property: "bypassList", reason: "must be a string or an array of strings" }]);
    const element = await W.check({}, { connection: conn, proxyServer: "p:80", bypassList: ["<local>", 42] });
    assert.deepEqual(element.failures, [{ property: "bypassList[1]", reason: "must be a string" }]);
    const proxy = await only({ ...conn, proxy: 42 });
    assert.deepEqual(props(proxy), ["connection.proxy"]);
    assert.match(proxy[0]?.reason ?? "", /^must be "none", "env" or a proxy object/);
    assert.match((await only({ ...conn, codePage: "utf8" }))[0]?.reason ?? "", /^must be a whole number \(a Windows code page/);
    assert.match((await only({ ...conn, timeouts: { connectMs: "5s" } }))[0]?.reason ?? "", /^must be a number; give a positive/);
    assert.match((await W.check({}, { connection: conn, directAccess: "yes" })).failures[0]?.reason ?? "", /^must be a boolean \(true or false\)/);
    assert.match((await R.check({}, { connection: conn, create: "x", environment: "A=1" })).failures[0]?.reason ?? "", /^must be an object/);
  });
});

describe("diff", () => {
  test("equivalent forms are no change (case, bypass order, array vs string, separators)", async () => {
    const d = await W.diff("winhttp:x", winhttpState(), {
      connection: conn,
      proxyServer: "proxy.corp:3128",
      bypassList: ["*.CORP", "<local>"],
    });
    assert.equal(d.changes, false);
    assert.deepEqual(d.replaces, []);
  });

  test("a different server or bypass list is an update of that property", async () => {
    const d = await W.diff("winhttp:x", winhttpState(), { connection: conn, proxyServer: "other:3128", bypassList: "<local>;*.corp" });
    assert.deepEqual(d.detailedDiff, { proxyServer: { kind: "update" } });
    assert.deepEqual(d.replaces, []);
    const b = await W.diff("winhttp:x", winhttpState(), { connection: conn, proxyServer: "proxy.corp:3128" });
    assert.deepEqual(Object.keys(b.detailedDiff), ["bypassList"]);
  });

  test("direct access wanted while the host has a proxy", async () => {
    const d = await W.diff("winhttp:x", winhttpState(), { connection: conn, directAccess: true });
    assert.deepEqual(Object.keys(d.detailedDiff), ["directAccess"]);
  });

  test("another endpoint replaces; new credentials update; an unknown connection updates", async () => {
    const other = await W.diff("winhttp:x", winhttpState(), { connection: { ...conn, endpoint: "http://10.0.0.6:5985/wsman" }, proxyServer: "proxy.corp:3128", bypassList: "<local>;*.corp" });
    assert.deepEqual(other.replaces, ["connection"]);
    assert.deepEqual(other.detailedDiff, { "connection.endpoint": { kind: "update-replace" } });
    const pw = await W.diff("winhttp:x", winhttpState(), { connection: { ...conn, auth: { ...conn.auth, password: "new" } }, proxyServer: "proxy.corp:3128", bypassList: "<local>;*.corp" });
    assert.deepEqual(pw.replaces, []);
    assert.deepEqual(pw.detailedDiff, { "connection.auth.password": { kind: "update" } });
    const unk = await W.diff("winhttp:x", winhttpState(), { connection: UNKNOWN, proxyServer: "proxy.corp:3128", bypassList: "<local>;*.corp" });
    assert.deepEqual(unk.replaces, []);
    assert.equal(unk.changes, true);
  });

  test("connection sub-paths: each changed leaf named, defaults are no change; only the endpoint replaces", async () => {
    const base = { proxyServer: "proxy.corp:3128", bypassList: "<local>;*.corp" };
    const explicitDefaults = { ...conn, messageEncryption: "auto", timeouts: { connectMs: 15_000, connectAttempts: 10, operationTimeoutSec: 20 }, proxy: "none" };
    assert.equal((await W.diff("winhttp:x", winhttpState(), { connection: explicitDefaults, ...base })).changes, false);
    const many = await W.diff("winhttp:x", winhttpState(), {
      connection: { ...conn, auth: { ...conn.auth, password: "rotated" }, timeouts: { readMs: 60_000 }, tls: { rejectUnauthorized: false }, proxy: { url: "http://p:3128" } },
      ...base,
    });
    assert.deepEqual(Object.keys(many.detailedDiff).sort(), [
      "connection.auth.password",
      "connection.proxy",
      "connection.timeouts.readMs",
      "connection.tls.rejectUnauthorized",
    ]);
    assert.deepEqual(many.replaces, []);
    assert.equal(connectionOnlyChange(many), true);
    // The same endpoint spelled another way is the same host.
    assert.equal((await W.diff("winhttp:x", winhttpState(), { connection: { ...conn, endpoint: "http://10.0.0.5:5985" }, ...base })).changes, false);
    const moved = await W.diff("winhttp:x", winhttpState(), { connection: { ...conn, endpoint: "https://10.0.0.5:5986/wsman" }, ...base });
    assert.equal(connectionOnlyChange(moved), false);
    // A connection change together with a setting change is no connection-only change.
    const withSetting = await W.diff("winhttp:x", winhttpState(), { connection: { ...conn, auth: { ...conn.auth, password: "rotated" } }, proxyServer: "other:1" });
    assert.equal(connectionOnlyChange(withSetting), false);
    const unknownPassword = await W.diff("winhttp:x", winhttpState(), { connection: { ...conn, auth: { ...conn.auth, password: UNKNOWN } }, ...base });
    assert.deepEqual(unknownPassword.detailedDiff, { "connection.auth.password": { kind: "update" } });
  });

  test("importFromIe: drift measured against what the import applied", async () => {
    const s = winhttpState({ importFromIe: true });
    assert.equal((await W.diff("winhttp:x", s, { connection: conn, importFromIe: true })).changes, false);
    const drifted = winhttpState({ importFromIe: true, proxyServer: "evil:1", bypassList: "" });
    assert.equal((await W.diff("winhttp:x", drifted, { connection: conn, importFromIe: true })).changes, true);
  });

  test("RemoteCommand: triggers replace (also when unknown), commands update", async () => {
    const old: Props = { schemaVersion: 1, connection: conn, endpoint: conn.endpoint, create: "echo a", shell: "cmd", triggers: [1, "x"], stdout: "", stderr: "", exitCode: 0 };
    const same = await R.diff("remote-command:1", old, { connection: conn, create: "echo a", triggers: [1, "x"] });
    assert.equal(same.changes, false);
    const t = await R.diff("remote-command:1", old, { connection: conn, create: "echo a", triggers: [2, "x"] });
    assert.deepEqual(t.replaces, ["triggers"]);
    const tu = await R.diff("remote-command:1", old, { connection: conn, create: "echo a", triggers: [UNKNOWN] });
    assert.deepEqual(tu.replaces, ["triggers"]);
    const c = await R.diff("remote-command:1", old, { connection: conn, create: "echo b", triggers: [1, "x"], environment: { A: "1" } });
    assert.deepEqual(c.replaces, []);
    assert.deepEqual(Object.keys(c.detailedDiff).sort(), ["create", "environment"]);
  });

  test("WinRMProxyConfig: a host that allows unencrypted traffic is drift; auth changes name the scheme", async () => {
    const auth = { basic: false, negotiate: true, kerberos: true, certificate: false, credSSP: false, cbtHardeningLevel: "Relaxed" };
    const old: Props = { schemaVersion: 1, connection: conn, endpoint: conn.endpoint, allowUnencrypted: false, serviceAuth: auth, previousServiceAuth: auth, onDelete: "retain" };
    assert.equal((await C.diff("winrm-config:x", old, { connection: conn })).changes, false);
    assert.deepEqual(Object.keys((await C.diff("winrm-config:x", { ...old, allowUnencrypted: true }, { connection: conn })).detailedDiff), ["allowUnencrypted"]);
    assert.deepEqual(Object.keys((await C.diff("winrm-config:x", old, { connection: conn, serviceAuth: { basic: true } })).detailedDiff), ["serviceAuth.basic"]);
  });
});

describe("read: the declared inputs, with only what really drifted replaced", () => {
  const proxy = (proxyServer: string, bypassList = "") => ({ accessType: "proxy" as const, proxyServer, bypassList });
  const DIRECT = { accessType: "direct" as const, proxyServer: "", bypassList: "" };

  test("WinHttpProxySetting: an equivalent live setting leaves the declared inputs as they are", () => {
    const declared = { proxyServer: "Proxy:3128", bypassList: ["<local>", "*.corp"] };
    assert.deepEqual(driftedInputs(declared, proxy("proxy:3128", "*.CORP;<local>")), declared);
    assert.deepEqual(driftedInputs({ proxyServer: "http=a:80;https=b:443" }, proxy("HTTPS=b:443 http=a:80")), { proxyServer: "http=a:80;https=b:443" });
    assert.deepEqual(driftedInputs({ directAccess: true, onDelete: "reset" }, DIRECT), { directAccess: true, onDelete: "reset" });
  });

  test("WinHttpProxySetting: only the drifted property changes, the bypass list in the declared form", () => {
    const arr = { proxyServer: "p:1", bypassList: ["<local>"], onDelete: "retain" };
    assert.deepEqual(driftedInputs(arr, proxy("q:2", "<local>")), { ...arr, proxyServer: "q:2" });
    assert.deepEqual(driftedInputs(arr, proxy("p:1", "a;b")), { ...arr, bypassList: ["a", "b"] });
    assert.deepEqual(driftedInputs({ proxyServer: "p:1", bypassList: "<local>" }, proxy("p:1", "a b")), { proxyServer: "p:1", bypassList: "a b" });
    // A bypass list gone from the host: the property goes (absent and empty mean the same).
    assert.deepEqual(driftedInputs(arr, proxy("p:1")), { proxyServer: "p:1", onDelete: "retain" });
    // A bypass list that appears where none was declared: a string, the host's spelling.
    assert.deepEqual(driftedInputs({ proxyServer: "p:1" }, proxy("p:1", "<local>")), { proxyServer: "p:1", bypassList: "<local>" });
  });

  test("WinHttpProxySetting: proxy <-> direct changes the mode properties; an IE import keeps its inputs", () => {
    assert.deepEqual(driftedInputs({ proxyServer: "p:1", bypassList: ["x"] }, DIRECT), { directAccess: true });
    assert.deepEqual(driftedInputs({ directAccess: true }, proxy("p:1", "<local>")), { proxyServer: "p:1", bypassList: "<local>" });
    assert.deepEqual(driftedInputs({ importFromIe: true }, DIRECT), { importFromIe: true });
  });

  test("WinRMProxyConfig: defaults compared, only drifted keys replaced; an unset cbtHardeningLevel never drifts", () => {
    const live = { allowUnencrypted: false, auth: { basic: false, negotiate: true, kerberos: true, certificate: false, credSSP: false, cbtHardeningLevel: "Relaxed" } };
    assert.deepEqual(driftedConfigInputs({}, live), {});
    assert.deepEqual(driftedConfigInputs({ allowUnencrypted: false, serviceAuth: { basic: false } }, live), { allowUnencrypted: false, serviceAuth: { basic: false } });
    assert.deepEqual(driftedConfigInputs({}, { allowUnencrypted: true, auth: { ...live.auth, credSSP: true } }), { allowUnencrypted: true, serviceAuth: { credSSP: true } });
    assert.deepEqual(driftedConfigInputs({ serviceAuth: { cbtHardeningLevel: "Strict" } }, live), { serviceAuth: { cbtHardeningLevel: "Relaxed" } });
    // The host's case is not drift.
    const lower = { ...live, auth: { ...live.auth, cbtHardeningLevel: "strict" } };
    assert.deepEqual(driftedConfigInputs({ serviceAuth: { cbtHardeningLevel: "Strict" } }, lower), { serviceAuth: { cbtHardeningLevel: "Strict" } });
  });
});

describe("state", () => {
  test("state from a newer layout is refused with the fix", async () => {
    await assert.rejects(W.diff("winhttp:x", winhttpState({ schemaVersion: 99 }), { connection: conn, directAccess: true }), /newer pulumi-winrm-proxy .*upgrade the package/);
  });

  test("the provider entry point loads with require() (no top-level await anywhere below it)", () => {
    // The engine's dynamic-provider process is CommonJS: it require()s this ES module (Node >= 20.19), which fails
    // with ERR_REQUIRE_ASYNC_MODULE if any module reachable from index.js awaits at top level.
    // A fresh CommonJS process, as the engine starts it (this test process already holds the module as ESM).
    const index = fileURLToPath(new URL("../../provider/src/index.js", import.meta.url));
    const out = execFileSync(
      process.execPath,
      ["-e", `process.stdout.write(Object.keys(require(${JSON.stringify(index)}).resourceProviders).sort().join(","))`],
      { encoding: "utf8", env: { ...process.env, NODE_TEST_CONTEXT: "" } },
    );
    assert.equal(out, "CopyToRemote,RemoteCommand,WinHttpProxySetting,WinRMProxyConfig");
  });
});
