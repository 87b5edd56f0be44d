/**
 * SOAP faults of the WS-Management service (MS-WSMV 2.2.4.41 WSManFault, 2.2.4.43, 3.1.4.1.31, 4.10).
 *
 * Shape as real hosts send it (pypsrp test fixtures captured from Server 2016/2022, WinRb soap_fault_v1.xml):
 * HTTP 500, a:Action http://schemas.dmtf.org/wbem/wsman/1/wsman/fault, s:Fault { s:Code { s:Value, s:Subcode/s:Value },
 * s:Reason/s:Text xml:lang, s:Detail { [w:FaultDetail], f:WSManFault Code Machine { f:Message (text, or
 * f:ProviderFault wrapping a nested f:WSManFault) } } }. WMI errors carry p:MSFT_WmiError/p:error_Code instead.
 * This module reads them; the emulated host writes them with provider/src/testing/wsman/fault.ts.
 */

import {
  OperationTimeoutFault,
  WSManFaultError,
  type ProviderFaultInfo,
  type WmiErrorInfo,
  type WSManFaultDetails,
  type WSManFaultInfo,
} from "../errors.js";
import { NS } from "./namespaces.js";
import { attr, child, childrenOf, descendant, resolveQName, textOf, type Envelope, type XmlElement } from "./parse.js";

/** The conventional prefix of each namespace we know, to report QNames the same way whatever the sender wrote. */
const PREFIX_OF = new Map<string, string>(
  (Object.entries(NS) as [string, string][])
    .filter(([prefix]) => prefix !== "xml" && prefix !== "xmlns")
    .map(([prefix, uri]) => [uri, prefix]),
);

/** XML white space runs to one space, trimmed; a linear scan. */
function collapse(s: string): string {
  let out = "";
  let pendingSpace = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) {
      pendingSpace = out !== "";
      continue;
    }
    if (pendingSpace) out += " ";
    pendingSpace = false;
    out += s[i];
  }
  return out;
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

const XSI = "http://www.w3.org/2001/XMLSchema-instance";

function isNil(el: XmlElement): boolean {
  const v = attr(el, "nil", XSI);
  return v !== undefined && (v.trim() === "true" || v.trim() === "1");
}

/** Children of `el` that carry a value, by local name (first one wins), in a map without a prototype. */
function fieldsOf(el: XmlElement): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const c of el.children) {
    if (isNil(c) || c.local in out) continue;
    out[c.local] = collapse(c.text);
  }
  return out;
}

/**
 * One level of f:WSManFault (MS-WSMV 2.2.4.41): Code, Machine, and f:Message, which holds either text or an
 * f:ProviderFault (provider, path) whose content is text or a nested f:WSManFault with its own Machine.
 */
function readWSManFault(fault: XmlElement): WSManFaultInfo {
  const info: WSManFaultInfo = {};
  const code = parseCode(attr(fault, "Code"));
  if (code !== undefined) info.code = code;
  const machine = attr(fault, "Machine");
  if (machine !== undefined) info.machine = machine;
  const msg = child(fault, NS.f, "Message");
  if (!msg) return info;
  const text = collapse(msg.text);
  if (text !== "") info.message = text;
  const provider = child(msg, NS.f, "ProviderFault");
  if (provider) {
    const pf: ProviderFaultInfo = {};
    const name = attr(provider, "provider");
    if (name !== undefined) pf.provider = name;
    const path = attr(provider, "path");
    if (path !== undefined) pf.path = path;
    const ptext = collapse(provider.text);
    if (ptext !== "") pf.text = ptext;
    const ext = child(provider, NS.f, "ExtendedError")?.children[0];
    if (ext) pf.extendedError = fieldsOf(ext);
    info.providerFault = pf;
    const nested = child(provider, NS.f, "WSManFault");
    if (nested) info.inner = readWSManFault(nested);
  }
  return info;
}

/** The most specific text of a WSManFault chain: the innermost level's message or provider text. */
function mostSpecific(info: WSManFaultInfo | undefined): string | undefined {
  if (!info) return undefined;
  return mostSpecific(info.inner) ?? info.providerFault?.text ?? info.message;
}

/** p:MSFT_WmiError (its p: is the class's own URI, so matched by local name). */
function readWmiError(detail: XmlElement | undefined): WmiErrorInfo | undefined {
  const wmi = detail?.children.find((c) => c.local === "MSFT_WmiError");
  if (!wmi) return undefined;
  const fields = fieldsOf(wmi);
  const info: WmiErrorInfo = { fields };
  if (fields.Message) info.message = fields.Message;
  if (fields.MessageID) info.messageId = fields.MessageID;
  const errorCode = parseCode(fields.error_Code);
  if (errorCode !== undefined) info.errorCode = errorCode;
  const cim = parseCode(fields.CIMStatusCode);
  if (cim !== undefined) info.cimStatusCode = cim;
  return info;
}

function parseCode(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = s.trim();
  if (t === "" || t.length > 20) return undefined;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  return Number(t);
}

/**
 * The WSManFaultError a fault envelope describes, or undefined when the body holds no s:Fault. Keeps every level:
 * s:Code/s:Subcode, s:Reason, w:FaultDetail, the f:WSManFault chain (each level's Code and Machine, provider name and
 * path), a WMI error's fields, and the header's a:Action and p:ActivityId.
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
  const wsmanFault = wsf ? readWSManFault(wsf) : undefined;
  const wmiError = readWmiError(detail);
  const wsmanCode = wsmanFault?.code ?? wmiError?.errorCode;
  const soapReason = childrenOf(child(fault, NS.s, "Reason"), NS.s, "Text")
    .map((t) => collapse(t.text))
    .find((t) => t !== "");
  const reason = mostSpecific(wsmanFault) ?? wmiError?.message ?? soapReason ?? "no reason given";
  const details: WSManFaultDetails = { httpStatus, reason };
  if (faultCode !== undefined) details.faultCode = faultCode;
  if (subcode !== undefined) details.subcode = subcode;
  if (wsmanCode !== undefined) details.wsmanCode = wsmanCode;
  if (wsmanFault?.machine !== undefined) details.machine = wsmanFault.machine;
  if (soapReason !== undefined) details.soapReason = soapReason;
  const faultDetail = textOf(child(detail, NS.w, "FaultDetail"));
  if (faultDetail !== "") details.detail = faultDetail;
  if (env.action !== undefined) details.action = env.action;
  const activityId = textOf(child(env.header, NS.p, "ActivityId"));
  if (activityId !== "") details.activityId = activityId;
  if (wsmanFault) details.wsmanFault = wsmanFault;
  if (wmiError) details.wmiError = wmiError;
  if (wsmanCode === OperationTimeoutFault.WSMAN_CODE || (wsmanCode === undefined && subcode === "w:TimedOut")) {
    return new OperationTimeoutFault(details);
  }
  return new WSManFaultError(details);
}
