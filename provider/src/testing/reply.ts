/**
 * What the emulated host's router and handlers hand back to the listener (server.ts), and the SOAP faults they build:
 * the listener seals the SOAP text when the request was sealed, adds http.sys' headers, and logs the note.
 */
import { buildFault } from "./wsman/fault.js";
import { ACTION } from "../wsman/namespaces.js";
import type { Envelope } from "../wsman/parse.js";

/** What one request resolved to, before it is written out. */
export interface Reply {
  status: number;
  headers?: Record<string, string | string[]>;
  /** Plain SOAP text; sealed on the way out when the request was sealed. */
  soap?: string;
  note?: string;
  action?: string;
  /** GSS_FLAGS of the Kerberos context completed by this request (for the request log). */
  gssFlags?: number;
}

/** Windows' WSManFault codes the emulator sends (MS-WSMV 2.2.4.43). */
export const WSMAN = {
  timedOut: 2150858793, // 0x80338029 w:TimedOut
  shellNotFound: 2150858843, // 0x8033805B, seen with FailureCategory=WSMan-InvalidShellID
  schemaValidation: 2150858817, // 0x80338041 w:SchemaValidationError
  resourceNotFound: 2150858752, // 0x80338000
  actionNotSupported: 2150858754, // 0x80338002 [unconfirmed pairing with a:ActionNotSupported]
  invalidHeader: 2150858767, // 0x8033800F a:InvalidMessageInformationHeader (e.g. an OperationTimeout of PT-1S)
  fileNotFound: 2147942402, // 0x80070002 HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND), the cmd plugin's CreateProcess failed
  maxEnvelopeSize: 2150858823, // 0x80338047 w:EncodingLimit: the request's MaxEnvelopeSize is over MaxEnvelopeSizekb
  invalidParameter: 87, // ERROR_INVALID_PARAMETER as the cmd plugin reports it (a Win32 code, not an HRESULT)
} as const;

export interface FaultSpec {
  code: "s:Sender" | "s:Receiver";
  subcode: string;
  /** Generic s:Reason text; Windows puts the specific one in f:Message. */
  reason: string;
  /** f:Message, when it differs from the reason. */
  message?: string;
  /** w:FaultDetail URI (DSP0226 faultDetail/...), written first in s:Detail. */
  faultDetail?: string;
  /** The plugin that raised it (f:ProviderFault inside f:Message). */
  providerFault?: { provider: string; path: string };
  wsmanCode: number;
}

/** The WinRS cmd shell plugin as Windows names it in f:ProviderFault. */
export const CMD_PLUGIN = { provider: "Shell cmd plugin", path: "%systemroot%\\system32\\winrscmd.dll" } as const;

/**
 * A 500 with a SOAP fault answering `env` (undefined when the request did not parse). The WSManFault's Machine is
 * the host part of the request's wsa:To, as Windows writes it (e.g. Machine="127.0.0.1" for To
 * https://127.0.0.1:5986/wsman); `computerName` only when the request had no usable To.
 */
export function faultReply(computerName: string, env: Envelope | undefined, spec: FaultSpec, note?: string): Reply {
  return {
    status: 500,
    action: env?.action,
    note: note ?? spec.subcode,
    soap: buildFault({
      ...spec,
      action: faultAction(spec.subcode),
      relatesTo: env?.messageId,
      machine: machineOf(env?.to) ?? computerName,
    }),
  };
}

/**
 * a:Action of a fault. A WS-Addressing fault (an a: subcode such as a:InvalidMessageInformationHeader, defined by
 * WS-Addressing 2004/08 section 4) goes out with the WS-Addressing fault action, as Windows answers an invalid
 * OperationTimeout; WS-Management's own faults (w: subcodes) with the WS-Management one (MS-WSMV 2.2.4.43).
 */
export function faultAction(subcode: string): string {
  return subcode.startsWith("a:") ? ACTION.addressingFault : ACTION.fault;
}

/** Host part of a wsa:To URL, without brackets for IPv6; undefined when it is not a URL. */
export function machineOf(to: string | undefined): string | undefined {
  if (to === undefined) return undefined;
  try {
    const host = new URL(to.trim()).hostname;
    return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host === "" ? undefined : host;
  } catch {
    return undefined;
  }
}
