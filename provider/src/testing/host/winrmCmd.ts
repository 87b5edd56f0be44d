/**
 * winrm.cmd (winrm.vbs) for the configuration commands (winrm/config/listener; `winrm help config`):
 *   winrm get|g <path>                     text tree of winrm/config[/service[/auth]|/client[/auth]|/winrs]
 *   winrm set|s <path> @{Key="v";K2="v"}   change values, then print the resource as get does
 *   winrm enumerate|e winrm/config/listener
 *   winrm id|identify
 * Text tree: containers as bare names, `Key = value`, an empty value as the bare key, 4 spaces per level.
 * Errors print the WSManFault block and "Error number:" on stderr with exit code 1 (unconfirmed: winrm.vbs's exact
 * exit code; messages are the service's English text on every locale in the emulator).
 */
import { WinRMConfigError, type ConfigTree } from "./configStore.js";
import type { ProgramSpec } from "./cmd.js";
import type { ProcState, ProgramIO } from "./process.js";

/** Render a config tree the way `winrm get` prints it (without the trailing blank line). */
export function renderWinrmTree(name: string, tree: ConfigTree, indent = 0): string[] {
  const pad = " ".repeat(indent);
  const out = [`${pad}${name}`];
  for (const [k, v] of Object.entries(tree)) {
    if (typeof v === "string") out.push(v === "" ? `${pad}    ${k}` : `${pad}    ${k} = ${v}`);
    else out.push(...renderWinrmTree(k, v, indent + 4));
  }
  return out;
}

/** Parse `@{Key="value";Other="x"}` from the raw command tail. */
export function parseHashtable(raw: string): Record<string, string> | undefined {
  const start = raw.indexOf("@{");
  const end = raw.lastIndexOf("}");
  if (start < 0 || end < start) return undefined;
  const body = raw.slice(start + 2, end);
  const out: Record<string, string> = {};
  const re = /\s*([A-Za-z0-9_]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^;]*))\s*(?:;|$)/y;
  let pos = 0;
  while (pos < body.length) {
    re.lastIndex = pos;
    const m = re.exec(body);
    if (!m || m[0] === "") return undefined;
    out[m[1] ?? ""] = m[2] ?? m[3] ?? (m[4] ?? "").trim();
    pos = re.lastIndex;
  }
  return out;
}

function toSigned32(n: number): number {
  return n > 0x7fffffff ? n - 0x100000000 : n;
}

function fault(io: ProgramIO, message: string, code: number): number {
  io.stderr.write(
    `WSManFault\r\n    Message = ${message}\r\n\r\n` +
      `Error number:  ${toSigned32(code)} 0x${code.toString(16).toUpperCase()}\r\n${message}\r\n`,
  );
  return 1;
}

function invalidUse(io: ProgramIO): number {
  io.stderr.write('Error: Invalid use of command line. Type "winrm -?" for help.\r\n');
  return 1;
}

function winrmProgram(proc: ProcState, io: ProgramIO, args: string[], raw: string): number {
  const store = proc.host.config;
  const op = args[0]?.toLowerCase();
  const path = args[1];
  const print = (lines: string[]): void => io.stdout.write(lines.map((l) => `${l}\r\n`).join("") + "\r\n");
  const label = (p: string): string => store.containerNames(p).pop() ?? "Config";
  try {
    switch (op) {
      case "get":
      case "g": {
        if (path === undefined) return invalidUse(io);
        print(renderWinrmTree(label(path), store.get(path)));
        return 0;
      }
      case "set":
      case "s": {
        if (path === undefined) return invalidUse(io);
        const values = parseHashtable(raw);
        if (!values) return invalidUse(io);
        store.set(path, values);
        print(renderWinrmTree(label(path), store.get(path)));
        return 0;
      }
      case "enumerate":
      case "e": {
        if (path === undefined || !/^winrm\/config\/listener$/i.test(path)) return invalidUse(io);
        const blocks = store.listeners().map((l) => renderWinrmTree("Listener", l));
        io.stdout.write(blocks.map((b) => b.map((l) => `${l}\r\n`).join("") + "\r\n").join(""));
        return 0;
      }
      case "id":
      case "identify": {
        const p = proc.host.profile;
        const lines = [
          "IdentifyResponse",
          `    ProtocolVersion = ${p.protocolVersion}`,
          `    ProductVendor = ${p.productVendor}`,
          `    ProductVersion = ${p.productVersion}`,
        ];
        if (p.stack !== "1.1") {
          lines.push("    SecurityProfiles", "        SecurityProfileName = http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/spnego-kerberos");
        }
        print(lines);
        return 0;
      }
      default:
        return invalidUse(io);
    }
  } catch (e) {
    if (e instanceof WinRMConfigError) return fault(io, e.message, e.wsmanCode);
    throw e;
  }
}

export const WINRM_PROGRAMS: Record<string, ProgramSpec> = {
  winrm: { run: winrmProgram, file: "System32\\winrm.cmd" },
};
