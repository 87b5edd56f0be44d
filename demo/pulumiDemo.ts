/**
 * `npm run demo`: the example program (examples/fleet, run by the root Pulumi.yaml) on the real Pulumi CLI v3.248.0,
 * against an emulated fleet reached through two real squid proxies:
 *
 *   1. start the fleet and the proxies, write the stack config (secrets from stdin, into a temporary stack);
 *   2. `pulumi up`: WinRMProxyConfig on the 2019 host, a WinHttpProxySetting on every host (proxycfg on 2003 R2,
 *      netsh on 2008 and 2019), a RemoteCommand recording the declared proxy;
 *   3. someone changes LEGACY-02's WinHTTP proxy by hand (a real `netsh winhttp set proxy` over WinRM, the Spanish
 *      host answering in Spanish);
 *   4. `pulumi preview --refresh --expect-no-changes` catches the drift (and fails, as a pipeline gate would);
 *   5. `pulumi refresh` records the live value; `pulumi up` puts the declared one back;
 *   6. `pulumi destroy` restores what each host had before; everything is stopped and removed.
 *
 * Nothing is written into the repository: the backend, PULUMI_HOME and the stack config live in a temporary directory.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { WinHttpProxyState } from "../provider/src/hosts/winhttpSettings.js";
import { FleetLab, labMissing, proxyUrl, type LabHost } from "../test/e2e/fleetLab.js";

const CLI = fileURLToPath(new URL("../provider/src/cli/main.js", import.meta.url));
const WINHTTP = { server: "proxy.corp.example:8080", bypass: ["<local>", "*.corp.example"] };
const ROGUE = "rogue-proxy.example:3128";
const color = process.stdout.isTTY === true;
const started = Date.now();

function heading(text: string): void {
  const t = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
  process.stdout.write(color ? `\n\x1b[1;36m=== ${text}\x1b[0m  \x1b[2m(${t} s)\x1b[0m\n` : `\n=== ${text}  (${t} s)\n`);
}

function note(text: string): void {
  process.stdout.write(color ? `\x1b[2m${text}\x1b[0m\n` : `${text}\n`);
}

function showState(h: LabHost, s: WinHttpProxyState): void {
  const value = s.accessType === "direct" ? "direct access (no proxy)" : `${s.proxyServer}  bypass ${s.bypassList || "(none)"}`;
  process.stdout.write(`  ${h.computerName.padEnd(10)} ${value}\n`);
}

/** An argument as a shell needs it. */
function quote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`;
}

/** Args as a shell command line; a long `--flag value` list one pair per line. */
function commandLine(args: string[]): string {
  const first = args.findIndex((a) => a === "--plaintext" || a === "--secret");
  if (first < 0 || args.length < 8) return args.map(quote).join(" ");
  const lines = [args.slice(0, first).map(quote).join(" ")];
  for (let i = first; i < args.length; i += 2) lines.push(`    ${quote(args[i] ?? "")} ${quote(args[i + 1] ?? "")}`);
  return lines.join(" \\\n");
}

/** `pulumi ARGS` as the user types it, with its real output. */
async function pulumi(lab: FleetLab, args: string[], opts: { input?: string; expectFailure?: boolean } = {}): Promise<number> {
  const shown = args.filter((a, i) => a !== "--config-file" && args[i - 1] !== "--config-file" && a !== "--stack" && args[i - 1] !== "--stack");
  process.stdout.write(`$ pulumi ${commandLine(shown)}${opts.input !== undefined ? "   # the value from stdin" : ""}\n`);
  const r = await lab.run(color ? [...args, "--color", "always"] : args, { show: true, ...(opts.input !== undefined ? { input: opts.input } : {}) });
  if (opts.expectFailure === true ? r.code === 0 : r.code !== 0) {
    throw new Error(`pulumi ${shown.join(" ")} exited ${r.code ?? r.signal}${opts.expectFailure === true ? " (a failure was expected)" : ""}`);
  }
  return r.code ?? -1;
}

/** `winrm-proxy exec` through the host's proxy, as an admin would run it; passwords only in the environment. */
async function winrmProxy(lab: FleetLab, h: LabHost, command: string): Promise<void> {
  const argv = ["exec", "--endpoint", h.emulator.url, "--username", lab.credentials.user, "--password-env", "WINRM_PASSWORD", "--proxy", proxyUrl(h.proxy), "--", command];
  process.stdout.write(`$ winrm-proxy ${argv.map(quote).join(" ")}\n`);
  const child = spawn(process.execPath, [CLI, ...argv], {
    env: { ...process.env, WINRM_PASSWORD: lab.credentials.password },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", (d: Buffer) => process.stdout.write(d));
  child.stderr.on("data", (d: Buffer) => process.stdout.write(d));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`winrm-proxy exec exited ${code}`);
}

async function main(lab: FleetLab): Promise<void> {
  heading("The fleet (emulated Windows hosts on 127.0.0.1) and its proxies (real squid)");
  note(`  legacy network proxy   ${proxyUrl(lab.legacyProxy)}  (no authentication: WinRM 1.1 there speaks HTTP)`);
  note(`  corporate proxy        ${proxyUrl(lab.corpProxy)}  (Basic authentication, HTTPS targets only)`);
  for (const h of lab.hosts) {
    note(`  ${h.computerName.padEnd(10)} Windows Server ${h.os.padEnd(6)} ${h.locale}  ${h.emulator.url}  via ${h === lab.host("web-01") ? "corporate" : "legacy"} proxy`);
  }
  process.stdout.write("WinHTTP proxy on each host before Pulumi:\n");
  for (const h of lab.hosts) showState(h, lab.winHttpOf(h));

  heading("Stack config: hosts, the deployment account, the WinHTTP proxy to declare; passwords as secrets");
  note(`(every stack command below also gets --stack ${lab.stack} --config-file ${lab.configFile}: the backend and the stack config live in a temporary directory)`);
  await lab.initStack(WINHTTP, (args, input) => pulumi(lab, args, input !== undefined ? { input } : {}));
  note("\nThe stack config file (secrets encrypted with the stack's passphrase):");
  process.stdout.write(lab.configText());

  heading("pulumi up: WinRMProxyConfig where WinRM >= 2.0, a WinHttpProxySetting per host, a RemoteCommand marker");
  await pulumi(lab, lab.withStack(["up", "--yes"]));
  process.stdout.write("WinHTTP proxy on each host now (read from each host's registry):\n");
  for (const h of lab.hosts) showState(h, lab.winHttpOf(h));

  const legacy02 = lab.host("legacy-02");
  heading(`Behind Pulumi's back: someone points LEGACY-02 (Spanish Windows) at ${ROGUE}`);
  await winrmProxy(lab, legacy02, `netsh winhttp set proxy proxy-server="${ROGUE}" bypass-list="<local>"`);

  heading("pulumi preview --refresh --expect-no-changes: the pipeline gate catches the drift");
  await pulumi(lab, lab.withStack(["preview", "--refresh", "--expect-no-changes", "--diff"]), { expectFailure: true });
  note("(exit status non-zero: a deployment pipeline stops here)");

  heading("pulumi refresh: the state records the live value");
  await pulumi(lab, lab.withStack(["refresh", "--yes"]));

  heading("pulumi up: the declared value goes back");
  await pulumi(lab, lab.withStack(["up", "--yes"]));
  process.stdout.write("LEGACY-02 now, as netsh shows it (in Spanish) and as its registry holds it:\n");
  await winrmProxy(lab, legacy02, "netsh winhttp show proxy");
  showState(legacy02, lab.winHttpOf(legacy02));

  heading("pulumi preview --refresh --expect-no-changes: clean again");
  await pulumi(lab, lab.withStack(["preview", "--refresh", "--expect-no-changes"]));

  heading("pulumi destroy: each host gets back what it had before");
  await pulumi(lab, lab.withStack(["destroy", "--yes"]));
  for (const h of lab.hosts) showState(h, lab.winHttpOf(h));
}

const missing = labMissing();
if (missing !== false) {
  process.stderr.write(`npm run demo: ${missing}\n`);
  process.exit(1);
}
process.stdout.write("npm run demo: the example Pulumi program (examples/fleet) on the pinned Pulumi CLI, against an emulated fleet\n");
const lab = await FleetLab.start({ stack: "demo" });
let failed = false;
const stopOnSignal = (signal: NodeJS.Signals): void => {
  void lab.stop().finally(() => process.kill(process.pid, signal));
};
process.once("SIGINT", stopOnSignal);
process.once("SIGTERM", stopOnSignal);
try {
  await main(lab);
} catch (e) {
  failed = true;
  process.stderr.write(`\nnpm run demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
} finally {
  await lab.stop();
}
heading(failed ? "Stopped everything (the demo failed)" : "Done: hosts and proxies stopped, the temporary stack removed");
process.exitCode = failed ? 1 : 0;
