/**
 * A strict, single-pass scanner for the one response that carries bulk data: rsp:ReceiveResponse (MS-WSMV 2.2.4.29,
 * 3.1.4.14). It reads the envelope without building a general XML tree: header elements are skipped (a:RelatesTo is
 * kept for the WS-Addressing check), and in the body only rsp:Stream (Name, CommandId, End; base64 text) and
 * rsp:CommandState (CommandId, State; rsp:ExitCode) are understood. Prefixes are resolved from the document's own
 * xmlns declarations (Namespaces in XML 1.0, section 6), never assumed.
 *
 * It never decides an error. Whatever it does not recognise (a fault, another element, an entity or character
 * reference, CDATA, a comment, a processing instruction past the XML declaration, a qualified attribute on a stream,
 * base64 that is not plain, a document past the general reader's limits) makes it return undefined, and the caller
 * reads the document with the full parser (wsman/parse.ts), which then gives the same answer or the canonical error.
 * So whenever it returns a result, parseReceiveResponse(parseEnvelope(xml)) gives the same one
 * (test/unit/receive-scanner.test.ts checks this on recorded Windows responses; the fuzz target receive-scanner on
 * mutations of them).
 *
 * Cost: one left-to-right pass, each character looked at a bounded number of times; the base64 text is checked in
 * place and decoded straight from the document string into one Buffer per stream.
 */

import { COMMAND_STATE, NS } from "./namespaces.js";
import type { ReceiveResult, ReceivedStream } from "./shell.js";
import { trimXmlSpace } from "./parse.js";
import { XML_LIMITS } from "./xmlReader.js";
import { APOS, BASE_SCOPE, EQ, GT, isNameChar, isNameStart, isSpace, LT, QUOT, SLASH } from "./xmlChars.js";

export interface ScannedReceive {
  readonly result: ReceiveResult;
  /** a:RelatesTo in the header, trimmed, when present. */
  readonly relatesTo?: string;
}

/**
 * 1 for the characters of the base64 alphabet (RFC 4648 4), indexed by UTF-16 code unit: one load per character
 * instead of five comparisons; a code unit of 128 or more reads undefined, which is not 1.
 */
const BASE64_ALPHABET = ((): Uint8Array => {
  const t = new Uint8Array(128);
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (let k = 0; k < chars.length; k++) t[chars.charCodeAt(k)] = 1;
  return t;
})();

/** Thrown inside the scanner to mean "not mine: use the full parser". Never escapes scanReceiveResponse. */
class NotRecognised extends Error {
  static readonly instance = new NotRecognised("not a plain ReceiveResponse");
}

function giveUp(): never {
  throw NotRecognised.instance;
}

interface Tag {
  qname: string;
  ns: string;
  local: string;
  /** Unqualified attributes (a qualified one, other than xmlns, makes the scanner give up on elements it reads). */
  attrs: Map<string, string> | undefined;
  qualifiedAttrs: boolean;
  scope: ReadonlyMap<string, string>;
  empty: boolean;
}

class Scanner {
  private pos = 0;
  private elements = 0;

  constructor(private readonly s: string) {}

  private skipSpace(): void {
    const s = this.s;
    while (this.pos < s.length && isSpace(s.charCodeAt(this.pos))) this.pos++;
  }

  private name(): string {
    const s = this.s;
    const start = this.pos;
    if (start >= s.length || !isNameStart(s.charCodeAt(start))) giveUp();
    this.pos++;
    while (this.pos < s.length && isNameChar(s.charCodeAt(this.pos))) this.pos++;
    return s.slice(start, this.pos);
  }

