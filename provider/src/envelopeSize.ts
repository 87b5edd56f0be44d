/**
 * Which w:MaxEnvelopeSize the client declares, and how it steps down when a host refuses it.
 *
 * The WinRM service refuses, before running the action, a request whose w:MaxEnvelopeSize is over its winrm/config
 * MaxEnvelopeSizekb: a w:EncodingLimit fault with DSP0226's faultDetail/MaxEnvelopeSize and
 * ERROR_WSMAN_MAX_ENVELOPE_SIZE, 0x80338047 ("The maximum envelope size in the request is too large. Change the
 * maximum envelope size and try the request again.", Windows SDK wsmerror.h). The client declares 512000 on WinRM
 * 3.0+ (the default MaxEnvelopeSizekb there is 500), so a host whose administrator lowered the setting answers so.
 * The fault does not carry the limit. The client then reads it from winrm/config with a request declaring 32 KiB,
 * the smallest MaxEnvelopeSizekb Windows allows, so every host accepts that Get; when the account may not read the
 * configuration, it falls back to 153600, the default of WinRM 1.1 and 2.0. It retries the refused request once.
 *
 * Not to be confused with ERROR_WSMAN_HTTP_REQUEST_TOO_LARGE_STATUS, 0x80338111: the code Windows' own WinRM client
 * reports when the service answered HTTP 413 to a request body over the limit. Our requests stay far below 150 KiB
 * (stdin goes in 64 KiB chunks, shell/remoteShell.ts), so a lower declaration would not help there.
 */
import { WSManFaultError } from "./errors.js";
import type { ConfigTree } from "./wsman/config.js";

/** 0x80338047 ERROR_WSMAN_MAX_ENVELOPE_SIZE. */
const WSMAN_MAX_ENVELOPE_SIZE = 2150858823;
const MAX_ENVELOPE_SIZE_DETAIL = "/faultDetail/MaxEnvelopeSize";

/** The smallest MaxEnvelopeSizekb Windows accepts (32): a declaration every host takes. */
export const PROBE_ENVELOPE_SIZE = 32 * 1024;
/** What the client falls back to when it cannot read the host's limit: the WinRM 1.1 / 2.0 default. */
const FALLBACK_ENVELOPE_SIZE = 153_600;

/** The host refused the MaxEnvelopeSize the request declared. */
export function isEnvelopeSizeRefused(err: unknown): boolean {
  if (!(err instanceof WSManFaultError)) return false;
  if (err.wsmanCode === WSMAN_MAX_ENVELOPE_SIZE) return true;
  return err.subcode?.endsWith(":EncodingLimit") === true && err.detail?.endsWith(MAX_ENVELOPE_SIZE_DETAIL) === true;
}

/** MaxEnvelopeSizekb of a winrm/config document, in octets; undefined when absent or not a plausible number. */
export function envelopeLimitFromConfig(tree: ConfigTree): number | undefined {
  const v = tree.MaxEnvelopeSizekb;
  if (typeof v !== "string" || !/^\d{1,7}$/.test(v.trim())) return undefined;
  const kb = Number(v.trim());
  return kb >= 32 ? kb * 1024 : undefined;
}

/**
 * The size to declare after `declared` was refused: the host's limit when known (never above what was refused), else
 * the fallback; undefined when nothing smaller is left to try.
 */
export function steppedDownEnvelopeSize(declared: number, hostLimit: number | undefined): number | undefined {
  const next = hostLimit !== undefined && hostLimit < declared ? hostLimit : FALLBACK_ENVELOPE_SIZE;
  return next < declared ? next : undefined;
}

