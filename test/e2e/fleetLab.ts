/**
 * The emulated fleet the example program (examples/fleet, run by the root Pulumi.yaml) manages, for the end-to-end
 * test and `npm run demo`:
 *
 * - three emulated Windows hosts in this process, on 127.0.0.1 with ports from the OS: LEGACY-01 (Server 2003 R2,
 *   WinRM 1.1 over HTTP, proxycfg), LEGACY-02 (Server 2008 in Spanish, WinRM 1.1 over HTTP, netsh winhttp) and WEB-01
 *   (Server 2019, WinRM 3.0 over HTTPS with its own CA);
 * - two real squids: the legacy network's proxy (no authentication: WinRM 1.1 there is HTTP, and a proxy that
 *   authenticates requires an HTTPS target) and the corporate proxy (Basic authentication, HTTPS targets only);
 * - the real Pulumi CLI (scripts/pulumi.mjs, as `npm run pulumi` runs it) in the repository root, on a temporary file
 *   backend, PULUMI_HOME and stack config file: nothing is written into the repository, nothing reaches the network.
 *   The stack config is what a platform engineer would set: hosts, the deployment account (password secret), the
 *   proxy password (secret), the WinHTTP proxy to declare.
 *
 * The CLI runs through the engine harness's PulumiRunner (test/integration/pulumiEngineHarness.ts): every process a
 * Pulumi run leaves behind (language host, dynamic-provider plugin) carries its marker variable and is killed after
 * the run; `stop()` stops the squids and the hosts and removes the temporary directory.
 */
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConnectionInput } from "../../provider/src/connection.js";
import type { WinHttpProxyState } from "../../provider/src/hosts/winhttpSettings.js";
import { closeAllClients, getClient } from "../../provider/src/resources/clientPool.js";
import { EmulatedHost } from "../../provider/src/testing/index.js";
import type { Locale } from "../../provider/src/testing/index.js";
import type { ProfileName } from "../../provider/src/testing/index.js";
import { WinRMEmulator } from "../../provider/src/testing/index.js";
import { PulumiRunner, REPO_ROOT, type PulumiResult, type RunOptions } from "../integration/pulumiEngineHarness.js";
import { Squid, squidMissing } from "../peers/squid.js";

export { REPO_ROOT, type RunOptions };
const ENGINE_SCRIPT = join(REPO_ROOT, "scripts", "pulumi-engine.sh");

/** The Pulumi project name in the root Pulumi.yaml: config keys are `winrm-fleet:<key>`. */
export const PROJECT = "winrm-fleet";
/** The registry value the example's RemoteCommand writes (examples/fleet/index.ts MARKER_KEY). */
export const MARKER_KEY = "HKLM\\SOFTWARE\\Corp\\Deployment";
export const MARKER_VALUE = "WinHttpProxy";

/** LEGACY-02's WinHTTP proxy before Pulumi manages it. */
export const PREVIOUS_LEGACY_02: WinHttpProxyState = {
  accessType: "proxy",
  proxyServer: "old-proxy.corp.example:80",
  bypassList: "<local>",
};

export interface LabCredentials {
  user: string;
  password: string;
  proxyUser: string;
  proxyPassword: string;
}

export interface LabHost {
  /** The host's name in the stack config and in resource names (legacy-01, ...). */
  name: string;
  computerName: string;
  profile: ProfileName;
  /** The OS generation the stack config gives (examples/fleet WINRM_VERSION keys). */
  os: string;
  locale: Locale;
  tls: boolean;
  host: EmulatedHost;
  emulator: WinRMEmulator;
  /** The proxy this host is reached through. */
  proxy: Squid;
  proxyAuth: "none" | "basic";
  caFile?: string;
}

