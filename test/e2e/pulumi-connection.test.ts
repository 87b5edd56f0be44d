/**
 * On the real Pulumi CLI v3.248.0, one project, several steps: what `preview` refuses, what a connection change does,
 * and what a running RemoteCommand shows.
 *
 * - `pulumi preview` of each path `up` would refuse (Basic over http://, messageEncryption "never" over http://,
 *   proxy credentials with an http:// endpoint, forward mode with https://, a missing password) fails naming the full
 *   property path (`connection.auth.mechanism`, ...); neither the host nor the proxy (a real squid) sees a request.
 * - `pulumi up` of a RemoteCommand that prints a line a second for five seconds shows the lines while it runs: each
 *   is timed as the CLI prints it, and they arrive spread over seconds, not together at the end.
 * - A rotated password, then a new timeout: `pulumi up` updates the three resources and the host runs no command at
 *   all (no RemoteCommand command, no netsh / proxycfg) and receives no WS-Management Command.
 * - Another endpoint: every resource is replaced, created on the new host; the old one's delete runs on the old host
 *   with the rotated password the state now holds.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ConnectionInput } from "../../provider/src/connection.js";
import { EmulatedHost } from "../emulator/host/host.js";
import { WinRMEmulator } from "../emulator/server.js";
import { PulumiProject, type PulumiResult } from "../integration/pulumiEngineHarness.js";
import { Squid } from "../peers/squid.js";
import { labMissing } from "./fleetLab.js";

const skip = labMissing();

const STACK = "conn";
const USER = "CORP\\deploy";
const FIRST_PASSWORD = "First-Passw0rd!";
const ROTATED_PASSWORD = "Rotated-Passw0rd!";
/** A line a second for five seconds (cmd has no sleep: `ping -n 2` waits about a second). */
const TICKER = "for /L %i in (1,1,5) do (echo tick %i & ping -n 2 127.0.0.1 >nul)";

const PROGRAM = `"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { RemoteCommand, WinHttpProxySetting, WinRMProxyConfig } = require("pulumi-winrm-proxy");

const spec = JSON.parse(fs.readFileSync(path.join(__dirname, "spec.json"), "utf8"));
if (spec.refused !== undefined) {
  new WinHttpProxySetting("refused", { connection: spec.refused, directAccess: true });
} else {
  const connection = spec.connection;
  new RemoteCommand("ticker", { connection, create: spec.ticker, delete: "echo bye" });
  new WinHttpProxySetting("winhttp", { connection, proxyServer: "proxy.corp.example:3128" });
  new WinRMProxyConfig("winrm", { connection });
}
`;

interface Lab {
  host: EmulatedHost;
  emulator: WinRMEmulator;
  /** Every command line the host's cmd ran, in order. */
  commands: string[];
}

async function startLab(computerName: string, users: { username: string; password: string }[]): Promise<Lab> {
  const host = new EmulatedHost({ profile: "win2019", locale: "en-US", computerName, domain: "CORP" });
  const commands: string[] = [];
  const original = host.startCommand.bind(host);
  host.startCommand = (line, opts) => {
    commands.push(line);
    return original(line, opts);
  };
  // `users` is shared: changing a password there is the password rotation on the host.
  const emulator = await WinRMEmulator.start({ host, users });
  return { host, emulator, commands };
}

