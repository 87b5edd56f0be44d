/**
 * The Windows versions the emulator can pretend to be. One profile = one OS build + the WinRM stack it ships with (or
 * the one the project targets on it), and the host tools that differ between them (proxycfg.exe vs netsh winhttp).
 *
 * Facts:
 * - WinRM 1.1: XP/2003 with KB936059, Vista SP1 / Server 2008. Default listener ports 80/443; no CredSSP, no
 *   CbtHardeningLevel; MaxEnvelopeSizekb 150. Vista SP1/2008 is treated as 1.1 (the TechNet table says "2.0" for
 *   wsmsvc 6.0.6001.18000; MS-WSMV groups it with the pre-KB968930 behaviours: unconfirmed, conflicting sources).
 * - WinRM 2.0: built into 7 / 2008 R2. Ports 5985/5986. MaxEnvelopeSizekb 150.
 * - WinRM 3.0+: 8 / 2012 and later. Ports 5985/5986. MaxEnvelopeSizekb 500.
 * - proxycfg.exe exists on XP/2003 only; netsh's winhttp context exists from Vista/2008 (`netsh winhttp set proxy /?`; `proxycfg /?`).
 * - Identify's ProductVersion reads "OS: <major.minor.build> SP: <major.minor> Stack: <wsman stack>"
 *   (e.g. "OS: 10.0.17763 SP: 0.0 Stack: 3.0").
 */

export type ProfileName = "win2003r2" | "win2008" | "win2008r2" | "win2019";

export const PROFILE_NAMES: readonly ProfileName[] = ["win2003r2", "win2008", "win2008r2", "win2019"];

export type WinRMStack = "1.1" | "2.0" | "3.0";

export interface HostProfile {
  readonly name: ProfileName;
  readonly displayName: string;
  /** major.minor.build, as Identify prints it after "OS:". */
  readonly osVersion: string;
  /** "2.0" for Service Pack 2, "0.0" for none: as Identify prints it after "SP:". */
  readonly servicePack: string;
  readonly stack: WinRMStack;
  /** Identify's wsmid:ProductVersion. */
  readonly productVersion: string;
  readonly productVendor: string;
  readonly protocolVersion: string;
  /** What `ver` prints inside the brackets after the localized word "Version" (build.UBR on Windows 10 / 2016+). */
  readonly verNumber: string;
  /** netsh.exe has the winhttp context (Vista / 2008 and later). */
  readonly hasNetshWinhttp: boolean;
  /** proxycfg.exe is present (XP / 2003 only). */
  readonly hasProxycfg: boolean;
  /** powershell.exe is installed (2003 R2 does not ship it). */
  readonly hasPowerShell: boolean;
  /**
   * Whether a shell may run in code page 65001. The 2003 console has no usable UTF-8 code page: the shell falls back
   * to its OEM code page and every program prints in it.
   */
  readonly supportsUtf8CodePage: boolean;
  /** 64-bit Windows: 32-bit processes see HKLM\SOFTWARE\WOW6432Node (provider/src/hosts/winhttpSettings.ts). */
  readonly is64Bit: boolean;
  readonly maxEnvelopeSizekb: number;
  /** Default listener ports of the stack (1.1: 80/443; 2.0 and later: 5985/5986). */
  readonly defaultPorts: { readonly http: number; readonly https: number };
  readonly supportsCredSSP: boolean;
  readonly supportsCbtHardening: boolean;
  /** `winrm quickconfig` exists (Vista/2008 and later, not 2003 R2). */
  readonly hasQuickconfig: boolean;
  /** Default user profile root (the shell's default working directory lives under it). */
  readonly profilesRoot: string;
}

const PROTOCOL_VERSION = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd";
const VENDOR = "Microsoft Corporation";

function productVersion(os: string, sp: string, stack: WinRMStack): string {
  return `OS: ${os} SP: ${sp} Stack: ${stack}`;
}

