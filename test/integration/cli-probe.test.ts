/**
 * `winrm-proxy probe` through real proxies: it reports each step of an allowed path (tunnel, proxy authentication,
 * TLS, target authentication, encryption, affinity) and exits 0; a path a rule forbids exits 2 with the rule and sends
 * nothing; a forward proxy that breaks affinity exits 255 and the report says so.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeEvent, type ProbeReport } from "../../provider/src/cli/probe.js";
import { EmulatedHost } from "../../provider/src/testing/index.js";
import type { ProfileName } from "../../provider/src/testing/index.js";
import { WinRMEmulator } from "../../provider/src/testing/index.js";
import { runCli } from "./cliHarness.js";
import { PROXY_PASSWORD, PROXY_USER, Squid, squidMissing } from "../peers/squid.js";

const missing = squidMissing();
const USER = "CORP\\deploy";
const PASSWORD = "Pr0be-Passw0rd!";

/** The real emulated host (its cmd interpreter runs `hostname`), behind its WinRM service. */
interface Fixture {
  emu: WinRMEmulator;
  host: EmulatedHost;
}

async function startFixture(profile: ProfileName, opts: { tls?: boolean } = {}): Promise<Fixture> {
  const host = new EmulatedHost({ profile, locale: "en-US", domain: "CORP" });
  const emu = await WinRMEmulator.start({ host, users: [{ username: USER, password: PASSWORD }], tls: opts.tls ?? false });
  return { emu, host };
}
const ENV = { WINRM_PASSWORD: PASSWORD, PROXY_PASSWORD };

function connFlags(fx: Fixture, ca?: string): string[] {
  const flags = ["--endpoint", fx.emu.url, "--username", USER, "--password-env", "WINRM_PASSWORD"];
  if (ca !== undefined) flags.push("--ca", ca);
  return flags;
}

function stepsOf(report: ProbeReport): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const s of report.steps) m.set(s.step, [...(m.get(s.step) ?? []), `${s.ok ? "ok" : "FAIL"} ${s.detail}`]);
  return m;
}

describe("winrm-proxy probe through squid", { skip: missing || false }, () => {
  let basicSquid: Squid;
  let openSquid: Squid;
  let https: Fixture;
  let http: Fixture;
  let dir: string;
  let caFile: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "probe-test-"));
    [basicSquid, openSquid, https, http] = await Promise.all([
      Squid.start({ auth: "basic" }),
      Squid.start({ auth: "none", connectionAuthOff: true }),
      startFixture("win2019", { tls: true }),
      startFixture("win2008r2"),
    ]);
    caFile = join(dir, "ca.pem");
    writeFileSync(caFile, https.emu.caPem ?? "");
  });

  after(async () => {
    await Promise.allSettled([basicSquid?.stop(), openSquid?.stop(), https?.emu.close(), http?.emu.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  test("https through a Basic-authenticating squid: every step ok, exit 0", async () => {
    const r = await runCli(
      ["probe", ...connFlags(https, caFile), "--proxy", basicSquid.url, "--proxy-auth", "basic",
        "--proxy-username", PROXY_USER, "--proxy-password-env", "PROXY_PASSWORD", "--json"],
      { env: ENV },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as ProbeReport;
    assert.equal(report.ok, true);
    const steps = stepsOf(report);
    assert.match(steps.get("route")?.join() ?? "", /tunnel/);
    assert.match(steps.get("tunnel")?.join() ?? "", /^ok CONNECT 127\.0\.0\.1:\d+: 200 after 2 request\(s\), proxy authentication Basic/);
    assert.match(steps.get("tls")?.join() ?? "", /channel bindings sent/);
    assert.match(steps.get("target auth")?.join() ?? "", /^ok ntlm \(Negotiate\) succeeded in 2 request/);
    assert.match(steps.get("encryption")?.join() ?? "", /TLS to the host/);
    assert.match(steps.get("affinity")?.join() ?? "", /^ok by-construction/);
    assert.equal(report.host?.hostname, https.host.computerName);
    // Neither password is in what probe printed.
    assert.ok(!r.stdout.includes(PASSWORD) && !r.stdout.includes(PROXY_PASSWORD));
  });

  test("http through squid's forward path: sealed messages, affinity checked ok (squid pins connections)", async () => {
    const r = await runCli(["probe", ...connFlags(http), "--proxy", openSquid.url, "--proxy-mode", "forward"], { env: ENV });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /ok {4}route +forward to/);
    assert.match(r.stdout, /ok {4}encryption +every message sealed \(application\/HTTP-SPNEGO-session-encrypted\)/);
    assert.match(r.stdout, /ok {4}affinity +ok: /);
    assert.match(r.stdout, /verdict: the path is allowed and works/);
  });

  test("forward through squid's connection-auth=off port: exit 255, the report names the broken affinity", async () => {
    const r = await runCli(
      ["probe", ...connFlags(http), "--proxy", openSquid.connectionAuthOffUrl ?? "", "--proxy-mode", "forward", "--json"],
      { env: ENV },
    );
    assert.equal(r.status, 255, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as ProbeReport;
    assert.equal(report.ok, false);
    assert.equal(report.error?.code, "WINRM_PROXY_AFFINITY");
    assert.match(report.error?.message ?? "", /https:\/\/|tunnel/);
  });

  test("proxy credentials with an http:// endpoint: exit 2 naming the rule, and squid logs nothing from us", async () => {
    await basicSquid.logUntilMarker();
    const r = await runCli(
      ["probe", ...connFlags(http), "--proxy", basicSquid.url, "--proxy-auth", "basic",
        "--proxy-username", PROXY_USER, "--proxy-password-env", "PROXY_PASSWORD"],
      { env: ENV },
    );
    assert.equal(r.status, 2);
    assert.match(r.stdout, /FAIL {2}rules .*if the proxy requires authentication, the WinRM endpoint must be HTTPS/);
    assert.deepEqual(await basicSquid.logUntilMarker(), []);
  });
});

describe("probe report wording", () => {
  test("each event becomes one step; a refused CONNECT and a broken affinity are failures", () => {
    assert.equal(describeEvent({ type: "connect", proxy: "http://p:3128", target: "h:5986", status: 403, legs: 1, reconnected: false }).ok, false);
    assert.equal(describeEvent({ type: "affinity", verdict: "broken", detail: "closed after the 200" }).ok, false);
    assert.equal(describeEvent({ type: "encryption", sealed: false, tls: false }).ok, false);
    const s = describeEvent({ type: "connect", proxy: "http://p:3128", target: "h:5986", status: 200, legs: 3, proxyAuth: "NTLM", reconnected: true });
    assert.equal(s.ok, true);
    assert.match(s.detail, /200 after 3 request\(s\), proxy authentication NTLM \(the proxy closed after its first 407; reconnected\)/);
  });
});