describe("connection changes, preview refusals and live command output on the real Pulumi CLI", { skip }, () => {
  const users = [{ username: USER, password: FIRST_PASSWORD }];
  let web01: Lab;
  let web02: Lab;
  let squid: Squid;
  let project: PulumiProject;

  const writeSpec = (spec: unknown): void => writeFileSync(join(project.projectDir, "spec.json"), JSON.stringify(spec, null, 2));
  const connectionTo = (lab: Lab, extra: Partial<ConnectionInput> = {}): ConnectionInput => ({
    endpoint: lab.emulator.url,
    auth: { mechanism: "negotiate", username: USER, password: users[0]?.password ?? "" },
    proxy: { url: `http://127.0.0.1:${squid.port}` },
    ...extra,
  });
  const up = (onLine?: (line: string) => void): Promise<PulumiResult> =>
    project.ok(["up", "--yes", "--skip-preview", "--non-interactive", "--stack", STACK], onLine !== undefined ? { onLine } : {});
  /** WS-Management Actions the host received since `from`. */
  const actionsSince = (lab: Lab, from: number): string[] => lab.emulator.requests.slice(from).map((r) => r.action ?? "");

  before(async () => {
    squid = await Squid.start({ auth: "none" });
    web01 = await startLab("WEB-01", users);
    web02 = await startLab("WEB-02", users);
    project = new PulumiProject({ name: "winrm-connection", program: PROGRAM, killAfterMs: 180_000 });
    await project.ok(["stack", "init", STACK, "--non-interactive"]);
  });

  after(async () => {
    project?.dispose();
    await web01?.emulator.close();
    await web02?.emulator.close();
    await squid?.stop();
  });

  test("preview refuses what up would refuse, naming connection.*, and nothing reaches the host or the proxy", async () => {
    const http = connectionTo(web01);
    const https = { ...http, endpoint: web01.emulator.url.replace(/^http:/, "https:") };
    const refused: { connection: ConnectionInput; property: string; says: RegExp }[] = [
      { connection: { ...http, auth: { mechanism: "basic", username: USER, password: FIRST_PASSWORD } }, property: "connection.auth.mechanism", says: /basic over http:\/\/ would send the password/ },
      { connection: { ...http, messageEncryption: "never" }, property: "connection.messageEncryption", says: /"never" over http:\/\/ would send every message in clear/ },
      {
        connection: { ...http, proxy: { url: `http://127.0.0.1:${squid.port}`, auth: "basic", username: "svc", password: "Proxy-Passw0rd!" } },
        property: "connection.proxy.auth",
        says: /sends proxy credentials for an http:\/\/ endpoint/,
      },
      { connection: { ...https, proxy: { url: `http://127.0.0.1:${squid.port}`, mode: "forward" } }, property: "connection.proxy.mode", says: /"forward" with an https:\/\/ endpoint/ },
      { connection: { ...http, auth: { mechanism: "ntlm", username: USER } }, property: "connection.auth.password", says: /is required with connection\.auth\.mechanism "ntlm"/ },
    ];
    for (const r of refused) {
      writeSpec({ refused: r.connection });
      const preview = await project.run(["preview", "--non-interactive", "--stack", STACK]);
      const out = preview.stdout + preview.stderr;
      assert.notEqual(preview.code, 0, `preview of ${r.property} passed:\n${out}`);
      assert.ok(out.includes(r.property), `preview output does not name ${r.property}:\n${out}`);
      assert.match(out, r.says);
      assert.ok(!out.includes(FIRST_PASSWORD) && !out.includes("Proxy-Passw0rd!"), "no password in the output");
    }
    assert.deepEqual(web01.emulator.requests, [], "the host saw no request");
    assert.deepEqual(squid.accessLog(), [], "the proxy saw no request");
  });

  test("up shows the RemoteCommand's lines while it runs; a rotated password and a new timeout run nothing; another endpoint replaces", async () => {
    // 1. Create: the ticker's lines, timed as the CLI prints them.
    writeSpec({ connection: connectionTo(web01), ticker: TICKER });
    const started = Date.now();
    const seen = new Map<number, number>();
    const created = await up((line) => {
      const m = / tick (\d)\s*$/.exec(line);
      if (m !== null && !seen.has(Number(m[1]))) seen.set(Number(m[1]), Date.now() - started);
    });
    assert.match(created.stdout, /4 created/);
    assert.deepEqual([...seen.keys()].sort(), [1, 2, 3, 4, 5], `every tick shown:\n${created.stdout}`);
    const first = seen.get(1) ?? 0;
    const last = seen.get(5) ?? 0;
    // About four seconds apart (a ping second between ticks); all at the end would be milliseconds apart.
    assert.ok(last - first >= 2_500, `ticks 1 and 5 printed ${last - first} ms apart:\n${created.stdout}`);
    // Shown as the engine relays a provider's output: under the stack, prefixed with phase and host.
    const host01 = new URL(web01.emulator.url).host;
    assert.match(created.stdout, new RegExp(`pulumi:pulumi:Stack winrm-connection-${STACK} creating .*RemoteCommand create on ${host01.replace(/\./g, "\\.")}: tick 1`));
    assert.ok(web01.commands.includes(TICKER));

    // 2. The password is rotated on the host and in the program: state updated, nothing run, no Command sent.
    users[0] = { username: USER, password: ROTATED_PASSWORD };
    let ran = web01.commands.length;
    let requests = web01.emulator.requests.length;
    writeSpec({ connection: connectionTo(web01), ticker: TICKER });
    const rotated = await up();
    assert.match(rotated.stdout, /3 updated/);
    assert.deepEqual(web01.commands.slice(ran), [], "no command ran on the host (no RemoteCommand command, no netsh / proxycfg)");
    assert.ok(!actionsSince(web01, requests).some((a) => a.endsWith("/Command")), "no WS-Management Command");
    assert.ok(!rotated.stdout.includes(ROTATED_PASSWORD) && !project.stateFile(STACK, "winrm-connection").includes(ROTATED_PASSWORD));

    // 3. A new timeout: the same.
    ran = web01.commands.length;
    requests = web01.emulator.requests.length;
    writeSpec({ connection: connectionTo(web01, { timeouts: { connectMs: 20_000 } }), ticker: TICKER });
    const timeout = await up();
    assert.match(timeout.stdout, /3 updated/);
    assert.deepEqual(web01.commands.slice(ran), []);
    assert.ok(!actionsSince(web01, requests).some((a) => a.endsWith("/Command")));

    // 4. Another endpoint: every resource is replaced. The new host runs the creates; the old host runs the deletes,
    // reached with the rotated password kept in the state.
    ran = web01.commands.length;
    writeSpec({ connection: connectionTo(web02, { timeouts: { connectMs: 20_000 } }), ticker: TICKER });
    const moved = await up();
    assert.match(moved.stdout, /3 replaced/);
    assert.ok(web02.commands.includes(TICKER), "the ticker ran on the new host");
    assert.ok(web02.commands.some((c) => /netsh winhttp set proxy/i.test(c)), "the proxy was set on the new host");
    assert.ok(web01.commands.slice(ran).includes("echo bye"), "the old resource's delete ran on the old host");

    await project.ok(["destroy", "--yes", "--skip-preview", "--non-interactive", "--stack", STACK]);
    assert.ok(web02.commands.includes("echo bye"));
  });
});
