/**
 * `npm run demo`: a small emulated fleet and the `winrm-proxy` command line doing what a platform engineer does with
 * it: identify each host, read its WinHTTP proxy (netsh on 2008+, proxycfg on 2003; Spanish hosts print Spanish),
 * set it, read the registry value back in a locale-independent way, and watch the tool refuse an unsafe path.
 *
 * Every command goes through the real CLI binary as a child process, over NTLM with message encryption (HTTP) or
 * over HTTPS with the host's CA. Issue 5 replaces this with `pulumi up` of the example program.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeWinHttpSettings, parseRegQueryBinary, REG_QUERY_WINHTTP_SETTINGS } from "../provider/src/hosts/winhttpSettings.js";
import { EmulatedHost } from "../provider/src/testing/index.js";
import type { Locale } from "../provider/src/testing/index.js";
import type { ProfileName } from "../provider/src/testing/index.js";
import { WinRMEmulator } from "../provider/src/testing/index.js";

const CLI = fileURLToPath(new URL("../provider/src/cli/main.js", import.meta.url));
const USER = "CORP\\deploy";
const PASSWORD = "Demo-Passw0rd!";

interface FleetHost {
  name: string;
  profile: ProfileName;
  locale: Locale;
  tls: boolean;
  emulator?: WinRMEmulator;
  caFile?: string;
}

const fleet: FleetHost[] = [
  { name: "LEGACY-01", profile: "win2003r2", locale: "es-ES", tls: false },
  { name: "LEGACY-02", profile: "win2008", locale: "es-ES", tls: false },
  { name: "WEB-01", profile: "win2019", locale: "en-US", tls: true },
];

const work = mkdtempSync(join(tmpdir(), "winrm-proxy-demo-"));

function heading(text: string): void {
  process.stdout.write(`\n=== ${text}\n`);
}

/**
 * Run the CLI as a user would, printing the command line (without the password, which travels in the environment).
 * Asynchronous on purpose: the emulated hosts live on this process's event loop.
 */
async function cli(host: FleetHost, args: string[], extra: string[] = []): Promise<{ status: number; stdout: string }> {
  const emu = host.emulator;
  if (emu === undefined) throw new Error(`${host.name} is not running`);
  const conn = ["--endpoint", emu.url, "--username", USER, "--password-env", "WINRM_PASSWORD", ...extra];
  if (host.caFile !== undefined) conn.push("--ca", host.caFile);
  const argv = [args[0] ?? "exec", ...conn, ...args.slice(1)];
  process.stdout.write(`$ winrm-proxy ${argv.map((a) => (/[\s"&<>|]/.test(a) ? JSON.stringify(a) : a)).join(" ")}\n`);
  const child = spawn(process.execPath, [CLI, ...argv], {
    env: { ...process.env, WINRM_PASSWORD: PASSWORD },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const status = await new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? -1)));
  if (stdout) process.stdout.write(stdout);
  if (stderr) process.stdout.write(`[stderr] ${stderr}`);
  process.stdout.write(`[exit ${status}]\n`);
  return { status, stdout };
}

async function main(): Promise<void> {
  heading("Starting the emulated fleet (127.0.0.1, ports chosen by the OS)");
  for (const h of fleet) {
    const host = new EmulatedHost({ profile: h.profile, locale: h.locale, computerName: h.name, domain: "CORP" });
    h.emulator = await WinRMEmulator.start({ host, users: [{ username: USER, password: PASSWORD }], tls: h.tls });
    if (h.tls && h.emulator.caPem !== undefined) {
      h.caFile = join(work, `${h.name}-ca.pem`);
      writeFileSync(h.caFile, h.emulator.caPem);
    }
    process.stdout.write(`${h.name.padEnd(10)} ${h.profile.padEnd(10)} ${h.locale}  ${h.emulator.url}\n`);
  }

  for (const h of fleet) {
    heading(`${h.name}: who are you?`);
    await cli(h, ["identify"]);

    const legacy = h.profile === "win2003r2";
    heading(`${h.name}: the WinHTTP proxy WinRM 1.1 and other services use (${legacy ? "proxycfg" : "netsh winhttp"})`);
    await cli(h, ["exec", "--", legacy ? "proxycfg" : "netsh winhttp show proxy"]);

    heading(`${h.name}: point WinHTTP at the corporate proxy`);
    await cli(h, [
      "exec",
      "--",
      legacy
        ? 'proxycfg -p proxy.corp.example:3128 "<local>;*.corp.example"'
        : 'netsh winhttp set proxy proxy-server="proxy.corp.example:3128" bypass-list="<local>;*.corp.example"',
    ]);

    heading(`${h.name}: read it back from the registry, whatever language the host speaks`);
    const reg = await cli(h, ["exec", "--", REG_QUERY_WINHTTP_SETTINGS]);
    const state = decodeWinHttpSettings(parseRegQueryBinary(reg.stdout));
    process.stdout.write(`decoded: ${JSON.stringify({ accessType: state.accessType, proxyServer: state.proxyServer, bypassList: state.bypassList })}\n`);
  }

  const web = fleet[2];
  if (web !== undefined) {
    heading("PowerShell on WEB-01");
    await cli(web, ["exec", "--shell", "powershell", "--", "Write-Output \"$env:COMPUTERNAME runs PowerShell\""]);
  }

  const legacy = fleet[0];
  if (legacy !== undefined) {
    heading("What the tool refuses before sending a byte: Basic over plain HTTP");
    await cli(legacy, ["exec", "--", "hostname"], ["--auth", "basic"]);
  }
}

try {
  await main();
} finally {
  for (const h of fleet) await h.emulator?.close();
  rmSync(work, { recursive: true, force: true });
}
