/**
 * Namespace-aware XML reading for WS-Management envelopes.
 *
 * fast-xml-parser yields elements with their literal `prefix:local` names; this module resolves every prefix against
 * the in-scope xmlns declarations (Namespaces in XML 1.0, section 6), so callers always match on (namespace URI, local
 * name). Servers and clients choose their own prefixes (pywinrm env:/a:/w:, Windows s:/a:/w:, WinRb declares x: on
 * the body element only), so a literal-prefix match would break on real traffic.
 */

import { XMLParser, XMLValidator } from "fast-xml-parser";
import { ProtocolError, XmlLimitError } from "../errors.js";
import { NS } from "./namespaces.js";

export interface XmlElement {
  /** Namespace URI ("" when the element has no namespace). */
  ns: string;
  local: string;
  /** Key "{ns}local" for namespace-qualified attributes, "local" for unqualified ones. xmlns declarations excluded. */
  attrs: Map<string, string>;
  children: XmlElement[];
  /** Concatenated character data directly inside this element (CDATA included), entities decoded, not trimmed. */
  text: string;
}

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
 * Bounds on a document a peer sent, checked before the parser sees it (one linear pre-scan) so a hostile host costs
 * milliseconds, not seconds. A WS-Management message is at most MaxEnvelopeSize (we ask for 153600 bytes; WinRM 3.0
 * hosts allow 500 KB), nests about ten levels deep and holds tens of elements; these limits leave room for many times
 * that and still parse in well under 100 ms.
 */
export interface XmlLimits {
  /** Characters (UTF-16 code units) in the document. */
  readonly maxChars: number;
  /** Element nesting depth. */
  readonly maxDepth: number;
  /** Elements in the document. */
  readonly maxElements: number;
  /** Entity and character references (`&amp;`, `&#65;`) in text and attribute values together. */
  readonly maxReferences: number;
}

export const XML_LIMITS: Readonly<XmlLimits> = Object.freeze({
  maxChars: 4 * 1024 * 1024,
  maxDepth: 64,
  maxElements: 10_000,
  maxReferences: 50_000,
});

const LT = 0x3c;
const GT = 0x3e;
const AMP = 0x26;
const SLASH = 0x2f;
const BANG = 0x21;
const QUESTION = 0x3f;
const QUOT = 0x22;
const APOS = 0x27;

/**
 * One pass over the document: counts elements, nesting and references, and refuses a DOCTYPE (no entity declarations,
 * so no entity expansion). Stops at the first limit passed (XmlLimitError). Malformed input is left to the validator:
 * the scan only has to be exact for well-formed documents and linear for every input.
 */
function prescan(xml: string, limits: XmlLimits): void {
  if (xml.length > limits.maxChars) {
    throw new XmlLimitError("size", limits.maxChars, `the document has ${xml.length} characters`);
  }
  const n = xml.length;
  let depth = 0;
  let elements = 0;
  let references = 0;
  const reference = (): void => {
    if (++references > limits.maxReferences) {
      throw new XmlLimitError("references", limits.maxReferences, "too many entity or character references");
    }
  };
  for (let i = 0; i < n; i++) {
    const c = xml.charCodeAt(i);
    if (c === AMP) {
      reference();
      continue;
    }
    if (c !== LT) continue;
    const next = xml.charCodeAt(i + 1);
    if (next === BANG) {
      let close = -1;
      if (xml.startsWith("<!--", i)) close = xml.indexOf("-->", i + 4) + 2;
      else if (xml.startsWith("<![CDATA[", i)) close = xml.indexOf("]]>", i + 9) + 2;
      else throw new ProtocolError("malformed XML: DOCTYPE and other declarations are not allowed in WS-Management messages");
      if (close < 2) return;
      i = close;
    } else if (next === QUESTION) {
      const close = xml.indexOf("?>", i + 2);
      if (close < 0) return;
      i = close + 1;
    } else if (next === SLASH) {
      depth--;
      const close = xml.indexOf(">", i + 2);
      if (close < 0) return;
      i = close;
    } else {
      if (++elements > limits.maxElements) throw new XmlLimitError("elements", limits.maxElements, "too many elements");
      if (++depth > limits.maxDepth) throw new XmlLimitError("depth", limits.maxDepth, "elements nested too deep");
      // To the tag's closing ">", skipping quoted attribute values (they may hold ">" and "/").
      let quote = 0;
      let j = i + 1;
      for (; j < n; j++) {
        const d = xml.charCodeAt(j);
        if (quote !== 0) {
          if (d === quote) quote = 0;
          else if (d === AMP) reference();
        } else if (d === QUOT || d === APOS) {
          quote = d;
        } else if (d === GT) {
          break;
        }
      }
      if (j >= n) return;
      if (xml.charCodeAt(j - 1) === SLASH) depth--;
      i = j;
    }
  }
}

/** In-scope prefix -> URI map of each parsed element, for QName-valued text such as s:Subcode/s:Value. */
const scopes = new WeakMap<XmlElement, ReadonlyMap<string, string>>();

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  cdataPropName: "#cdata",
  commentPropName: "#comment",
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Entities are decoded here (decodeEntities), per XML 1.0: fast-xml-parser leaves numeric references alone
  // unless htmlEntities is on, and that would also expand HTML-only names like &nbsp;.
  processEntities: false,
  htmlEntities: false,
  // The pre-scan already bounds nesting; this is the parser's own guard, kept in step.
  maxNestedTags: XML_LIMITS.maxDepth,
});

