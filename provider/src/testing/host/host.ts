/**
 * One emulated Windows host: OS profile + display language + WinRM configuration + registry + the cmd.exe that runs
 * the commands a WinRM shell receives. The emulator server (server.ts) owns the network side; it calls
 * `startCommand` for each shell Command and reads `config` for the service settings.
 */
import {
  decodeWinHttpSettings,
  encodeWinHttpSettings,
  type DecodedWinHttpSettings,
  type WinHttpProxyState,
} from "../../hosts/winhttpSettings.js";
import { WinRMConfigStore } from "./configStore.js";
import { parseCommandLine, programFileExists, readsStdin, runParsed } from "./cmd.js";
import { ProgramNotFoundError } from "../shellService.js";
import { strings, type Locale, type LocaleStrings } from "./locales.js";
import { codePageSupported, encodeCodePage, Env, type ProcState, type Sink } from "./process.js";
import { getProfile, type HostProfile, type ProfileName } from "./profiles.js";
import { HostFileSystem, TextFileView } from "./fileSystem.js";
import { commandStreamsStdin } from "./streamingCommands.js";
import { StdinStream } from "./stdinStream.js";
import { CONNECTIONS_KEY, CONNECTIONS_KEY_WOW64, IE_SETTINGS_KEY, Registry } from "./registry.js";

export interface RunningCommand {
  /** The program reads stdin: the shell keeps it Pending until stdin is closed (Send End="true"). */
  readonly readsStdin: boolean;
  /** The program reads stdin while it runs: it starts at once and each Send feeds `stdinStream` (stdinStream.ts). */
  readonly streamsStdin?: boolean;
  /** `onOutput` sees each piece of output as it is written (the shell hands it to Receives while the command runs). */
  run(stdin: Buffer, onOutput?: OutputListener, stdinStream?: StdinStream): Promise<{ stdout: Buffer; stderr: Buffer; exitCode: number }>;
}

export type OutputListener = (stream: "stdout" | "stderr", data: Buffer) => void;

/** The current user's Internet Explorer (WinINet) proxy, the source of `netsh winhttp import proxy source=ie`. */
export interface IeProxySettings {
  /** ProxyEnable: a manual proxy is in use. */
  enabled: boolean;
  /** ProxyServer, e.g. "proxy:8080" or "http=a:80;https=b:443". */
  proxyServer: string;
  /** ProxyOverride, e.g. "<local>;*.contoso.com". */
  bypassList: string;
  /** AutoConfigURL (a PAC script): not imported by netsh / proxycfg. */
  autoConfigUrl?: string;
}

/**
 * What a host did, for tests that act at an exact moment (e.g. kill a client right after a change took effect and
 * before its answer leaves): a command line that has run (its effects are in place, its output not yet sent), or a
 * WS-Transfer Put on a config resource that has been applied.
 */
export type HostActivity =
  | { kind: "command"; commandLine: string; exitCode: number }
  | { kind: "config-put"; path: string };

export interface EmulatedHostOptions {
  profile: ProfileName;
  locale: Locale;
  /** NetBIOS name, default derived from the profile (e.g. "WIN2019"). */
  computerName?: string;
  /**
   * The NetBIOS domain the host's accounts belong to. Default: the computer name, i.e. a workgroup host whose local
   * accounts NTLM reports under the machine name.
   */
  domain?: string;
  /** User name for %USERNAME% / whoami when the shell does not say (default "Administrator"). */
  userName?: string;
  /** Initial WinHTTP proxy; null = the WinHttpSettings value does not exist. Default: direct access (20-byte value). */
  winHttp?: WinHttpProxyState | null;
  ieProxy?: IeProxySettings;
}

const DEFAULT_NAMES: Record<ProfileName, string> = {
  win2003r2: "WIN2003R2",
  win2008: "WIN2008",
  win2008r2: "WIN2008R2",
  win2019: "WIN2019",
};

export class EmulatedHost {
  readonly profile: HostProfile;
  readonly locale: Locale;
  readonly strings: LocaleStrings;
  readonly computerName: string;
  readonly domain: string;
  readonly userName: string;
  readonly oemCodePage: number;
  readonly config: WinRMConfigStore;
  readonly registry: Registry;
  /** The machine's files and directories (binary, fileSystem.ts). */
  readonly fs: HostFileSystem;
  /** A text view of `fs` for `>` / `>>` / `<` / `type`: absolute path -> text (UTF-8). */
  readonly files: TextFileView;
  private readonly observers = new Set<(a: HostActivity) => void>();

