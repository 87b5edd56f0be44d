/**
 * SOAP faults of the WS-Management service (MS-WSMV 2.2.4.43, 3.1.4.1.31, 4.10; MS-WSMV 2.2.4.43).
 *
 * Shape as real hosts send it (pypsrp test fixtures captured from Server 2016/2022, WinRb soap_fault_v1.xml):
 * HTTP 500, a:Action http://schemas.dmtf.org/wbem/wsman/1/wsman/fault, s:Fault { s:Code { s:Value, s:Subcode/s:Value },
 * s:Reason/s:Text xml:lang, s:Detail { [w:FaultDetail], f:WSManFault Code Machine { f:Message (text, or
 * f:ProviderFault wrapping a nested f:WSManFault) } } }. WMI errors carry p:MSFT_WmiError/p:error_Code instead.
 */

import { OperationTimeoutFault, WSManFaultError, type WSManFaultDetails } from "../errors.js";
import { newMessageId, xmlEscape } from "./envelope.js";
import { ACTION, ANONYMOUS, NS } from "./namespaces.js";
import { attr, child, childrenOf, descendant, resolveQName, type Envelope, type XmlElement } from "./parse.js";

/** The conventional prefix of each namespace we know, to report QNames the same way whatever the sender wrote. */
const PREFIX_OF = new Map<string, string>(
  (Object.entries(NS) as [string, string][])
    .filter(([prefix]) => prefix !== "xml" && prefix !== "xmlns")
    .map(([prefix, uri]) => [uri, prefix]),
);

function collapse(s: string): string {
  return s.replace(/[ \t\r\n]+/g, " ").trim();
}

/** "w:TimedOut" written with any prefix -> the conventional "w:TimedOut"; unknown namespaces keep their text. */
function normaliseQName(el: XmlElement | undefined): string | undefined {
  if (!el) return undefined;
  const raw = el.text.trim();
  if (raw === "") return undefined;
  const { ns, local } = resolveQName(el, raw);
  if (ns === undefined || !raw.includes(":")) return raw;
  const prefix = PREFIX_OF.get(ns);
  return prefix ? `${prefix}:${local}` : raw;
}

/** Most specific message in an f:WSManFault: the innermost nested fault's f:Message text, or ProviderFault text. */
function innermostMessage(fault: XmlElement): string | undefined {
  const msg = child(fault, NS.f, "Message");
  if (!msg) return undefined;
  const provider = child(msg, NS.f, "ProviderFault");
  if (provider) {
    const nested = child(provider, NS.f, "WSManFault");
    const inner = nested ? innermostMessage(nested) : undefined;
    if (inner) return inner;
    const t = collapse(provider.text);
    if (t) return t;
  }
  const t = collapse(msg.text);
  return t || undefined;
}

function parseCode(s: string | undefined): number | undefined {
  if (s === undefined || !/^\s*\d+\s*$/.test(s)) return undefined;
  return Number(s.trim());
}

/**
 * The WSManFaultError a fault envelope describes, or undefined when the body holds no s:Fault.
 * OperationTimeoutFault for WSManFault Code 2150858793 (0x80338029) or subcode w:TimedOut (MS-WSMV 3.1.4.14: the
 * client reissues Receive).
 */
export function faultFromEnvelope(env: Envelope, httpStatus: number): WSManFaultError | undefined {
  const fault = child(env.body, NS.s, "Fault");
  if (!fault) return undefined;
  const code = child(fault, NS.s, "Code");
  const faultCode = normaliseQName(child(code, NS.s, "Value"));
  const subcode = normaliseQName(child(child(code, NS.s, "Subcode"), NS.s, "Value"));
  const detail = child(fault, NS.s, "Detail");
  const wsf = child(detail, NS.f, "WSManFault") ?? descendant(detail, NS.f, "WSManFault");
  let wsmanCode = parseCode(attr(wsf, "Code"));
  if (wsmanCode === undefined && detail) {
    // WMI provider errors: p:MSFT_WmiError/p:error_Code (its p: is the MSFT_WmiError class URI).
    const wmi = detail.children.find((c) => c.local === "MSFT_WmiError");
    const ec = wmi?.children.find((c) => c.local === "error_Code");
    wsmanCode = parseCode(ec?.text);
  }
  const reasonText = childrenOf(child(fault, NS.s, "Reason"), NS.s, "Text")
    .map((t) => collapse(t.text))
    .find((t) => t !== "");
  const reason = (wsf ? innermostMessage(wsf) : undefined) ?? reasonText ?? "no reason given";
  const details: WSManFaultDetails = { httpStatus, reason };
  if (faultCode !== undefined) details.faultCode = faultCode;
  if (subcode !== undefined) details.subcode = subcode;
  if (wsmanCode !== undefined) details.wsmanCode = wsmanCode;
  const machine = attr(wsf, "Machine");
  if (machine !== undefined) details.machine = machine;
  if (wsmanCode === OperationTimeoutFault.WSMAN_CODE || (wsmanCode === undefined && subcode === "w:TimedOut")) {
    return new OperationTimeoutFault(details);
  }
  return new WSManFaultError(details);
}

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
    `<f:Message>${xmlEscape(spec.message ?? spec.reason)}</f:Message></f:WSManFault>`;
  return (
    `<s:Envelope xml:lang="en-US" ${ns}><s:Header>${header}</s:Header><s:Body><s:Fault>` +
    `<s:Code><s:Value>${spec.code}</s:Value><s:Subcode><s:Value>${xmlEscape(spec.subcode)}</s:Value></s:Subcode></s:Code>` +
    `<s:Reason><s:Text xml:lang="en-US">${xmlEscape(spec.reason)}</s:Text></s:Reason>` +
    `<s:Detail>${detail}</s:Detail></s:Fault></s:Body></s:Envelope>`
  );
}

/** Reasons Windows gives for the faults the emulator raises (en-US, trailing space as Windows writes them). */
export const FAULT_REASON = {
  timedOut: "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  ",
} as const;
