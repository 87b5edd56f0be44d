/**
 * netsh.exe, the winhttp context only (provider/src/testing/host/locales.ts; `netsh winhttp set proxy /?`): `show proxy`, `set proxy`, `reset proxy`,
 * `import proxy source=ie`. Every command reads and writes the host's WinHttpSettings blob (host.ts), so netsh,
 * proxycfg and `reg query` always agree.
 *
 * Windows behaviour copied:
 * - The winhttp context exists from Vista / 2008. On 2003 netsh answers "The following command was not found:
 *   winhttp show proxy." (localized), exit code 1.
 * - Keywords match case-insensitively and by unique prefix (`netsh winhttp sh pr`).
 * - set / reset / import print the resulting settings in the `show proxy` layout [partly unconfirmed, provider/src/testing/host/locales.ts].
 * - Values (servers, bypass lists) are stored and printed exactly as given; only labels are localized.
 */
import type { WinHttpProxyState } from "../../hosts/winhttpSettings.js";
import type { ProgramSpec } from "./cmd.js";
import type { ProcState, ProgramIO } from "./process.js";

function matches(word: string | undefined, keyword: string): boolean {
  if (word === undefined || word === "") return false;
  return keyword.startsWith(word.toLowerCase());
}

/** The `show proxy` block for a state, in the host's language. */
export function netshShowText(proc: ProcState, state: WinHttpProxyState): string {
  const t = proc.strings.netsh;
  const body =
    state.accessType === "direct"
      ? [`    ${t.directAccess}`]
      : [`    ${t.proxyServersLabel}  ${state.proxyServer}`, `    ${t.bypassListLabel}  ${state.bypassList === "" ? t.none : state.bypassList}`];
  return `\r\n${t.currentSettings}\r\n\r\n${body.join("\r\n")}\r\n\r\n`;
}

function splitTag(arg: string, tags: string[]): { tag?: string; value: string } {
  const eq = arg.indexOf("=");
  if (eq > 0) {
    const tag = arg.slice(0, eq).toLowerCase();
    if (tags.includes(tag)) return { tag, value: arg.slice(eq + 1) };
  }
  return { value: arg };
}

function setProxy(proc: ProcState, io: ProgramIO, args: string[]): number {
  const usage = (): number => {
    io.stdout.write(`${proc.strings.netsh.setProxyUsage}\r\n\r\n`);
    return 1;
  };
  if (args.length === 1 && args[0] === "?") {
    io.stdout.write(`${proc.strings.netsh.setProxyUsage}\r\n\r\n`);
    return 0;
  }
  let server: string | undefined;
  let bypass: string | undefined;
  const positional: string[] = [];
  for (const a of args) {
    const { tag, value } = splitTag(a, ["proxy-server", "bypass-list"]);
    if (tag === "proxy-server") server = value;
    else if (tag === "bypass-list") bypass = value;
    else positional.push(value);
  }
  if (server === undefined) server = positional.shift();
  if (bypass === undefined) bypass = positional.shift();
  if (positional.length > 0 || server === undefined || server.trim() === "") return usage();
  const state: WinHttpProxyState = { accessType: "proxy", proxyServer: server, bypassList: bypass ?? "" };
  proc.host.writeWinHttpProxy(state);
  io.stdout.write(netshShowText(proc, state));
  return 0;
}

function importProxy(proc: ProcState, io: ProgramIO, args: string[]): number {
  const usage = (code: number): number => {
    io.stdout.write(`${proc.strings.netsh.importProxyUsage}\r\n\r\n`);
    return code;
  };
  if (args.length === 1 && args[0] === "?") return usage(0);
  if (args.length !== 1) return usage(1);
  const { value } = splitTag(args[0] ?? "", ["source"]);
  if (value.toLowerCase() !== "ie") {
    io.stdout.write(`${proc.strings.netsh.invalidSource}\r\n\r\n`);
    return 1;
  }
  // Only the current user's *manual* proxy is imported; PAC and auto-detect are not (`netsh winhttp set proxy /?`).
  const ie = proc.host.ieProxy;
  const state: WinHttpProxyState =
    ie.enabled && ie.proxyServer !== ""
      ? { accessType: "proxy", proxyServer: ie.proxyServer, bypassList: ie.bypassList }
      : { accessType: "direct", proxyServer: "", bypassList: "" };
  proc.host.writeWinHttpProxy(state);
  io.stdout.write(netshShowText(proc, state));
  return 0;
}

function netshProgram(proc: ProcState, io: ProgramIO, args: string[]): number {
  const notFound = (): number => {
    io.stdout.write(`${proc.strings.netsh.commandNotFound(args.join(" "))}\r\n\r\n`);
    return 1;
  };
  // Interactive netsh (no arguments) would prompt; under WinRM there is nothing to read: it ends at once.
  if (args.length === 0) return 0;
  if (!matches(args[0], "winhttp") || !proc.host.profile.hasNetshWinhttp) return notFound();
  const [, verb, noun, ...rest] = args;
  if (!matches(noun, "proxy")) return notFound();
  if (matches(verb, "show")) {
    if (rest.length > 0) return notFound();
    io.stdout.write(netshShowText(proc, proc.host.winHttpProxy));
    return 0;
  }
  if (matches(verb, "set")) return setProxy(proc, io, rest);
  if (matches(verb, "reset")) {
    if (rest.length > 0) return notFound();
    const direct: WinHttpProxyState = { accessType: "direct", proxyServer: "", bypassList: "" };
    proc.host.writeWinHttpProxy(direct);
    io.stdout.write(netshShowText(proc, direct));
    return 0;
  }
  if (matches(verb, "import")) return importProxy(proc, io, rest);
  return notFound();
}

export const NETSH_PROGRAMS: Record<string, ProgramSpec> = {
  netsh: { run: netshProgram },
};