  constructor(opts: EmulatedHostOptions) {
    this.profile = getProfile(opts.profile);
    this.locale = opts.locale;
    this.strings = strings(opts.locale);
    this.computerName = (opts.computerName ?? DEFAULT_NAMES[opts.profile]).toUpperCase();
    this.domain = (opts.domain ?? this.computerName).toUpperCase();
    this.userName = opts.userName ?? "Administrator";
    this.oemCodePage = this.strings.oemCodePage;
    const home = `${this.profile.profilesRoot}\\${this.userName}`;
    const windir = this.profile.name === "win2003r2" ? "C:\\WINDOWS" : "C:\\Windows";
    this.fs = new HostFileSystem([`${windir}\\System32`, home, `${home}\\${this.profile.name === "win2003r2" ? "Local Settings\\Temp" : "AppData\\Local\\Temp"}`]);
    this.files = new TextFileView(this.fs);
    this.config = new WinRMConfigStore(this.profile, (path) => this.report({ kind: "config-put", path }));
    this.registry = new Registry();
    this.registry.createKey(CONNECTIONS_KEY);
    if (this.profile.is64Bit) this.registry.createKey(CONNECTIONS_KEY_WOW64);
    const initial = opts.winHttp === undefined ? { accessType: "direct" as const, proxyServer: "", bypassList: "" } : opts.winHttp;
    if (initial !== null) {
      // The first value carries counter 0, like the direct value of KB4494447.
      this.storeWinHttpSettings(encodeWinHttpSettings(initial, 0));
    }
    this.setIeProxy(opts.ieProxy ?? { enabled: false, proxyServer: "", bypassList: "" });
  }

  /** Call `observer` synchronously after each command line ran and each config Put; returns the unsubscribe. */
  observe(observer: (a: HostActivity) => void): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  private report(a: HostActivity): void {
    for (const o of [...this.observers]) o(a);
  }

  /** The code page a shell really prints in: 65001 only where supported, an unknown page falls back to OEM. */
  effectiveCodePage(requested: number | undefined): number {
    if (requested === undefined || requested === 0) return this.oemCodePage;
    if (requested === 65001 && !this.profile.supportsUtf8CodePage) return this.oemCodePage;
    return codePageSupported(requested) ? requested : this.oemCodePage;
  }

  /** The raw WinHttpSettings value (64-bit view), or undefined when it does not exist. */
  winHttpSettingsBlob(view: "native" | "wow64" = "native"): Buffer | undefined {
    const v = this.registry.getValue(view === "native" ? CONNECTIONS_KEY : CONNECTIONS_KEY_WOW64, "WinHttpSettings");
    return v?.type === "REG_BINARY" ? v.data : undefined;
  }

  /** The WinHTTP proxy as WinHTTP would read it; a missing or unreadable value means direct access. */
  get winHttpProxy(): DecodedWinHttpSettings {
    const blob = this.winHttpSettingsBlob();
    if (blob !== undefined) {
      try {
        return decodeWinHttpSettings(blob);
      } catch {
        // fall through: WinHTTP ignores a corrupt value
      }
    }
    return { version: 0, counter: 0, flags: 1, accessType: "direct", proxyServer: "", bypassList: "" };
  }

  /**
   * Write a new WinHTTP proxy the way netsh and proxycfg do: counter + 1, the native value and, on 64-bit Windows,
   * the WOW6432Node twin (provider/src/hosts/winhttpSettings.ts).
   */
  writeWinHttpProxy(state: WinHttpProxyState, proxyFlags?: number): void {
    const counter = (this.winHttpProxy.counter + 1) >>> 0;
    this.storeWinHttpSettings(encodeWinHttpSettings(state, counter, proxyFlags));
  }

  /** The native value and, on 64-bit Windows, its WOW6432Node twin: both always hold the same blob (provider/src/hosts/winhttpSettings.ts). */
  private storeWinHttpSettings(blob: Buffer): void {
    this.registry.setValue(CONNECTIONS_KEY, "WinHttpSettings", { type: "REG_BINARY", data: blob });
    if (this.profile.is64Bit) this.registry.setValue(CONNECTIONS_KEY_WOW64, "WinHttpSettings", { type: "REG_BINARY", data: blob });
  }

  /** Set the current user's IE proxy (HKCU ProxyEnable / ProxyServer / ProxyOverride / AutoConfigURL). */
  setIeProxy(s: IeProxySettings): void {
    this.registry.setValue(IE_SETTINGS_KEY, "ProxyEnable", { type: "REG_DWORD", data: s.enabled ? 1 : 0 });
    this.registry.setValue(IE_SETTINGS_KEY, "ProxyServer", { type: "REG_SZ", data: s.proxyServer });
    this.registry.setValue(IE_SETTINGS_KEY, "ProxyOverride", { type: "REG_SZ", data: s.bypassList });
    if (s.autoConfigUrl !== undefined) {
      this.registry.setValue(IE_SETTINGS_KEY, "AutoConfigURL", { type: "REG_SZ", data: s.autoConfigUrl });
    } else {
      this.registry.deleteValue(IE_SETTINGS_KEY, "AutoConfigURL");
    }
  }

  get ieProxy(): IeProxySettings {
    const str = (name: string): string => {
      const v = this.registry.getValue(IE_SETTINGS_KEY, name);
      return v?.type === "REG_SZ" ? v.data : "";
    };
    const en = this.registry.getValue(IE_SETTINGS_KEY, "ProxyEnable");
    const pac = this.registry.getValue(IE_SETTINGS_KEY, "AutoConfigURL");
    return {
      enabled: en?.type === "REG_DWORD" && en.data !== 0,
      proxyServer: str("ProxyServer"),
      bypassList: str("ProxyOverride"),
      ...(pac?.type === "REG_SZ" ? { autoConfigUrl: pac.data } : {}),
    };
  }

