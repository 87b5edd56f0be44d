/**
 * The host's WinHTTP default proxy, read and changed through a WinRM client.
 *
 * - Which tool: `netsh winhttp` exists from Vista / Server 2008 (NT 6.0); XP / Server 2003 (NT 5.x) have
 *   `proxycfg.exe` instead (`netsh winhttp set proxy /?`; `proxycfg /?`). The OS version comes from Identify's ProductVersion
 *   ("OS: 5.2.3790 SP: 2.0 Stack: 1.1"), never from localized text.
 * - Read: `reg query` of the `WinHttpSettings` REG_BINARY value, decoded from its hex dump (provider/src/hosts/winhttpSettings.ts). The
 *   value name, type name and hex digits print the same in every display language; netsh's and proxycfg's labels
 *   do not (Spanish, Italian hosts). A missing value means direct access (WinHTTP's default; proxycfg docs: deleting
 *   the value removes all configuration).
 * - Write: the tool's command line from winhttpSettings.ts, then read back and compare normalised
 *   (sameProxyState). On a mismatch the previous setting is put back and the change fails with VerificationError:
 *   the state Pulumi records must be what the host really has.
 */
import type { IdentifyResult, RunOptions, RunResult } from "../client.js";
import { CommandFailedError, ProtocolError, WinRMError } from "../errors.js";
import {
  decodeWinHttpSettings,
  netshSetProxyCommand,
  normalizeBypassList,
  normalizeProxyServer,
  proxycfgSetCommand,
  REG_QUERY_WINHTTP_SETTINGS,
  sameProxyState,
  tryParseRegQueryBinary,
  type WinHttpProxyState,
} from "./winhttpSettings.js";
import { parseRegQueryLine } from "./regQuery.js";

/** What the WinHTTP code needs of a client (WinRMClient satisfies it; tests may wrap one). */
export interface CommandRunner {
  run(command: string, opts?: RunOptions): Promise<RunResult>;
}

export type WinHttpTool = "netsh" | "proxycfg";

/** The live setting, and whether the registry value exists at all (absent = direct, never configured). */
export interface LiveWinHttpProxy extends WinHttpProxyState {
  exists: boolean;
}

/**
 * The live value did not match what was just written (after a rollback attempt). Code WINRM_COMMAND_FAILED: the
 * tool reported success but the host does not hold the requested setting.
 */
export class VerificationError extends WinRMError {
  readonly expected: WinHttpProxyState;
  readonly actual: WinHttpProxyState;
  readonly rolledBack: boolean;
  constructor(what: string, expected: WinHttpProxyState, actual: WinHttpProxyState, rolledBack: boolean, detail = "") {
    super(
      "WINRM_COMMAND_FAILED",
      `${what}: the host reports ${describeProxyState(actual)} after setting ${describeProxyState(expected)}; ` +
        (rolledBack
          ? "the previous setting was restored"
          : "restoring the previous setting failed too, so the host is in an unknown state: run `pulumi refresh`") +
        (detail !== "" ? ` (${detail})` : ""),
    );
    this.expected = expected;
    this.actual = actual;
    this.rolledBack = rolledBack;
  }
}

export function describeProxyState(s: WinHttpProxyState): string {
  if (s.accessType === "direct" || s.proxyServer === "") return "direct access";
  return `proxy "${s.proxyServer}"` + (s.bypassList !== "" ? ` with bypass "${s.bypassList}"` : " without bypass list");
}

