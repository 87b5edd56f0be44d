/**
 * Namespace-aware XML reading for WS-Management envelopes.
 *
 * xmlReader.ts resolves every element's and attribute's prefix against the in-scope xmlns declarations (Namespaces
 * in XML 1.0, section 6), so callers always match on (namespace URI, local name). Servers and clients choose their own prefixes (pywinrm env:/a:/w:, Windows s:/a:/w:, WinRb declares x: on
 * the body element only), so a literal-prefix match would break on real traffic.
 */

import { ProtocolError } from "../errors.js";
import { NS } from "./namespaces.js";
import { readXml, scopeOf, XML_LIMITS, type XmlElement, type XmlLimits } from "./xmlReader.js";

export { XML_LIMITS, type XmlElement, type XmlLimits };

export interface Envelope {
  action?: string;
  messageId?: string;
  relatesTo?: string;
  to?: string;
  resourceUri?: string;
  /** w:SelectorSet/w:Selector by @Name. */
  selectors: Record<string, string>;
  /** w:OptionSet/w:Option by @Name. */
  options: Record<string, string>;
  /** w:OperationTimeout as sent (xs:duration, e.g. "PT20S"). */
  operationTimeout?: string;
  header: XmlElement;
  body: XmlElement;
}

/**
 * Parse a document and return its root element (wsman/xmlReader.ts: one linear pass). Throws ProtocolError on
 * malformed XML or undeclared prefixes, and XmlLimitError (a LimitExceededError) when the document passes one of `limits`.
 */
export function parseXml(xml: string, limits: XmlLimits = XML_LIMITS): XmlElement {
  return readXml(xml, limits);
}

/** First child element with this namespace URI and local name. */
export function child(el: XmlElement | undefined, ns: string, local: string): XmlElement | undefined {
  return el?.children.find((c) => c.ns === ns && c.local === local);
}

/** All child elements with this namespace URI and local name, in document order. */
export function childrenOf(el: XmlElement | undefined, ns: string, local: string): XmlElement[] {
  return el ? el.children.filter((c) => c.ns === ns && c.local === local) : [];
}

/** First descendant (depth first, document order) with this namespace URI and local name. */
export function descendant(el: XmlElement | undefined, ns: string, local: string): XmlElement | undefined {
  if (!el) return undefined;
  for (const c of el.children) {
    if (c.ns === ns && c.local === local) return c;
    const d = descendant(c, ns, local);
    if (d) return d;
  }
  return undefined;
}

function isXmlSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/** Remove leading and trailing XML white space (XML 1.0 production S), in linear time. */
export function trimXmlSpace(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isXmlSpace(s.charCodeAt(start))) start++;
  while (end > start && isXmlSpace(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/** The element's text with XML whitespace trimmed; "" for a missing element. */
export function textOf(el: XmlElement | undefined): string {
  return el ? trimXmlSpace(el.text) : "";
}

/**
 * An attribute value. With `ns`, the attribute qualified with that URI; without, the unqualified attribute, falling
 * back to a qualified one with that local name (senders differ: pywinrm writes `mustUnderstand`, Windows
 * `s:mustUnderstand`).
 */
export function attr(el: XmlElement | undefined, local: string, ns?: string): string | undefined {
  if (!el) return undefined;
  if (ns !== undefined) return el.attrs.get(`{${ns}}${local}`);
  const plain = el.attrs.get(local);
  if (plain !== undefined) return plain;
  const suffix = `}${local}`;
  for (const [k, v] of el.attrs) if (k.startsWith("{") && k.endsWith(suffix)) return v;
  return undefined;
}

/** The element's mustUnderstand flag, prefixed (s:) or not; undefined when absent. */
export function mustUnderstand(el: XmlElement | undefined): boolean | undefined {
  const v = attr(el, "mustUnderstand", NS.s) ?? el?.attrs.get("mustUnderstand");
  if (v === undefined) return undefined;
  return v.trim() === "true" || v.trim() === "1";
}

/**
 * Resolve a QName written in text content (s:Subcode/s:Value "w:TimedOut") against the element's in-scope
 * namespaces. Returns undefined for the namespace when the prefix is not declared.
 */
export function resolveQName(el: XmlElement, qname: string): { ns: string | undefined; local: string } {
  const q = qname.trim();
  const colon = q.indexOf(":");
  const [prefix, local] = colon < 0 ? ["", q] : [q.slice(0, colon), q.slice(colon + 1)];
  return { ns: scopeOf(el)?.get(prefix), local };
}

/** Parse a SOAP 1.2 envelope and lift the WS-Addressing / WS-Management headers. Throws ProtocolError. */
export function parseEnvelope(xml: string): Envelope {
  const root = parseXml(xml);
  if (root.ns !== NS.s || root.local !== "Envelope") {
    throw new ProtocolError(`not a SOAP 1.2 envelope: root element is {${root.ns}}${root.local}`);
  }
  const body = child(root, NS.s, "Body");
  if (!body) throw new ProtocolError("SOAP envelope without s:Body");
  const header = child(root, NS.s, "Header") ?? { ns: NS.s, local: "Header", attrs: new Map(), children: [], text: "" };
  // Null-prototype maps: a selector named "__proto__" or "constructor" is data like any other.
  const selectors: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const sel of childrenOf(child(header, NS.w, "SelectorSet"), NS.w, "Selector")) {
    const name = attr(sel, "Name");
    if (name !== undefined) selectors[name] = textOf(sel);
  }
  const options: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const opt of childrenOf(child(header, NS.w, "OptionSet"), NS.w, "Option")) {
    const name = attr(opt, "Name");
    if (name !== undefined) options[name] = textOf(opt);
  }
  const opt = (el: XmlElement | undefined): string | undefined => (el ? textOf(el) : undefined);
  const env: Envelope = { selectors, options, header, body };
  const action = opt(child(header, NS.a, "Action"));
  if (action !== undefined) env.action = action;
  const messageId = opt(child(header, NS.a, "MessageID"));
  if (messageId !== undefined) env.messageId = messageId;
  const relatesTo = opt(child(header, NS.a, "RelatesTo"));
  if (relatesTo !== undefined) env.relatesTo = relatesTo;
  const to = opt(child(header, NS.a, "To"));
  if (to !== undefined) env.to = to;
  const resourceUri = opt(child(header, NS.w, "ResourceURI"));
  if (resourceUri !== undefined) env.resourceUri = resourceUri;
  const operationTimeout = opt(child(header, NS.w, "OperationTimeout"));
  if (operationTimeout !== undefined) env.operationTimeout = operationTimeout;
  return env;
}
