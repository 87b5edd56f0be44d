/**
 * Writing the WinHttpSettings registry value as netsh and proxycfg do, for the emulated host (the layout is described
 * in provider/src/hosts/winhttpSettings.ts, whose reader the product uses and which accepts every first field).
 *
 * The first u32 is not documented. What is on record:
 * - 0x18: the value Microsoft gives for direct access on Windows 7 / Server 2008 R2 through Windows 10 / Server 2019,
 *   `1800000000000000010000000000000000000000` (KB4494447, "Use Group Policy to apply WinHTTP proxy settings to
 *   clients", https://learn.microsoft.com/troubleshoot/windows-client/networking/use-group-policy-apply-winhttp-proxy-settings);
 *   and what Wine's WinHttpSetDefaultProxyConfiguration writes and its WinHttpGetDefaultProxyConfiguration requires
 *   (WINHTTP_SETTINGS_MAGIC, https://gitlab.winehq.org/wine/wine/-/blob/master/dlls/winhttp/session.c), Wine's
 *   model of the XP-era API that proxycfg.exe writes through (WinHttpGetDefaultProxyConfiguration's documentation:
 *   "set by WinHttpSetDefaultProxyConfiguration or ProxyCfg.exe").
 * - 0x28: what `netsh winhttp` writes on current Windows (Windows 10 / Server 2016+ era, the nanoserver:1803 images
 *   proxyconf targets), per proxyconf's reading of the value ("always has version 0x28",
 *   https://docs.rs/proxyconf/latest/proxyconf/internet_settings/modern/index.html, https://github.com/vbfox/proxyconf).
 * The values behave as a format version, as the first u32 of WinINet's DefaultConnectionSettings does (0x3C as of IE 6,
 * 0x46 as of IE 7, same source), not as a length: both blobs have the same layout after it.
 * So the emulator writes: the out-of-box direct value with 0x18 on every profile (KB4494447); proxycfg on 2003 R2 and
 * netsh on 2008 / 2008 R2 with 0x18 (no recording shows those writers producing another value); netsh on 2019 with
 * 0x28. A 2019 host therefore holds both forms in one life, as a real one that was reconfigured does.
 */
import { ConfigurationError } from "../../errors.js";
import { WINHTTP_FLAG_DIRECT, WINHTTP_FLAG_PROXY, type WinHttpProxyState } from "../../hosts/winhttpSettings.js";
import type { ProfileName } from "./profiles.js";

/** The first u32 of the value Windows ships (direct access, KB4494447) and that proxycfg and older netsh write. */
export const WINHTTP_SETTINGS_VERSION = 0x18;
/** The first u32 netsh writes on Windows 10 / Server 2016 and later (proxyconf). */
export const WINHTTP_SETTINGS_VERSION_NETSH_MODERN = 0x28;

/** The first u32 that the profile's tool (proxycfg or netsh) writes when it changes the value. */
export function winHttpSettingsVersionWritten(profile: ProfileName): number {
  return profile === "win2019" ? WINHTTP_SETTINGS_VERSION_NETSH_MODERN : WINHTTP_SETTINGS_VERSION;
}

function asciiField(field: string, s: string): Buffer {
  if (!/^[\x20-\x7e]*$/.test(s)) {
    throw new ConfigurationError(field, "must be printable ASCII (use punycode for international host names)");
  }
  return Buffer.from(s, "latin1");
}

/**
 * Encode a state the way netsh writes it: the first u32 (`version`, default 0x18), the given counter, flags 0x01
 * (direct) or 0x03 (manual proxy; `proxyFlags` for a writer that sets another combination: `proxycfg -p` writes 0x02
 * alone), then the two length-prefixed strings. Direct access with version 0x18 and counter 0 encodes to the 20-byte
 * KB4494447 value.
 */
export function encodeWinHttpSettings(
  state: WinHttpProxyState,
  counter: number,
  proxyFlags = WINHTTP_FLAG_DIRECT | WINHTTP_FLAG_PROXY,
  version = WINHTTP_SETTINGS_VERSION,
): Buffer {
  if (!Number.isInteger(counter) || counter < 0 || counter > 0xffffffff) {
    throw new ConfigurationError("counter", "must be a 32-bit unsigned integer");
  }
  const direct = state.accessType === "direct";
  if (!direct && state.proxyServer.trim() === "") {
    throw new ConfigurationError("proxyServer", "is required when accessType is \"proxy\"");
  }
  const proxy = direct ? Buffer.alloc(0) : asciiField("proxyServer", state.proxyServer);
  const bypass = direct ? Buffer.alloc(0) : asciiField("bypassList", state.bypassList);
  const out = Buffer.alloc(20 + proxy.length + bypass.length);
  out.writeUInt32LE(version, 0);
  out.writeUInt32LE(counter, 4);
  out.writeUInt32LE(direct ? WINHTTP_FLAG_DIRECT : proxyFlags, 8);
  out.writeUInt32LE(proxy.length, 12);
  proxy.copy(out, 16);
  out.writeUInt32LE(bypass.length, 16 + proxy.length);
  bypass.copy(out, 20 + proxy.length);
  return out;
}
