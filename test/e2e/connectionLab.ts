/**
 * The lab of the connection e2e tests (pulumi-connection.test.ts, pulumi-preview-refusals.test.ts): two emulated
 * Server 2019 hosts sharing one account list (changing a password there is a rotation on the hosts), a real squid
 * with no authentication, and one Pulumi project whose program reads spec.json at each run.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ConnectionInput } from "../../provider/src/connection.js";
import { EmulatedHost } from "../../provider/src/testing/index.js";
import { WinRMEmulator } from "../../provider/src/testing/index.js";
import { PulumiProject, type PulumiResult } from "../integration/pulumiEngineHarness.js";
import { Squid } from "../peers/squid.js";

export const STACK = "conn";
export const PROJECT = "winrm-connection";
export const USER = "CORP\\deploy";
export const FIRST_PASSWORD = "First-Passw0rd!";
export const ROTATED_PASSWORD = "Rotated-Passw0rd!";
/** A line a second for five seconds (cmd has no sleep: `ping -n 2` waits about a second). */
export const TICKER = "for /L %i in (1,1,5) do (echo tick %i & ping -n 2 127.0.0.1 >nul)";

/** spec.refused: one WinHttpProxySetting with that connection; otherwise a RemoteCommand, a WinHttpProxySetting and a WinRMProxyConfig on spec.connection. */
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

export interface LabHost {
  host: EmulatedHost;
  emulator: WinRMEmulator;
  /** Every command line the host's cmd ran, in order. */
  commands: string[];
}

/** An emulated Server 2019 host; `port` to listen where a program already points (a host that starts late). */
export async function startHost(computerName: string, users: { username: string; password: string }[], port?: number): Promise<LabHost> {
  const host = new EmulatedHost({ profile: "win2019", locale: "en-US", computerName, domain: "CORP" });
  const commands: string[] = [];
  const original = host.startCommand.bind(host);
  host.startCommand = (line, opts) => {
    commands.push(line);
    return original(line, opts);
  };
  // `users` is shared: changing a password there is the password rotation on the host.
  const emulator = await WinRMEmulator.start({ host, users, ...(port !== undefined ? { port } : {}) });
  return { host, emulator, commands };
}

export class ConnectionLab {
  private constructor(
    /** The hosts' account list: assign a password here to rotate it on both hosts. */
    readonly users: { username: string; password: string }[],
    readonly web01: LabHost,
    readonly web02: LabHost,
    readonly squid: Squid,
    readonly project: PulumiProject,
  ) {}

  /** Hosts, squid, project and `pulumi stack init`. */
  static async start(): Promise<ConnectionLab> {
    const squid = await Squid.start({ auth: "none" });
    const users = [{ username: USER, password: FIRST_PASSWORD }];
    const web01 = await startHost("WEB-01", users);
    const web02 = await startHost("WEB-02", users);
    const project = new PulumiProject({ name: PROJECT, program: PROGRAM, killAfterMs: 150_000 });
    const lab = new ConnectionLab(users, web01, web02, squid, project);
    await project.ok(["stack", "init", STACK, "--non-interactive"]);
    return lab;
  }

  writeSpec(spec: unknown): void {
    writeFileSync(join(this.project.projectDir, "spec.json"), JSON.stringify(spec, null, 2));
  }

  /** The connection a program gives for `lab`, through the squid, with the hosts' current password. */
  connectionTo(lab: LabHost, extra: Partial<ConnectionInput> = {}): ConnectionInput {
    return {
      endpoint: lab.emulator.url,
      auth: { mechanism: "negotiate", username: USER, password: this.users[0]?.password ?? "" },
      proxy: { url: `http://127.0.0.1:${this.squid.port}` },
      ...extra,
    };
  }

  up(onLine?: (line: string) => void): Promise<PulumiResult> {
    return this.project.ok(["up", "--yes", "--skip-preview", "--non-interactive", "--stack", STACK], onLine !== undefined ? { onLine } : {});
  }

  /** WS-Management Actions `lab` received since request number `from`. */
  static actionsSince(lab: LabHost, from: number): string[] {
    return lab.emulator.requests.slice(from).map((r) => r.action ?? "");
  }

  async stop(): Promise<void> {
    this.project.dispose();
    await this.web01.emulator.close();
    await this.web02.emulator.close();
    await this.squid.stop();
  }
}