/** Major.minor of Identify's "OS:" field, or undefined when the host did not print that shape. */
export function osVersionOf(id: IdentifyResult): { major: number; minor: number } | undefined {
  const m = /^(\d+)\.(\d+)/.exec(id.os ?? "");
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

/** netsh on NT 6.0 (Vista / 2008) and later, proxycfg on NT 5.x (XP / 2003). Unknown shapes: netsh (modern hosts). */
export function winHttpToolFor(id: IdentifyResult): WinHttpTool {
  const v = osVersionOf(id);
  return v !== undefined && v.major < 6 ? "proxycfg" : "netsh";
}

/** The command line that sets `state` with `tool`. */
export function setCommand(tool: WinHttpTool, state: WinHttpProxyState): string {
  return tool === "netsh" ? netshSetProxyCommand(state) : proxycfgSetCommand(state);
}

/** The command line that imports the current user's manual IE proxy (`netsh winhttp set proxy /?`; `proxycfg /?`). */
export function importFromIeCommand(tool: WinHttpTool): string {
  return tool === "netsh" ? "netsh winhttp import proxy source=ie" : "proxycfg -u";
}

export const DIRECT: WinHttpProxyState = Object.freeze({ accessType: "direct", proxyServer: "", bypassList: "" });

/** A canonical copy: direct states lose their strings, proxy states keep the given (not normalised) text. */
export function canonicalState(s: WinHttpProxyState): WinHttpProxyState {
  if (s.accessType === "direct" || normalizeProxyServer(s.proxyServer) === "") return { ...DIRECT };
  return { accessType: "proxy", proxyServer: s.proxyServer, bypassList: s.bypassList };
}

/** Lines of stderr (or stdout when stderr is empty) for an error: the last few, trimmed. */
export function outputTail(r: RunResult, lines = 5): string {
  const text = (r.stderr.trim() !== "" ? r.stderr : r.stdout).trim();
  const tail = text.split(/\r?\n/).slice(-lines).join(" | ");
  return tail.length > 1000 ? tail.slice(-1000) : tail;
}

/** Read the live WinHttpSettings value (native view) through `reg query`. */
export async function readWinHttpProxy(client: CommandRunner): Promise<LiveWinHttpProxy> {
  const r = await client.run(REG_QUERY_WINHTTP_SETTINGS, { shell: "cmd" });
  const blob = tryParseRegQueryBinary(r.stdout);
  if (blob === undefined) {
    // reg.exe exits 1 when the value does not exist (its message is localized: only the code is read).
    if (r.exitCode === 1) return { ...DIRECT, exists: false };
    if (r.exitCode !== 0) throw new CommandFailedError("reg query WinHttpSettings", r.exitCode, outputTail(r));
    throw new ProtocolError("reg query printed no WinHttpSettings REG_BINARY value");
  }
  const d = decodeWinHttpSettings(blob);
  return { accessType: d.accessType, proxyServer: d.proxyServer, bypassList: d.bypassList, exists: true };
}

/**
 * The current user's manual IE (WinINet) proxy, which `import` copies: ProxyEnable (REG_DWORD), ProxyServer and
 * ProxyOverride (REG_SZ) under HKCU. Read by value name and type, never by localized text. PAC / auto-detect are not
 * imported by netsh or proxycfg (`netsh winhttp set proxy /?`), so they are ignored here too.
 */
export async function readIeProxy(client: CommandRunner): Promise<WinHttpProxyState> {
  const r = await client.run('reg query "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings"', {
    shell: "cmd",
  });
  if (r.exitCode !== 0) throw new CommandFailedError("reg query Internet Settings", r.exitCode, outputTail(r));
  const values = new Map<string, { type: string; data: string }>();
  for (const line of r.stdout.split(/\r?\n/)) {
    const v = parseRegQueryLine(line);
    if (v?.indented) values.set(v.name.toLowerCase(), { type: v.type, data: v.data });
  }
  const enable = values.get("proxyenable");
  const enabled = enable?.type === "REG_DWORD" && Number(enable.data) !== 0;
  const server = values.get("proxyserver")?.data ?? "";
  if (!enabled || server.trim() === "") return { ...DIRECT };
  return { accessType: "proxy", proxyServer: server, bypassList: values.get("proxyoverride")?.data ?? "" };
}

async function runTool(client: CommandRunner, tool: WinHttpTool, command: string): Promise<void> {
  const r = await client.run(command, { shell: "cmd" });
  // netsh and proxycfg both exit non-zero on a refused change (elevation, syntax); their text is localized.
  if (r.exitCode !== 0) throw new CommandFailedError(`${tool} (${command})`, r.exitCode, outputTail(r));
}

export interface ApplyResult {
  /** The live setting after the change, as the host stores it. */
  live: LiveWinHttpProxy;
}

/**
 * Apply `desired` (or an IE import when desired is "importFromIe"), read back, and compare normalised. On a mismatch
 * restore `previous` with the same tool and throw VerificationError. `previous` is what the host had before (the
 * caller read it; a missing value is restored as direct access, the same behaviour).
 */
export async function applyWinHttpProxy(
  client: CommandRunner,
  tool: WinHttpTool,
  desired: WinHttpProxyState | "importFromIe",
  previous: WinHttpProxyState,
): Promise<ApplyResult> {
  let expected: WinHttpProxyState;
  let command: string;
  if (desired === "importFromIe") {
    expected = await readIeProxy(client);
    command = importFromIeCommand(tool);
  } else {
    expected = canonicalState(desired);
    command = setCommand(tool, expected);
  }
  await runTool(client, tool, command);
  const live = await readWinHttpProxy(client);
  if (sameProxyState(live, expected)) return { live };

  let rolledBack = false;
  let detail = "";
  try {
    await runTool(client, tool, setCommand(tool, canonicalState(previous)));
    rolledBack = sameProxyState(await readWinHttpProxy(client), previous);
    if (!rolledBack) detail = "the host did not take the previous setting back either";
  } catch (e) {
    detail = e instanceof Error ? e.message : String(e);
  }
  throw new VerificationError(`${tool} did not apply the WinHTTP proxy`, expected, live, rolledBack, detail);
}

/** Comparable, normalised form (for diffs and tests). */
export function normalizedState(s: WinHttpProxyState): WinHttpProxyState {
  const c = canonicalState(s);
  if (c.accessType === "direct") return c;
  return { accessType: "proxy", proxyServer: normalizeProxyServer(c.proxyServer), bypassList: normalizeBypassList(c.bypassList) };
}
