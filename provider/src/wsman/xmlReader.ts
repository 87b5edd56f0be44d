/**
 * A namespace-aware reader for the XML of WS-Management messages, bounded and linear in the input.
 *
 * Every document it reads comes from a peer, so it is one left-to-right pass with no backtracking: text runs are
 * found with indexOf, each character is looked at a bounded number of times, nesting is an explicit stack (no
 * recursion to overflow), and the limits below are checked while reading, so a hostile document is refused after the
 * first element, reference or character past a limit. It reads the XML 1.0 that WS-Management uses (Namespaces in XML
 * 1.0): elements, attributes, character data, CDATA sections, comments and processing instructions (both skipped),
 * the five predefined entities and character references. A DOCTYPE is refused (MS-WSMV messages have none), so there
 * are no entity declarations and nothing to expand.
 *
 * Names are data: an element or attribute called `__proto__` or `constructor` is stored in Maps and arrays, never
 * as an object key.
 */

import { ProtocolError, XmlLimitError } from "../errors.js";
import { AMP, APOS, BASE_SCOPE, EQ, GT, isNameChar, isNameStart, isSpace, LT, QUOT, SEMI, SLASH } from "./xmlChars.js";

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

/**
 * Bounds on a document a peer sent. A WS-Management message is at most MaxEnvelopeSize (we ask for 153600 bytes;
 * WinRM 3.0 hosts allow 500 KB); recorded Windows responses hold tens of elements, a handful of references and under
 * 200 KB. These limits leave many times that and still read in milliseconds.
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

/** In-scope prefix -> URI map of each parsed element, for QName-valued text such as s:Subcode/s:Value. */
const scopes = new WeakMap<XmlElement, ReadonlyMap<string, string>>();

/** The namespace declarations in scope at `el` (prefix "" is the default namespace). */
export function scopeOf(el: XmlElement): ReadonlyMap<string, string> | undefined {
  return scopes.get(el);
}

function splitQName(qname: string): [prefix: string, local: string] {
  const i = qname.indexOf(":");
  return i < 0 ? ["", qname] : [qname.slice(0, i), qname.slice(i + 1)];
}

interface Open {
  el: XmlElement;
  qname: string;
  scope: ReadonlyMap<string, string>;
  /** Pieces of character data, joined once when the element closes. */
  text: string[];
}

class Reader {
  private pos = 0;
  private elements = 0;
  private references = 0;
  private ampAt: number;

  constructor(
    private readonly s: string,
    private readonly limits: XmlLimits,
  ) {
    this.ampAt = s.indexOf("&");
  }

  /** Where the next "&" at or after pos is (-1: none). Cached, so looking for it costs one pass over the document. */
  private nextAmp(): number {
    if (this.ampAt !== -1 && this.ampAt < this.pos) this.ampAt = this.s.indexOf("&", this.pos);
    return this.ampAt;
  }

  private fail(what: string): never {
    let line = 1;
    let col = 1;
    const end = Math.min(this.pos, this.s.length);
    for (let i = 0; i < end; i++) {
      if (this.s.charCodeAt(i) === 0x0a) {
        line++;
        col = 1;
      } else {
        col++;
      }
    }
    throw new ProtocolError(`malformed XML: ${what} (line ${line}, column ${col})`);
  }

  private skipSpace(): void {
    while (this.pos < this.s.length && isSpace(this.s.charCodeAt(this.pos))) this.pos++;
  }

  private name(what: string): string {
    const start = this.pos;
    if (start >= this.s.length || !isNameStart(this.s.charCodeAt(start))) this.fail(`${what} expected`);
    this.pos++;
    while (this.pos < this.s.length && isNameChar(this.s.charCodeAt(this.pos))) this.pos++;
    return this.s.slice(start, this.pos);
  }

  /** Past the next `terminator` (comments, CDATA, PIs); returns where the terminator started. */
  private through(terminator: string, what: string): number {
    const at = this.s.indexOf(terminator, this.pos);
    if (at < 0) this.fail(`unterminated ${what}`);
    this.pos = at + terminator.length;
    return at;
  }