  /** A start tag at pos (on "<"). */
  private startTag(parent: ReadonlyMap<string, string>, depth: number): Tag {
    if (++this.elements > XML_LIMITS.maxElements || depth > XML_LIMITS.maxDepth) giveUp();
    const s = this.s;
    this.pos++;
    const qname = this.name();
    let scope = parent;
    let attrs: Map<string, string> | undefined;
    let qualifiedAttrs = false;
    const seen: string[] = [];
    let empty = false;
    for (;;) {
      const before = this.pos;
      this.skipSpace();
      const c = s.charCodeAt(this.pos);
      if (c === GT) {
        this.pos++;
        break;
      }
      if (c === SLASH && s.charCodeAt(this.pos + 1) === GT) {
        this.pos += 2;
        empty = true;
        break;
      }
      if (this.pos >= s.length || this.pos === before) giveUp();
      const an = this.name();
      this.skipSpace();
      if (s.charCodeAt(this.pos) !== EQ) giveUp();
      this.pos++;
      this.skipSpace();
      const q = s.charCodeAt(this.pos);
      if (q !== QUOT && q !== APOS) giveUp();
      const close = s.indexOf(q === QUOT ? '"' : "'", this.pos + 1);
      if (close < 0) giveUp();
      const value = s.slice(this.pos + 1, close);
      // References and "<" in a value: the full reader decodes or refuses them.
      if (value.indexOf("&") >= 0 || value.indexOf("<") >= 0) giveUp();
      this.pos = close + 1;
      if (seen.includes(an)) giveUp();
      seen.push(an);
      if (an === "xmlns" || an.startsWith("xmlns:")) {
        if (scope === parent) scope = new Map(parent);
        (scope as Map<string, string>).set(an === "xmlns" ? "" : an.slice(6), value);
      } else if (an.indexOf(":") >= 0) {
        qualifiedAttrs = true;
      } else {
        (attrs ??= new Map()).set(an, value);
      }
    }
    // Qualified attributes need their prefix declared (checked once the whole tag, xmlns included, is read).
    if (qualifiedAttrs) {
      for (const an of seen) {
        const i = an.indexOf(":");
        if (i >= 0 && !an.startsWith("xmlns:") && scope.get(an.slice(0, i)) === undefined) giveUp();
      }
    }
    const colon = qname.indexOf(":");
    const prefix = colon < 0 ? "" : qname.slice(0, colon);
    const ns = scope.get(prefix);
    if (ns === undefined && prefix !== "") giveUp();
    return { qname, ns: ns ?? "", local: colon < 0 ? qname : qname.slice(colon + 1), attrs, qualifiedAttrs, scope, empty };
  }

  /** Character data up to the next "<"; gives up on references. Returns [start, end). */
  private text(): [number, number] {
    const s = this.s;
    const start = this.pos;
    const lt = s.indexOf("<", start);
    if (lt < 0) giveUp();
    const amp = s.indexOf("&", start);
    if (amp >= 0 && amp < lt) giveUp();
    this.pos = lt;
    return [start, lt];
  }

  private onlySpace(start: number, end: number): boolean {
    for (let i = start; i < end; i++) if (!isSpace(this.s.charCodeAt(i))) return false;
    return true;
  }

  /** An end tag at pos closing `qname`. */
  private endTag(qname: string): void {
    const s = this.s;
    if (s.charCodeAt(this.pos) !== LT || s.charCodeAt(this.pos + 1) !== SLASH) giveUp();
    this.pos += 2;
    if (this.name() !== qname) giveUp();
    this.skipSpace();
    if (s.charCodeAt(this.pos) !== GT) giveUp();
    this.pos++;
  }

  /** White space up to the next "<": markup between elements. Anything else gives up. */
  private interElementSpace(): void {
    this.skipSpace();
    if (this.pos >= this.s.length || this.s.charCodeAt(this.pos) !== LT) giveUp();
    const c = this.s.charCodeAt(this.pos + 1);
    // "<!" (comment, CDATA, declaration) and "<?" (processing instruction): the full reader's business.
    if (c === 0x21 || c === 0x3f) giveUp();
  }

  /** The text of a leaf element (no child elements), after its start tag; consumes the end tag. */
  private leafText(tag: Tag): string {
    if (tag.empty) return "";
    const [a, b] = this.text();
    const s = this.s;
    if (s.charCodeAt(this.pos + 1) !== SLASH) giveUp();
    this.endTag(tag.qname);
    return s.slice(a, b);
  }

