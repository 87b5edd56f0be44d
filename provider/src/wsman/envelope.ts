/**
 * Building SOAP 1.2 envelopes for WS-Management client requests (server responses, for the emulated host:
 * provider/src/testing/wsman/response.ts).
 *
 * Requests follow what pywinrm and the Windows client send (MS-WSMV 2.2.4, MS-WSMV 3.1.4.1.5-3.1.4.1.9, 4.7):
 * a:To, a:ReplyTo/a:Address, w:MaxEnvelopeSize, a:MessageID, w:Locale, p:DataLocale, w:OperationTimeout,
 * w:ResourceURI, a:Action, then w:SelectorSet / w:OptionSet.
 */

import { randomUUID } from "node:crypto";
import { ANONYMOUS, NS } from "./namespaces.js";

/** Escape text or attribute content (both quote kinds, so the result is safe in either). */
export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => {
    switch (c) {
      case "&":
        return "&amp;";
      case "<":
        return "&lt;";
      case ">":
        return "&gt;";
      case '"':
        return "&quot;";
      default:
        return "&apos;";
    }
  });
}

/** A fresh WS-Addressing message id, `uuid:` + upper-case GUID (as WinRb and the Windows client write it). */
export function newMessageId(): string {
  return `uuid:${randomUUID().toUpperCase()}`;
}

/** Seconds to xs:duration as WS-Management writes it: PT20S, or PT0.500S for fractions. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError(`invalid duration ${seconds}`);
  return Number.isInteger(seconds) ? `PT${seconds}S` : `PT${seconds.toFixed(3)}S`;
}

/** Namespace declarations on the root of the envelopes we write; body fragments may use these prefixes. */
const REQUEST_NS =
  `xmlns:s="${NS.s}" xmlns:a="${NS.a}" xmlns:w="${NS.w}" xmlns:p="${NS.p}" ` +
  `xmlns:rsp="${NS.rsp}" xmlns:x="${NS.x}" xmlns:n="${NS.n}"`;

/**
 * The w:MaxEnvelopeSize header our requests carry (MS-WSMV): the largest response envelope, in octets, the service may
 * send back (it clamps the value to its own MaxEnvelopeSizekb and never answers with more). 153600 = 150 KiB, what
 * pywinrm and WinRb send. The transport caps every response body from it (transport/session.ts responseBodyLimit).
 */
export const DEFAULT_MAX_ENVELOPE_SIZE = 153600;

export interface RequestSpec {
  /** Endpoint URL for a:To (not validated by Windows). */
  to: string;
  action: string;
  resourceUri: string;
  selectors?: Record<string, string>;
  options?: Record<string, string>;
  /** w:OperationTimeout in seconds; omitted when undefined (the server then uses MaxTimeoutms). */
  operationTimeoutSec?: number;
  /** w:MaxEnvelopeSize in bytes, default 153600 (pywinrm, WinRb). */
  maxEnvelopeSize?: number;
  /** w:Locale and p:DataLocale xml:lang, default en-US. */
  locale?: string;
  /** Inner XML of s:Body; empty body when undefined. */
  body?: string;
  /** a:MessageID; a fresh uuid: GUID when undefined. */
  messageId?: string;
}

export function buildRequest(spec: RequestSpec): { xml: string; messageId: string } {
  const messageId = spec.messageId ?? newMessageId();
  const locale = xmlEscape(spec.locale ?? "en-US");
  const h: string[] = [
    `<a:To>${xmlEscape(spec.to)}</a:To>`,
    `<a:ReplyTo><a:Address s:mustUnderstand="true">${ANONYMOUS}</a:Address></a:ReplyTo>`,
    `<w:MaxEnvelopeSize s:mustUnderstand="true">${spec.maxEnvelopeSize ?? DEFAULT_MAX_ENVELOPE_SIZE}</w:MaxEnvelopeSize>`,
    `<a:MessageID>${xmlEscape(messageId)}</a:MessageID>`,
    // mustUnderstand="true" on Locale makes Windows fault wsman:UnsupportedFeature (MS-WSMV 2.2.4).
    `<w:Locale xml:lang="${locale}" s:mustUnderstand="false"/>`,
    `<p:DataLocale xml:lang="${locale}" s:mustUnderstand="false"/>`,
  ];
  if (spec.operationTimeoutSec !== undefined) {
    h.push(`<w:OperationTimeout>${formatDuration(spec.operationTimeoutSec)}</w:OperationTimeout>`);
  }
  h.push(`<w:ResourceURI s:mustUnderstand="true">${xmlEscape(spec.resourceUri)}</w:ResourceURI>`);
  h.push(`<a:Action s:mustUnderstand="true">${xmlEscape(spec.action)}</a:Action>`);
  const selectors = Object.entries(spec.selectors ?? {});
  if (selectors.length > 0) {
    h.push(
      `<w:SelectorSet>${selectors
        .map(([k, v]) => `<w:Selector Name="${xmlEscape(k)}">${xmlEscape(v)}</w:Selector>`)
        .join("")}</w:SelectorSet>`,
    );
  }
  const options = Object.entries(spec.options ?? {});
  if (options.length > 0) {
    h.push(
      `<w:OptionSet>${options
        .map(([k, v]) => `<w:Option Name="${xmlEscape(k)}">${xmlEscape(v)}</w:Option>`)
        .join("")}</w:OptionSet>`,
    );
  }
  const xml =
    `<s:Envelope ${REQUEST_NS}><s:Header>${h.join("")}</s:Header>` +
    `<s:Body>${spec.body ?? ""}</s:Body></s:Envelope>`;
  return { xml, messageId };
}
