/**
 * Writing the WinHttpSettings registry value as netsh and proxycfg do, for the emulated host (the layout is described
 * in provider/src/hosts/winhttpSettings.ts, whose reader the product uses).
 */
import { ConfigurationError } from "../../errors.js";
import { WINHTTP_FLAG_DIRECT, WINHTTP_FLAG_PROXY, type WinHttpProxyState } from "../../hosts/winhttpSettings.js";

/** The version field netsh writes. */
export const WINHTTP_SETTINGS_VERSION = 0x18;

function asciiField(field: string, s: string): Buffer {
  if (!/^[\x20-\x7e]*$/.test(s)) {
    throw new ConfigurationError(field, "must be printable ASCII (use punycode for international host names)");
  }
  return Buffer.from(s, "latin1");
}

/**
 * Encode a state the way netsh writes it: version 0x18, the given counter, flags 0x01 (direct) or 0x03 (manual
 * proxy; `proxyFlags` for a writer that sets another combination: `proxycfg -p` writes 0x02 alone), then the two
 * length-prefixed strings. Direct access encodes to the 20-byte KB4494447 value (with counter).
 */
export function encodeWinHttpSettings(state: WinHttpProxyState, counter: number, proxyFlags = WINHTTP_FLAG_DIRECT | WINHTTP_FLAG_PROXY): Buffer {
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
  out.writeUInt32LE(WINHTTP_SETTINGS_VERSION, 0);
  out.writeUInt32LE(counter, 4);
  out.writeUInt32LE(direct ? WINHTTP_FLAG_DIRECT : proxyFlags, 8);
  out.writeUInt32LE(proxy.length, 12);
  proxy.copy(out, 16);
  out.writeUInt32LE(bypass.length, 16 + proxy.length);
  bypass.copy(out, 20 + proxy.length);
  return out;
}