const PROFILES: Record<ProfileName, HostProfile> = {
  win2003r2: {
    name: "win2003r2",
    displayName: "Windows Server 2003 R2 SP2 + WinRM 1.1 (KB936059)",
    osVersion: "5.2.3790",
    servicePack: "2.0",
    stack: "1.1",
    productVersion: productVersion("5.2.3790", "2.0", "1.1"),
    productVendor: VENDOR,
    protocolVersion: PROTOCOL_VERSION,
    verNumber: "5.2.3790",
    hasNetshWinhttp: false,
    hasProxycfg: true,
    hasPowerShell: false,
    supportsUtf8CodePage: false,
    // The emulated 2003 R2 is the x86 edition: no WOW6432Node (avoids guessing what proxycfg does on x64).
    is64Bit: false,
    maxEnvelopeSizekb: 150,
    defaultPorts: { http: 80, https: 443 },
    supportsCredSSP: false,
    supportsCbtHardening: false,
    hasQuickconfig: false,
    profilesRoot: "C:\\Documents and Settings",
  },
  win2008: {
    name: "win2008",
    displayName: "Windows Server 2008 SP1 + WinRM 1.1",
    osVersion: "6.0.6001",
    servicePack: "1.0",
    stack: "1.1",
    productVersion: productVersion("6.0.6001", "1.0", "1.1"),
    productVendor: VENDOR,
    protocolVersion: PROTOCOL_VERSION,
    verNumber: "6.0.6001",
    hasNetshWinhttp: true,
    hasProxycfg: false,
    // PowerShell 1.0 is an optional feature on 2008; the emulated host has it installed.
    hasPowerShell: true,
    supportsUtf8CodePage: true,
    is64Bit: true,
    maxEnvelopeSizekb: 150,
    defaultPorts: { http: 80, https: 443 },
    supportsCredSSP: false,
    supportsCbtHardening: false,
    hasQuickconfig: true,
    profilesRoot: "C:\\Users",
  },
  win2008r2: {
    name: "win2008r2",
    displayName: "Windows Server 2008 R2 SP1 + WinRM 2.0",
    osVersion: "6.1.7601",
    servicePack: "1.0",
    stack: "2.0",
    productVersion: productVersion("6.1.7601", "1.0", "2.0"),
    productVendor: VENDOR,
    protocolVersion: PROTOCOL_VERSION,
    verNumber: "6.1.7601",
    hasNetshWinhttp: true,
    hasProxycfg: false,
    hasPowerShell: true,
    supportsUtf8CodePage: true,
    is64Bit: true,
    maxEnvelopeSizekb: 150,
    defaultPorts: { http: 5985, https: 5986 },
    supportsCredSSP: true,
    supportsCbtHardening: true,
    hasQuickconfig: true,
    profilesRoot: "C:\\Users",
  },
  win2019: {
    name: "win2019",
    displayName: "Windows Server 2019 + WinRM 3.0",
    osVersion: "10.0.17763",
    servicePack: "0.0",
    stack: "3.0",
    productVersion: productVersion("10.0.17763", "0.0", "3.0"),
    productVendor: VENDOR,
    protocolVersion: PROTOCOL_VERSION,
    // Windows 10 / Server 2016+ print build.UBR; the UBR is the emulator's choice of patch level.
    verNumber: "10.0.17763.5458",
    hasNetshWinhttp: true,
    hasProxycfg: false,
    hasPowerShell: true,
    supportsUtf8CodePage: true,
    is64Bit: true,
    maxEnvelopeSizekb: 500,
    defaultPorts: { http: 5985, https: 5986 },
    supportsCredSSP: true,
    supportsCbtHardening: true,
    hasQuickconfig: true,
    profilesRoot: "C:\\Users",
  },
};

export function isProfileName(s: string): s is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(s);
}

export function getProfile(name: ProfileName): HostProfile {
  const p = PROFILES[name];
  if (!p) throw new Error(`unknown host profile ${String(name)}; known: ${PROFILE_NAMES.join(", ")}`);
  return p;
}