  /** A reference at pos (on the "&"), decoded; pos moves past its ";". */
  private reference(): string {
    if (++this.references > this.limits.maxReferences) {
      throw new XmlLimitError("references", this.limits.maxReferences, "too many entity or character references");
    }
    const start = this.pos + 1;
    // The longest reference we decode is "&#x10FFFF;" (or leading zeros, bounded here): look at most 32 characters on.
    let end = start;
    const stop = Math.min(this.s.length, start + 32);
    while (end < stop && this.s.charCodeAt(end) !== SEMI) end++;
    if (end >= stop) this.fail("a reference without its closing \";\"");
    const ent = this.s.slice(start, end);
    this.pos = end + 1;
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
    }
    let cp = Number.NaN;
    if (/^#x[0-9a-fA-F]+$/.test(ent)) cp = parseInt(ent.slice(2), 16);
    else if (/^#[0-9]+$/.test(ent)) cp = parseInt(ent.slice(1), 10);
    else this.fail(`unknown entity &${ent}; (only the five XML entities and character references are allowed)`);
    if (!Number.isFinite(cp) || cp > 0x10ffff) throw new ProtocolError(`invalid character reference &${ent};`);
    return String.fromCodePoint(cp);
  }

  /** Character data from pos up to the next "<" (or the end), references decoded. */
  private charData(): string {
    const s = this.s;
    const lt = s.indexOf("<", this.pos);
    const end = lt < 0 ? s.length : lt;
    let out = "";
    while (this.pos < end) {
      const amp = this.nextAmp();
      if (amp < 0 || amp >= end) {
        out += s.slice(this.pos, end);
        this.pos = end;
        break;
      }
      out += s.slice(this.pos, amp);
      this.pos = amp;
      out += this.reference();
      if (this.pos > end) this.fail("a reference runs into markup");
    }
    return out;
  }

  /** A quoted attribute value at pos, references decoded; "<" is not allowed in it (XML 1.0 AttValue). */
  private attValue(): string {
    const s = this.s;
    const q = s.charCodeAt(this.pos);
    if (q !== QUOT && q !== APOS) this.fail("a quoted attribute value expected");
    const close = s.indexOf(q === QUOT ? '"' : "'", this.pos + 1);
    if (close < 0) this.fail("unterminated attribute value");
    this.pos++;
    let out = "";
    while (this.pos < close) {
      const c = s.charCodeAt(this.pos);
      if (c === LT) this.fail('"<" in an attribute value');
      if (c === AMP) {
        out += this.reference();
        if (this.pos > close) this.fail("a reference runs past the attribute value");
        continue;
      }
      // A run of plain characters at once.
      let j = this.pos + 1;
      while (j < close) {
        const d = s.charCodeAt(j);
        if (d === LT || d === AMP) break;
        j++;
      }
      out += s.slice(this.pos, j);
      this.pos = j;
    }
    this.pos = close + 1;
    return out;
  }

  /** Skip comments, processing instructions and white space (outside the root, or between markup). */
  private misc(allowText: boolean): void {
    for (;;) {
      if (!allowText) this.skipSpace();
      if (this.s.startsWith("<!--", this.pos)) {
        this.pos += 4;
        this.through("-->", "comment");
      } else if (this.s.startsWith("<?", this.pos)) {
        this.pos += 2;
        this.through("?>", "processing instruction");
      } else {
        return;
      }
    }
  }

  /** A start tag at pos (on the "<"). Returns the element, its scope, and whether it was empty (`/>`). */
  private startTag(parentScope: ReadonlyMap<string, string>, depth: number): { open: Open; empty: boolean } {
    if (++this.elements > this.limits.maxElements) {
      throw new XmlLimitError("elements", this.limits.maxElements, "too many elements");
    }
    if (depth > this.limits.maxDepth) throw new XmlLimitError("depth", this.limits.maxDepth, "elements nested too deep");
    this.pos++;
    const qname = this.name("an element name");
    const raw: [string, string][] = [];
    let seen: Set<string> | undefined;
    let empty = false;
    for (;;) {
      const before = this.pos;
      this.skipSpace();
      const c = this.s.charCodeAt(this.pos);
      if (c === GT) {
        this.pos++;
        break;
      }
      if (c === SLASH && this.s.charCodeAt(this.pos + 1) === GT) {
        this.pos += 2;
        empty = true;
        break;
      }
      if (this.pos >= this.s.length) this.fail(`unterminated start tag <${qname}>`);
      if (this.pos === before) this.fail(`white space expected before an attribute of <${qname}>`);
      const name = this.name("an attribute name");
      this.skipSpace();
      if (this.s.charCodeAt(this.pos) !== EQ) this.fail(`"=" expected after attribute ${name}`);
      this.pos++;
      this.skipSpace();
      const value = this.attValue();
      seen ??= new Set<string>();
      if (seen.has(name)) this.fail(`attribute ${name} appears twice on <${qname}>`);
      seen.add(name);
      raw.push([name, value]);
    }
    let scope = parentScope;
    const plain: [string, string][] = [];
    for (const [k, v] of raw) {
      if (k === "xmlns" || k.startsWith("xmlns:")) {
        if (scope === parentScope) scope = new Map(parentScope);
        (scope as Map<string, string>).set(k === "xmlns" ? "" : k.slice(6), v);
      } else {
        plain.push([k, v]);
      }
    }
    const [prefix, local] = splitQName(qname);
    const ns = scope.get(prefix);
    if (ns === undefined && prefix !== "") {
      throw new ProtocolError(`malformed XML: undeclared namespace prefix "${prefix}" on <${qname}>`);
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
    return { open: { el, qname, scope, text: [] }, empty };
  }

  read(): XmlElement {
    const s = this.s;
    // An XML declaration and comments may come first; a DOCTYPE may not.
    this.misc(false);
    if (s.startsWith("<!DOCTYPE", this.pos) || s.startsWith("<!doctype", this.pos)) {
      throw new ProtocolError("malformed XML: DOCTYPE is not allowed in WS-Management messages");
    }
    if (this.pos >= s.length) this.fail("expected one root element, found 0");
    if (s.charCodeAt(this.pos) !== LT) this.fail("text before the root element");
    const first = this.startTag(BASE_SCOPE, 1);
    const root = first.open.el;
    const stack: Open[] = first.empty ? [] : [first.open];
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as Open;
      if (this.pos >= s.length) this.fail(`<${top.qname}> is not closed`);
      if (s.charCodeAt(this.pos) !== LT) {
        top.text.push(this.charData());
        continue;
      }
      if (s.startsWith("</", this.pos)) {
        this.pos += 2;
        const name = this.name("an end tag name");
        this.skipSpace();
        if (s.charCodeAt(this.pos) !== GT) this.fail(`">" expected to end </${name}>`);
        if (name !== top.qname) this.fail(`</${name}> closes <${top.qname}>`);
        this.pos++;
        top.el.text = top.text.join("");
        stack.pop();
      } else if (s.startsWith("<![CDATA[", this.pos)) {
        this.pos += 9;
        const start = this.pos;
        const end = this.through("]]>", "CDATA section");
        // CDATA content is literal: no reference decoding.
        top.text.push(s.slice(start, end));
      } else if (s.startsWith("<!--", this.pos)) {
        this.pos += 4;
        this.through("-->", "comment");
      } else if (s.startsWith("<?", this.pos)) {
        this.pos += 2;
        this.through("?>", "processing instruction");
      } else if (s.startsWith("<!", this.pos)) {
        this.fail("DOCTYPE and other declarations are not allowed in WS-Management messages");
      } else {
        const next = this.startTag(top.scope, stack.length + 1);
        top.el.children.push(next.open.el);
        if (!next.empty) stack.push(next.open);
      }
    }
    this.misc(false);
    if (this.pos < s.length) {
      if (s.charCodeAt(this.pos) === LT && isNameStart(s.charCodeAt(this.pos + 1))) this.fail("expected one root element, found more");
      this.fail("content after the root element");
    }
    return root;
  }
}

/**
 * Read a document and return its root element. Throws ProtocolError on malformed XML or undeclared prefixes, and
 * XmlLimitError (a LimitExceededError) as soon as the document passes one of `limits` (XML_LIMITS by default).
 */
export function readXml(xml: string, limits: XmlLimits = XML_LIMITS): XmlElement {
  // A decoded UTF-8/UTF-16 byte order mark is not part of the document.
  if (xml.charCodeAt(0) === 0xfeff) xml = xml.slice(1);
  if (xml.length > limits.maxChars) {
    throw new XmlLimitError("size", limits.maxChars, `the document has ${xml.length} characters`);
  }
  // A quick upper bound first: each element takes at most two "<" (start and end tag). A document with far more
  // markup than the element limit allows is refused after an indexOf pass, before any tree is built.
  const maxMarkup = 2 * limits.maxElements + 1024;
  for (let at = xml.indexOf("<"), n = 0; at >= 0; at = xml.indexOf("<", at + 1)) {
    if (++n > maxMarkup) throw new XmlLimitError("elements", limits.maxElements, "too much markup for the element limit");
  }
  return new Reader(xml, limits).read();
}
