/**
 * A scripted Windows host for the client tests: the real profiles and configuration store, and a handful of commands
 * that behave like cmd.exe where the client cares (code pages, stdin, stderr, exit codes, env, cwd, PowerShell
 * -EncodedCommand). The full cmd interpreter lives in provider/src/testing/host (helper C); these tests pin down the client.
 *
 *   echo TEXT             TEXT\r\n
 *   chcp                  the localized "Active code page: N" line
 *   fail                  "boom\r\n" on stderr, exit 3
 *   exit /b N             exit N
 *   lines N               "line 1\r\n" ... "line N\r\n"
 *   more                  stdin to stdout
 *   set NAME              NAME=value from the shell's environment
 *   cd                    the working directory
 *   wait                  no output until the test calls release() (OperationTimeout loop)
 *   powershell -NoProfile -NonInteractive -EncodedCommand B64   Write-Output 'x' / Write-Error 'x' / exit N lines
 */
import iconv from "iconv-lite";
import { getProfile, type ProfileName } from "../../provider/src/testing/index.js";
import { WinRMConfigStore } from "../../provider/src/testing/index.js";
import type { EmulatorHost } from "../../provider/src/testing/index.js";

export type TestLocale = "en-US" | "es-ES" | "it-IT";

const OEM: Record<TestLocale, number> = { "en-US": 437, "es-ES": 850, "it-IT": 850 };
const CHCP: Record<TestLocale, string> = {
  "en-US": "Active code page: ",
  "es-ES": "Página de códigos activa: ",
  "it-IT": "Tabella codici attiva: ",
};

export interface TestHost extends EmulatorHost {
  /** Code pages the shells' commands ran with (what the host printed in). */
  readonly effectiveCodePages: number[];
  /** Lets every "wait" command finish. */
  release(): void;
}

export function testHost(profileName: ProfileName, locale: TestLocale = "en-US"): TestHost {
  const profile = getProfile(profileName);
  const oem = OEM[locale];
  const effectiveCodePages: number[] = [];
  let releaseWaiters: () => void = () => undefined;
  let released = new Promise<void>((r) => (releaseWaiters = r));
  return {
    profile,
    computerName: "WIN-TEST",
    oemCodePage: oem,
    config: new WinRMConfigStore(profile),
    effectiveCodePages,
    release() {
      releaseWaiters();
      released = Promise.resolve();
    },
    startCommand(commandLine, opts) {
      // NT 5.x ignores WINRS_CODEPAGE 65001 and prints in the OEM page (codePage.ts).
      const cp = opts.codePage === 65001 && !profile.supportsUtf8CodePage ? oem : opts.codePage;
      effectiveCodePages.push(cp);
      const enc = cp === 65001 ? "utf8" : `cp${cp}`;
      const out = (stdout: string, stderr = "", exitCode = 0) => ({
        stdout: iconv.encode(stdout, enc),
        stderr: iconv.encode(stderr, enc),
        exitCode,
      });
      const trimmed = commandLine.trim();
      const [cmd = "", ...rest] = trimmed.split(/\s+/);
      const arg = trimmed.slice(cmd.length).trim();
      switch (cmd.toLowerCase()) {
        case "echo":
          return { readsStdin: false, run: async () => out(`${arg}\r\n`) };
        case "chcp":
          return { readsStdin: false, run: async () => out(`${CHCP[locale]}${cp}\r\n`) };
        case "fail":
          return { readsStdin: false, run: async () => out("", "boom\r\n", 3) };
        case "exit":
          return { readsStdin: false, run: async () => out("", "", Number(rest[1] ?? "0")) };
        case "lines": {
          const n = Number(arg);
          return { readsStdin: false, run: async () => out(Array.from({ length: n }, (_, i) => `line ${i + 1}\r\n`).join("")) };
        }
        case "more":
          return {
            readsStdin: true,
            run: async (stdin: Buffer) => ({ stdout: stdin, stderr: Buffer.alloc(0), exitCode: 0 }),
          };
        case "set": {
          const v = Object.entries(opts.env).find(([k]) => k.toLowerCase() === arg.toLowerCase());
          return {
            readsStdin: false,
            run: async () => (v ? out(`${v[0]}=${v[1]}\r\n`) : out("", `Environment variable ${arg} not defined\r\n`, 1)),
          };
        }
        case "cd":
          return { readsStdin: false, run: async () => out(`${opts.cwd ?? "C:\\Users\\test"}\r\n`) };
        case "wait":
          return {
            readsStdin: false,
            run: async () => {
              await released;
              return out("done\r\n");
            },
          };
        case "powershell": {
          const i = rest.findIndex((r) => r.toLowerCase() === "-encodedcommand");
          const script = i >= 0 ? Buffer.from(rest[i + 1] ?? "", "base64").toString("utf16le") : "";
          return { readsStdin: false, run: async () => runPs(script, out) };
        }
        default:
          return { readsStdin: false, run: async () => out("", `'${cmd}' is not recognized as an internal or external command\r\n`, 9009) };
      }
    },
  };
}

function runPs(
  script: string,
  out: (stdout: string, stderr?: string, exitCode?: number) => { stdout: Buffer; stderr: Buffer; exitCode: number },
) {
  let stdout = "";
  let stderr = "";
  for (const line of script.split(/\r?\n|;/)) {
    const l = line.trim();
    let m: RegExpExecArray | null;
    if ((m = /^Write-Output\s+'([^']*)'$/i.exec(l))) stdout += `${m[1]}\r\n`;
    else if ((m = /^Write-Error\s+'([^']*)'$/i.exec(l))) {
      // As powershell.exe writes its error stream when stderr is redirected.
      stderr += `#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><S S="Error">${m[1]}_x000D__x000A_</S></Objs>`;
    } else if ((m = /^exit\s+(\d+)$/i.exec(l))) return out(stdout, stderr, Number(m[1]));
  }
  return out(stdout, stderr, 0);
}
