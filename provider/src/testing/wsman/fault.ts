/**
 * SOAP faults as the WS-Management service writes them (MS-WSMV 2.2.4.41 WSManFault, 3.1.4.1.31, 4.10), for the
 * emulated host. Shape: HTTP 500, a:Action .../wsman/fault, s:Fault { s:Code { s:Value, s:Subcode/s:Value },
 * s:Reason/s:Text xml:lang, s:Detail { [w:FaultDetail], f:WSManFault Code Machine { f:Message } } }. The client's
 * reader is provider/src/wsman/faults.ts.
 */

import { newMessageId, xmlEscape } from "../../wsman/envelope.js";
import { ACTION, ANONYMOUS, NS } from "../../wsman/namespaces.js";

export interface FaultSpec {
  /** The request's a:MessageID; omitted from the header when undefined (Windows does that when it has none). */
  relatesTo?: string;
  code: "s:Sender" | "s:Receiver";
  /** QName with one of the root's prefixes (a, x, e, n, w, p), e.g. "w:TimedOut", "a:DestinationUnreachable". */
  subcode: string;
  reason: string;
  wsmanCode: number;
  machine: string;
  /** a:Action; default the one real hosts send, http://schemas.dmtf.org/wbem/wsman/1/wsman/fault. */
  action?: string;
  /** f:Message text; default the reason. */
  message?: string;
  /** w:FaultDetail URI, e.g. http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidValue. */
  faultDetail?: string;
  /**
   * The plugin that raised the fault: f:Message then holds only an f:ProviderFault naming it, with the message as
   * its text (as Windows answers the cmd shell plugin's errors, e.g. provider "Shell cmd plugin").
   */
  providerFault?: { provider: string; path: string };
  messageId?: string;
}

/** A whole fault envelope as Windows writes it (send with HTTP 500). */
export function buildFault(spec: FaultSpec): string {
  const ns =
    `xmlns:s="${NS.s}" xmlns:a="${NS.a}" xmlns:x="${NS.x}" ` +
    `xmlns:e="http://schemas.xmlsoap.org/ws/2004/08/eventing" xmlns:n="${NS.n}" xmlns:w="${NS.w}" xmlns:p="${NS.p}"`;
  const header =
    `<a:Action>${xmlEscape(spec.action ?? ACTION.fault)}</a:Action>` +
    `<a:MessageID>${xmlEscape(spec.messageId ?? newMessageId())}</a:MessageID>` +
    `<a:To>${ANONYMOUS}</a:To>` +
    (spec.relatesTo !== undefined ? `<a:RelatesTo>${xmlEscape(spec.relatesTo)}</a:RelatesTo>` : "");
  const detail =
    (spec.faultDetail !== undefined ? `<w:FaultDetail>${xmlEscape(spec.faultDetail)}</w:FaultDetail>` : "") +
    `<f:WSManFault xmlns:f="${NS.f}" Code="${spec.wsmanCode}" Machine="${xmlEscape(spec.machine)}">` +
    `<f:Message>${faultMessage(spec)}</f:Message></f:WSManFault>`;
  return (
    `<s:Envelope xml:lang="en-US" ${ns}><s:Header>${header}</s:Header><s:Body><s:Fault>` +
    `<s:Code><s:Value>${spec.code}</s:Value><s:Subcode><s:Value>${xmlEscape(spec.subcode)}</s:Value></s:Subcode></s:Code>` +
    `<s:Reason><s:Text xml:lang="en-US">${xmlEscape(spec.reason)}</s:Text></s:Reason>` +
    `<s:Detail>${detail}</s:Detail></s:Fault></s:Body></s:Envelope>`
  );
}

function faultMessage(spec: FaultSpec): string {
  const text = xmlEscape(spec.message ?? spec.reason);
  const p = spec.providerFault;
  if (p === undefined) return text;
  return `<f:ProviderFault provider="${xmlEscape(p.provider)}" path="${xmlEscape(p.path)}">${text}</f:ProviderFault>`;
}

/** Reasons Windows gives for the faults the emulator raises (en-US, trailing space as Windows writes them). */
export const FAULT_REASON = {
  timedOut: "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  ",
} as const;