  /** The environment a new cmd.exe starts with (before the shell's own variables). */
  defaultEnv(userName: string = this.userName): Record<string, string> {
    const legacy = this.profile.name === "win2003r2";
    const windir = legacy ? "C:\\WINDOWS" : "C:\\Windows";
    const userProfile = `${this.profile.profilesRoot}\\${userName}`;
    const env: Record<string, string> = {
      ALLUSERSPROFILE: legacy ? `${this.profile.profilesRoot}\\All Users` : "C:\\ProgramData",
      APPDATA: legacy ? `${userProfile}\\Application Data` : `${userProfile}\\AppData\\Roaming`,
      CommonProgramFiles: "C:\\Program Files\\Common Files",
      COMPUTERNAME: this.computerName,
      ComSpec: `${windir}\\system32\\cmd.exe`,
      HOMEDRIVE: "C:",
      HOMEPATH: userProfile.slice(2),
      LOGONSERVER: `\\\\${this.computerName}`,
      NUMBER_OF_PROCESSORS: "2",
      OS: "Windows_NT",
      Path: `${windir}\\system32;${windir};${windir}\\System32\\Wbem` + (this.profile.hasPowerShell ? `;${windir}\\System32\\WindowsPowerShell\\v1.0\\` : ""),
      PATHEXT: ".COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH" + (legacy ? "" : ";.MSC"),
      PROCESSOR_ARCHITECTURE: this.profile.is64Bit ? "AMD64" : "x86",
      ProgramFiles: "C:\\Program Files",
      PROMPT: "$P$G",
      SystemDrive: "C:",
      SystemRoot: windir,
      TEMP: legacy ? `${userProfile}\\Local Settings\\Temp` : `${userProfile}\\AppData\\Local\\Temp`,
      TMP: legacy ? `${userProfile}\\Local Settings\\Temp` : `${userProfile}\\AppData\\Local\\Temp`,
      USERDOMAIN: this.domain,
      USERNAME: userName,
      USERPROFILE: userProfile,
      windir,
    };
    if (!legacy) {
      env.LOCALAPPDATA = `${userProfile}\\AppData\\Local`;
      env.PUBLIC = "C:\\Users\\Public";
      env.ProgramData = "C:\\ProgramData";
    }
    if (this.profile.is64Bit) env["ProgramFiles(x86)"] = "C:\\Program Files (x86)";
    return env;
  }

  /**
   * Start one command line the way a WinRM cmd shell does (`cmd.exe /c <line>`). Parsing and %VAR% expansion happen
   * now (cmd expands a whole line before running any of it); `run` executes it. Output is encoded in the effective
   * code page as it is written (a `chcp` inside the line changes the encoding of what follows), with CRLF line ends.
   */
  startCommand(
    commandLine: string,
    opts: { env: Record<string, string>; cwd?: string; codePage: number; skipCmdShell?: { program: string } },
  ): RunningCommand {
    const env = new Env(this.defaultEnv(opts.env.USERNAME ?? this.userName));
    for (const [k, v] of Object.entries(opts.env)) env.set(k, v);
    const proc: ProcState = {
      host: this,
      strings: this.strings,
      env,
      cwd: opts.cwd ?? env.get("USERPROFILE") ?? "C:\\",
      codePage: this.effectiveCodePage(opts.codePage),
      errorLevel: 0,
      exited: false,
    };
    if (opts.skipCmdShell !== undefined) {
      // No cmd.exe: the program must be a file (MS-WSMV 2.2.4.7 WINRS_SKIP_CMD_SHELL). Once found it runs through the
      // same interpreter as a cmd line (the emulated programs are cmd's), which is what a user's tests observe.
      const windir = env.get("windir") ?? "C:\\Windows";
      if (!programFileExists(opts.skipCmdShell.program, proc.cwd, windir, this.profile)) throw new ProgramNotFoundError(opts.skipCmdShell.program);
    }
    const parsed = parseCommandLine(commandLine, proc);
    const streams = commandStreamsStdin(commandLine, this.profile);
    return {
      readsStdin: readsStdin(parsed, this.profile),
      ...(streams ? { streamsStdin: true } : {}),
      run: async (stdin: Buffer, onOutput?: OutputListener, stdinStream?: StdinStream) => {
        if (stdinStream !== undefined) proc.stdinStream = stdinStream;
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        const sink = (chunks: Buffer[], stream: "stdout" | "stderr"): Sink => ({
          write: (t: string) => {
            const data = encodeCodePage(t, proc.codePage);
            chunks.push(data);
            onOutput?.(stream, data);
          },
        });
        const exitCode = await runParsed(parsed, proc, stdin, sink(stdout, "stdout"), sink(stderr, "stderr"));
        this.report({ kind: "command", commandLine, exitCode });
        return { stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr), exitCode };
      },
    };
  }
}
