/**
 * What the emulated host's router and handlers hand back to the listener (server.ts), and the SOAP faults they build:
 * the listener seals the SOAP text when the request was sealed, adds http.sys' headers, and logs the note.
 */
import { buildFault } from "../wsman/faults.js";
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
} as const;

export interface FaultSpec {
  code: "s:Sender" | "s:Receiver";
  subcode: string;
  reason: string;
  wsmanCode: number;
}

/** A 500 with a SOAP fault answering `env` (undefined when the request did not parse). */
export function faultReply(machine: string, env: Envelope | undefined, spec: FaultSpec, note?: string): Reply {
  return {
    status: 500,
    action: env?.action,
    note: note ?? spec.subcode,
    soap: buildFault({ ...spec, relatesTo: env?.messageId, machine }),
  };
}
