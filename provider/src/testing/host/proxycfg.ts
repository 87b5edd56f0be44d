/**
 * proxycfg.exe (XP / Server 2003 only; `proxycfg /?`): no option = show, `-d` direct, `-p <servers> [<bypass>]`,
 * `-u` import the current user's manual IE proxy, `-i` like -u unless proxycfg was used before, `-?` usage.
 * Reads and writes the same WinHttpSettings blob as netsh (host.ts).
 *
 * Layout (no recorded output of proxycfg was found; docs/conformance.md lists it): banner, blank line, "Current
 * WinHTTP proxy settings under:", the registry path in three indented lines, blank line, then the settings: the
 * direct line has 5 leading spaces (netsh: 4), the proxy lines 4. After a change, "Updated proxy settings" comes
 * before the block.
 * Values are stored as given: per-scheme servers keep proxycfg's space separator ("http=a https=b"); the product
 * compares them with normalizeProxyServer (unconfirmed: whether proxycfg rewrites spaces to `;` when storing).
 */
import { WINHTTP_FLAG_PROXY, type WinHttpProxyState } from "../../hosts/winhttpSettings.js";
import type { ProgramSpec } from "./cmd.js";
import type { ProcState, ProgramIO } from "./process.js";

function header(proc: ProcState): string {
  const t = proc.strings.proxycfg;
  return `${t.banner}\r\n${t.copyright}\r\n\r\n`;
}

/** The "Current WinHTTP proxy settings under:" block for a state. */
export function proxycfgSettingsText(proc: ProcState, state: WinHttpProxyState): string {
  const t = proc.strings.proxycfg;
  const lines = [
    t.currentUnder,
    "  HKEY_LOCAL_MACHINE\\",
    "    SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections\\",
    "      WinHttpSettings :",
    "",
  ];
  if (state.accessType === "direct") {
    lines.push(`     ${t.directAccess}`);
  } else {
    lines.push(`    ${t.proxyServersLabel}  ${state.proxyServer}`);
    lines.push(`    ${t.bypassListLabel}  ${state.bypassList === "" ? t.none : state.bypassList}`);
  }
  return lines.map((l) => `${l}\r\n`).join("");
}

function apply(proc: ProcState, io: ProgramIO, state: WinHttpProxyState, proxyFlags?: number): number {
  proc.host.writeWinHttpProxy(state, proxyFlags);
  io.stdout.write(`${header(proc)}${proc.strings.proxycfg.updated}\r\n\r\n${proxycfgSettingsText(proc, state)}`);
  return 0;
}

function importIe(proc: ProcState, io: ProgramIO): number {
  const ie = proc.host.ieProxy;
  if (ie.enabled && ie.proxyServer !== "") {
    return apply(proc, io, { accessType: "proxy", proxyServer: ie.proxyServer, bypassList: ie.bypassList });
  }
  if (ie.autoConfigUrl !== undefined && ie.autoConfigUrl !== "") {
    // `proxycfg /?`: -u fails when IE uses a PAC script or auto-detect.
    io.stdout.write(`${header(proc)}${proc.strings.proxycfg.ieNotManual}\r\n`);
    return 1;
  }
  return apply(proc, io, { accessType: "direct", proxyServer: "", bypassList: "" });
}

function proxycfgProgram(proc: ProcState, io: ProgramIO, args: string[]): number {
  const usage = (code: number): number => {
    io.stdout.write(`${header(proc)}${proc.strings.proxycfg.usage}\r\n`);
    return code;
  };
  const opt = args[0]?.toLowerCase();
  if (opt === undefined) {
    io.stdout.write(`${header(proc)}${proxycfgSettingsText(proc, proc.host.winHttpProxy)}`);
    return 0;
  }
  if (opt === "-?" || opt === "/?") return usage(0);
  if (opt === "-d" && args.length === 1) return apply(proc, io, { accessType: "direct", proxyServer: "", bypassList: "" });
  if (opt === "-p" && (args.length === 2 || args.length === 3) && (args[1] ?? "").trim() !== "") {
    // proxycfg -p writes the manual-proxy flag alone (0x02), where netsh writes 0x03. Wine's
    // WinHttpSetDefaultProxyConfiguration, the API whose settings proxycfg shares (the function's documentation:
    // "set by WinHttpSetDefaultProxyConfiguration or ProxyCfg.exe"), writes 0x02 alone too
    // (https://gitlab.winehq.org/wine/wine/-/blob/master/dlls/winhttp/session.c).
    return apply(proc, io, { accessType: "proxy", proxyServer: args[1] ?? "", bypassList: args[2] ?? "" }, WINHTTP_FLAG_PROXY);
  }
  if (opt === "-u" && args.length === 1) return importIe(proc, io);
  if (opt === "-i" && args.length === 1) {
    // -i imports only when proxycfg was never used: the counter is still 0.
    if (proc.host.winHttpProxy.counter !== 0) {
      io.stdout.write(`${header(proc)}${proxycfgSettingsText(proc, proc.host.winHttpProxy)}`);
      return 0;
    }
    return importIe(proc, io);
  }
  return usage(1);
}

export const PROXYCFG_PROGRAMS: Record<string, ProgramSpec> = {
  proxycfg: { run: proxycfgProgram, available: (p) => p.hasProxycfg },
};