const BASE_SCOPE: ReadonlyMap<string, string> = new Map([
  ["xml", NS.xml],
  ["xmlns", NS.xmlns],
]);

function decodeEntities(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);/g, (_m, ent: string) => {
    switch (ent) {
      case "lt":
        return "<";
      case "gt":
        return ">";
      case "amp":
        return "&";
      case "quot":
        return '"';
      case "apos":
        return "'";
      default: {
        const cp = ent.startsWith("#x") ? parseInt(ent.slice(2), 16) : parseInt(ent.slice(1), 10);
        if (!Number.isFinite(cp) || cp > 0x10ffff) throw new ProtocolError(`invalid character reference &${ent};`);
        return String.fromCodePoint(cp);
      }
    }
  });
}

type RawNode = Record<string, unknown>;

function splitQName(qname: string): [prefix: string, local: string] {
  const i = qname.indexOf(":");
  return i < 0 ? ["", qname] : [qname.slice(0, i), qname.slice(i + 1)];
}

function convert(name: string, node: RawNode, parentScope: ReadonlyMap<string, string>): XmlElement {
  const rawAttrs = (node[":@"] ?? {}) as Record<string, string>;
  let scope = parentScope;
  const plain: [string, string][] = [];
  for (const [k, v] of Object.entries(rawAttrs)) {
    const value = decodeEntities(String(v));
    if (k === "xmlns" || k.startsWith("xmlns:")) {
      if (scope === parentScope) scope = new Map(parentScope);
      (scope as Map<string, string>).set(k === "xmlns" ? "" : k.slice(6), value);
    } else {
      plain.push([k, value]);
    }
  }
  const [prefix, local] = splitQName(name);
  const ns = scope.get(prefix);
  if (ns === undefined) {
    if (prefix !== "") throw new ProtocolError(`malformed XML: undeclared namespace prefix "${prefix}" on <${name}>`);
  }
  const attrs = new Map<string, string>();
  for (const [k, v] of plain) {
    const [ap, al] = splitQName(k);
    if (ap === "") {
      attrs.set(al, v);
    } else {
      const ans = scope.get(ap);
      if (ans === undefined) throw new ProtocolError(`malformed XML: undeclared namespace prefix "${ap}" on attribute ${k}`);
      attrs.set(`{${ans}}${al}`, v);
    }
  }
  const el: XmlElement = { ns: ns ?? "", local, attrs, children: [], text: "" };
  scopes.set(el, scope);
  const kids = (node[name] ?? []) as RawNode[];
  let text = "";
  for (const kid of kids) {
    const key = Object.keys(kid).find((k) => k !== ":@");
    if (key === undefined || key === "#comment") continue;
    if (key === "#text") {
      // parseTagValue is off, so text is always a string.
      const t = kid[key];
      if (typeof t === "string") text += decodeEntities(t);
    } else if (key === "#cdata") {
      // CDATA content is literal: no entity decoding.
      for (const part of (kid[key] ?? []) as RawNode[]) {
        const t = part["#text"];
        if (typeof t === "string") text += t;
      }
    } else if (key.startsWith("?") || key.startsWith("!")) {
      continue;
    } else {
      el.children.push(convert(key, kid, scope));
    }
  }
  el.text = text;
  return el;
}

/**
 * Parse a document and return its root element. Throws ProtocolError on malformed XML or undeclared prefixes, and
 * XmlLimitError (a ProtocolError) when the document passes one of `limits` (XML_LIMITS by default), before parsing.
 */
export function parseXml(xml: string, limits: XmlLimits = XML_LIMITS): XmlElement {
  // A decoded UTF-8/UTF-16 byte order mark is not part of the document.
  if (xml.charCodeAt(0) === 0xfeff) xml = xml.slice(1);
  prescan(xml, limits);
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new ProtocolError(`malformed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
  }
  let raw: RawNode[];
  try {
    raw = parser.parse(xml) as RawNode[];
  } catch (e) {
    throw new ProtocolError(`malformed XML: ${(e as Error).message}`, { cause: e });
  }
  const roots: XmlElement[] = [];
  for (const node of raw) {
    const key = Object.keys(node).find((k) => k !== ":@");
    if (key === undefined || key.startsWith("#") || key.startsWith("?") || key.startsWith("!")) continue;
    roots.push(convert(key, node, BASE_SCOPE));
  }
  if (roots.length !== 1) throw new ProtocolError(`malformed XML: expected one root element, found ${roots.length}`);
  return roots[0] as XmlElement;
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
  const [prefix, local] = splitQName(qname.trim());
  return { ns: scopes.get(el)?.get(prefix), local };
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

/**
 * xs:duration to milliseconds, for the forms WS-Management uses (PT20S, PT60.000S, PT1M30S, P1DT2H).
 * Returns undefined when it cannot be read. Years and months are refused (no fixed length).
 */
export function parseDurationMs(s: string): number | undefined {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(s.trim());
  if (!m || s.trim() === "P" || s.trim().endsWith("T")) return undefined;
  const [, d, h, mi, sec] = m;
  return Math.round(
    ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(mi ?? 0)) * 60_000 + Number(sec ?? 0) * 1000,
  );
}