/** Why the lab cannot run here (a skip reason), or false. */
export function labMissing(): string | false {
  const squid = squidMissing();
  if (squid !== false) return squid;
  const r = spawnSyncText("bash", [ENGINE_SCRIPT, "--check"]);
  if (r.status !== 0) return `the pinned Pulumi engine is not built or not current (${r.output.trim()}): run bash scripts/setup.sh`;
  if (!existsSync(join(REPO_ROOT, "node_modules", "pulumi-winrm-proxy", "package.json"))) {
    return "node_modules/pulumi-winrm-proxy (the self-link the example program resolves) is missing: run bash scripts/setup.sh";
  }
  return false;
}

function spawnSyncText(cmd: string, args: string[]): { status: number | null; output: string } {
  // Synchronous on purpose: called before any host is running.
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

export type PulumiRun = PulumiResult;

export interface FleetLabOptions {
  /** Credentials the hosts and the corporate proxy accept (the e2e test uses distinctive ones to look for leaks). */
  credentials?: Partial<LabCredentials>;
  /** Stack name; default "fleet-<random>". */
  stack?: string;
  /** Extra environment for every Pulumi run. */
  env?: Record<string, string>;
}

const DEFAULT_CREDENTIALS: LabCredentials = {
  user: "CORP\\deploy",
  password: "Demo-Passw0rd!",
  proxyUser: "svc-winrm",
  proxyPassword: "Proxy-Passw0rd!",
};

export class FleetLab {
  readonly hosts: LabHost[];
  readonly legacyProxy: Squid;
  readonly corpProxy: Squid;
  readonly credentials: LabCredentials;
  readonly stack: string;
  /** Temporary directory: backend, PULUMI_HOME, stack config file, CA files. */
  readonly dir: string;
  readonly backendDir: string;
  readonly configFile: string;
  /** Runs the CLI in the repository root with the lab's backend, PULUMI_HOME and passphrase. */
  readonly runner: PulumiRunner;

  private constructor(init: {
    hosts: LabHost[];
    legacyProxy: Squid;
    corpProxy: Squid;
    credentials: LabCredentials;
    stack: string;
    dir: string;
    env: Record<string, string> | undefined;
  }) {
    this.hosts = init.hosts;
    this.legacyProxy = init.legacyProxy;
    this.corpProxy = init.corpProxy;
    this.credentials = init.credentials;
    this.stack = init.stack;
    this.dir = init.dir;
    this.backendDir = join(init.dir, "state");
    this.configFile = join(init.dir, `Pulumi.${init.stack}.yaml`);
    const home = join(init.dir, "home");
    mkdirSync(this.backendDir, { recursive: true });
    mkdirSync(home, { recursive: true });
    this.runner = new PulumiRunner({
      cwd: REPO_ROOT,
      env: {
        PULUMI_BACKEND_URL: `file://${this.backendDir}`,
        PULUMI_HOME: home,
        // The public demo passphrase of scripts/pulumi.mjs, set explicitly (no notice on every run).
        PULUMI_CONFIG_PASSPHRASE: "pulumi-winrm-proxy-demo",
        PULUMI_CONFIG_PASSPHRASE_FILE: undefined,
        ...init.env,
      },
      label: "fleet lab",
    });
  }

  /** Start the hosts and the proxies (no Pulumi yet). */
  static async start(opts: FleetLabOptions = {}): Promise<FleetLab> {
    const credentials = { ...DEFAULT_CREDENTIALS, ...opts.credentials };
    const dir = mkdtempSync(join(tmpdir(), "winrm-fleet-"));
    const started: { emulators: WinRMEmulator[]; squids: Squid[] } = { emulators: [], squids: [] };
    try {
      const legacyProxy = await Squid.start({ auth: "none" });
      started.squids.push(legacyProxy);
      const corpProxy = await Squid.start({
        auth: "basic",
        users: [{ username: credentials.proxyUser, password: credentials.proxyPassword }],
      });
      started.squids.push(corpProxy);
      const specs = [
        { name: "legacy-01", computerName: "LEGACY-01", profile: "win2003r2", os: "2003r2", locale: "en-US", tls: false },
        { name: "legacy-02", computerName: "LEGACY-02", profile: "win2008", os: "2008", locale: "es-ES", tls: false, winHttp: PREVIOUS_LEGACY_02 },
        { name: "web-01", computerName: "WEB-01", profile: "win2019", os: "2019", locale: "en-US", tls: true },
      ] as const;
      const hosts: LabHost[] = [];
      for (const s of specs) {
        // What the machine had before Pulumi managed it (LEGACY-02 already used an older proxy; destroy restores it).
        const before = "winHttp" in s ? { winHttp: s.winHttp } : {};
        const host = new EmulatedHost({ profile: s.profile, locale: s.locale, computerName: s.computerName, domain: "CORP", ...before });
        const emulator = await WinRMEmulator.start({
          host,
          users: [{ username: credentials.user, password: credentials.password }],
          tls: s.tls,
        });
        started.emulators.push(emulator);
        let caFile: string | undefined;
        if (s.tls && emulator.caPem !== undefined) {
          caFile = join(dir, `${s.name}-ca.pem`);
          writeFileSync(caFile, emulator.caPem);
        }
        hosts.push({
          name: s.name,
          computerName: s.computerName,
          profile: s.profile,
          os: s.os,
          locale: s.locale,
          tls: s.tls,
          host,
          emulator,
          proxy: s.tls ? corpProxy : legacyProxy,
          proxyAuth: s.tls ? "basic" : "none",
          ...(caFile !== undefined ? { caFile } : {}),
        });
      }
      return new FleetLab({ hosts, legacyProxy, corpProxy, credentials, stack: opts.stack ?? `fleet-${randomUUID().slice(0, 8)}`, dir, env: opts.env });
    } catch (e) {
      for (const emu of started.emulators) await emu.close();
      for (const sq of started.squids) await sq.stop();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  host(name: string): LabHost {
    const h = this.hosts.find((x) => x.name === name);
    if (h === undefined) throw new Error(`no lab host ${name}`);
    return h;
  }

  /** How the program reaches a host: the same connection the stack config describes. */
  connection(h: LabHost): ConnectionInput {
    return {
      endpoint: h.emulator.url,
      auth: { mechanism: "negotiate", username: this.credentials.user, password: this.credentials.password },
      ...(h.caFile !== undefined ? { tls: { ca: readFileSync(h.caFile, "utf8") } } : {}),
      proxy: {
        url: proxyUrl(h.proxy),
        auth: h.proxyAuth,
        ...(h.proxyAuth !== "none" ? { username: this.credentials.proxyUser, password: this.credentials.proxyPassword } : {}),
      },
    };
  }

  /** Run a command on a host over WinRM through its proxy (someone working behind Pulumi's back). */
  async exec(h: LabHost, command: string): Promise<{ stdout: string; stderr: string; exitCode: number }> {
    const { client } = getClient(this.connection(h));
    return client.run(command);
  }

  /** The host's WinHTTP default proxy, straight from its registry (not through WinRM). */
  winHttpOf(h: LabHost): WinHttpProxyState {
    const d = h.host.winHttpProxy;
    return { accessType: d.accessType, proxyServer: d.proxyServer, bypassList: d.bypassList };
  }

  /** The marker value the example's RemoteCommand writes, straight from the host's registry. */
  markerOf(h: LabHost): string | undefined {
    const v = h.host.registry.getValue(MARKER_KEY, MARKER_VALUE);
    return v?.type === "REG_SZ" ? v.data : undefined;
  }

  /** The plaintext stack config (the secrets are set separately, from stdin: `secretConfig`). */
  plaintextConfig(winhttp: { server: string; bypass: string[] }): string[] {
    const kv: string[] = [`deployUser=${this.credentials.user}`, `winhttpProxy.server=${winhttp.server}`];
    winhttp.bypass.forEach((b, i) => kv.push(`winhttpProxy.bypass[${i}]=${b}`));
    this.hosts.forEach((h, i) => {
      kv.push(`hosts[${i}].name=${h.name}`, `hosts[${i}].endpoint=${h.emulator.url}`, `hosts[${i}].os=${h.os}`);
      kv.push(`hosts[${i}].proxy.url=${proxyUrl(h.proxy)}`);
      if (h.proxyAuth !== "none") {
        kv.push(`hosts[${i}].proxy.auth=${h.proxyAuth}`, `hosts[${i}].proxy.username=${this.credentials.proxyUser}`);
      }
      if (h.caFile !== undefined) kv.push(`hosts[${i}].caFile=${h.caFile}`);
    });
    return kv;
  }

  /** The secret config keys and their values. */
  secretConfig(): Record<string, string> {
    return { deployPassword: this.credentials.password, proxyPassword: this.credentials.proxyPassword };
  }

  /**
   * `pulumi stack init` on the temporary backend, then the config: plaintext values with `config set-all --path`,
   * each secret with `config set --secret KEY` reading the value from stdin (never on a command line).
   * The stack config file lives in the temporary directory (`--config-file`), not in the repository.
   * `runner` runs each command (default: `ok`); the demo passes one that shows them.
   */
  async initStack(
    winhttp: { server: string; bypass: string[] },
    runner: (args: string[], input?: string) => Promise<unknown> = (args, input) => this.ok(args, input !== undefined ? { input } : {}),
  ): Promise<void> {
    await runner(["stack", "init", this.stack, "--non-interactive"]);
    // stack init writes Pulumi.<stack>.yaml (the passphrase salt) next to Pulumi.yaml; it belongs to the lab.
    const written = join(REPO_ROOT, `Pulumi.${this.stack}.yaml`);
    if (existsSync(written)) renameSync(written, this.configFile);
    await runner(this.withStack(["config", "set-all", "--path", ...this.plaintextConfig(winhttp).flatMap((kv) => ["--plaintext", kv])]));
    for (const [key, value] of Object.entries(this.secretConfig())) {
      await runner(this.withStack(["config", "set", "--secret", key]), value);
    }
  }

  /** The stack config file as written. */
  configText(): string {
    return readFileSync(this.configFile, "utf8");
  }

  /** args with -s STACK --config-file FILE (every stack-scoped command). */
  withStack(args: string[]): string[] {
    return [...args, "--stack", this.stack, "--config-file", this.configFile];
  }

  /** Runs `node scripts/pulumi.mjs ARGS` (what `npm run pulumi -- ARGS` runs) in the repository root. */
  run(args: string[], opts: RunOptions = {}): Promise<PulumiRun> {
    return this.runner.run(args, opts);
  }

  /** Runs and throws with the whole output unless the exit code is 0. */
  ok(args: string[], opts: RunOptions = {}): Promise<PulumiRun> {
    return this.runner.ok(args, opts);
  }

  /** The stack's state file on the temporary backend (what `pulumi stack export` prints, as stored). */
  stateFile(): string {
    return readFileSync(join(this.backendDir, ".pulumi", "stacks", PROJECT, `${this.stack}.json`), "utf8");
  }

  /** SIGKILLs every process a Pulumi run of this lab left behind; returns their pids. */
  killLeftovers(): number[] {
    return this.runner.killLeftovers();
  }

  /** Stop everything this lab started and remove its directory (backend and config included). */
  async stop(): Promise<void> {
    this.killLeftovers();
    await closeAllClients();
    for (const h of this.hosts) await h.emulator.close();
    await this.legacyProxy.stop();
    await this.corpProxy.stop();
    const stray = join(REPO_ROOT, `Pulumi.${this.stack}.yaml`);
    rmSync(stray, { force: true });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** http://127.0.0.1:PORT (the form a proxy is written in config). */
export function proxyUrl(s: Squid): string {
  return `http://127.0.0.1:${s.port}`;
}