  /** Skip a whole element (header content) after its start tag, keeping to the same rules. */
  private skipElement(tag: Tag, depth: number): void {
    if (tag.empty) return;
    const stack: Tag[] = [tag];
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as Tag;
      if (this.s.charCodeAt(this.pos) !== LT) this.text();
      const c = this.s.charCodeAt(this.pos + 1);
      if (c === SLASH) {
        this.endTag(top.qname);
        stack.pop();
      } else if (c === 0x21 || c === 0x3f) {
        giveUp();
      } else {
        const t = this.startTag(top.scope, depth + stack.length);
        if (!t.empty) stack.push(t);
      }
    }
  }

  scan(): ScannedReceive {
    const s = this.s;
    // An XML declaration may come first (Windows sends none; other stacks do).
    if (s.startsWith("<?xml", this.pos) && isSpace(s.charCodeAt(this.pos + 5))) {
      const end = s.indexOf("?>", this.pos);
      if (end < 0) giveUp();
      this.pos = end + 2;
    }
    this.interElementSpace();
    const env = this.startTag(BASE_SCOPE, 1);
    if (env.ns !== NS.s || env.local !== "Envelope" || env.empty) giveUp();
    this.interElementSpace();
    let tag = this.startTag(env.scope, 2);
    let relatesTo: string | undefined;
    if (tag.ns === NS.s && tag.local === "Header") {
      if (!tag.empty) {
        for (;;) {
          this.interElementSpace();
          if (s.charCodeAt(this.pos + 1) === SLASH) break;
          const h = this.startTag(tag.scope, 3);
          if (h.ns === NS.a && h.local === "RelatesTo" && relatesTo === undefined) {
            relatesTo = trimXmlSpace(this.leafText(h));
          } else {
            this.skipElement(h, 3);
          }
        }
        this.endTag(tag.qname);
      }
      this.interElementSpace();
      tag = this.startTag(env.scope, 2);
    }
    if (tag.ns !== NS.s || tag.local !== "Body" || tag.empty) giveUp();
    const body = tag;
    this.interElementSpace();
    const rr = this.startTag(body.scope, 3);
    if (rr.ns !== NS.rsp || rr.local !== "ReceiveResponse") giveUp();
    const result = this.receiveResponse(rr);
    this.interElementSpace();
    this.endTag(body.qname);
    this.interElementSpace();
    if (s.charCodeAt(this.pos + 1) !== SLASH) giveUp();
    this.endTag(env.qname);
    this.skipSpace();
    if (this.pos !== s.length) giveUp();
    return relatesTo !== undefined ? { result, relatesTo } : { result };
  }

  private receiveResponse(rr: Tag): ReceiveResult {
    const streams: ReceivedStream[] = [];
    const result: ReceiveResult = { streams, done: false };
    if (rr.empty) return result;
    let sawState = false;
    for (;;) {
      this.interElementSpace();
      if (this.s.charCodeAt(this.pos + 1) === SLASH) break;
      const el = this.startTag(rr.scope, 4);
      if (el.ns !== NS.rsp || el.qualifiedAttrs) giveUp();
      if (el.local === "Stream") {
        streams.push(this.stream(el));
      } else if (el.local === "CommandState" && !sawState) {
        sawState = true;
        this.commandState(el, result);
      } else {
        giveUp();
      }
    }
    this.endTag(rr.qname);
    return result;
  }

  private stream(el: Tag): ReceivedStream {
    const data = el.empty ? Buffer.alloc(0) : this.base64Text(el);
    const end = el.attrs?.get("End");
    const r: ReceivedStream = {
      name: el.attrs?.get("Name") ?? "",
      data,
      end: end !== undefined && isTrueFlag(end),
    };
    const commandId = el.attrs?.get("CommandId");
    if (commandId !== undefined) r.commandId = commandId;
    return r;
  }

  /** Base64 element text checked in place (alphabet, padding, length) and decoded into one Buffer. */
  private base64Text(el: Tag): Buffer {
    const s = this.s;
    const [a, b] = this.text();
    if (s.charCodeAt(this.pos + 1) !== SLASH) giveUp();
    this.endTag(el.qname);
    let i = a;
    while (i < b && BASE64_ALPHABET[s.charCodeAt(i)] === 1) i++;
    let pad = 0;
    while (i < b && s.charCodeAt(i) === EQ && pad < 2) {
      i++;
      pad++;
    }
    // White space inside, or anything else: the full parser's stricter-but-slower path.
    if (i !== b || (b - a) % 4 !== 0) giveUp();
    return Buffer.from(a === 0 && b === s.length ? s : s.slice(a, b), "base64");
  }

  private commandState(el: Tag, result: ReceiveResult): void {
    const state = el.attrs?.get("State");
    if (state !== undefined) {
      result.state = state;
      result.done = state === COMMAND_STATE.done;
    }
    if (el.empty) return;
    let sawExit = false;
    for (;;) {
      if (this.s.charCodeAt(this.pos) !== LT) {
        const [a, b] = this.text();
        if (!this.onlySpace(a, b)) giveUp();
      }
      if (this.s.charCodeAt(this.pos + 1) === SLASH) break;
      const c = this.s.charCodeAt(this.pos + 1);
      if (c === 0x21 || c === 0x3f) giveUp();
      const ec = this.startTag(el.scope, 5);
      if (ec.ns !== NS.rsp || ec.local !== "ExitCode" || sawExit) giveUp();
      sawExit = true;
      const t = trimXmlSpace(this.leafText(ec));
      if (result.done) {
        if (!isInteger(t)) giveUp();
        result.exitCode = Number(t);
      }
    }
    this.endTag(el.qname);
  }
}

function isTrueFlag(v: string): boolean {
  const t = v.trim().toLowerCase();
  return t === "true" || t === "1";
}

function isInteger(t: string): boolean {
  let i = t.charCodeAt(0) === 0x2d ? 1 : 0;
  if (i >= t.length) return false;
  for (; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/**
 * Scan a ReceiveResponse envelope. Returns undefined for anything it does not recognise; read those with
 * parseEnvelope + faultFromEnvelope + parseReceiveResponse.
 */
export function scanReceiveResponse(xml: string): ScannedReceive | undefined {
  if (xml.length > XML_LIMITS.maxChars || xml.charCodeAt(0) === 0xfeff) return undefined;
  try {
    return new Scanner(xml).scan();
  } catch (e) {
    if (e === NotRecognised.instance) return undefined;
    throw e;
  }
}
