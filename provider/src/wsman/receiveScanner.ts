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
 * It reads the body's bytes, not a string made of them (a 500 KB string per Receive left to the garbage collector),
 * and only ASCII documents: a byte of 128 or more anywhere makes it give up, so its offsets, names and values are
 * those of the decoded text (Windows' ReceiveResponses are ASCII: the output itself is base64).
 *
 * Cost: one left-to-right pass, each byte looked at a bounded number of times; the base64 text is checked and
 * decoded in the same pass, straight from the body into one Buffer per stream.
 */

import { COMMAND_STATE, NS } from "./namespaces.js";
import type { ReceiveResult, ReceivedStream } from "./shell.js";
import { trimXmlSpace } from "./parse.js";
import { XML_LIMITS } from "./xmlReader.js";
import { AMP, APOS, BASE_SCOPE, EQ, GT, isNameChar, isNameStart, isSpace, LT, QUOT, SLASH } from "./xmlChars.js";

export interface ScannedReceive {
  readonly result: ReceiveResult;
  /** a:RelatesTo in the header, trimmed, when present. */
  readonly relatesTo?: string;
}

/**
 * The 6-bit value of each character of the base64 alphabet (RFC 4648 4), indexed by byte; -1 for every other byte
 * (bytes of 128 and more included). One load per character both checks and decodes it.
 */
const BASE64_VALUE = ((): Int8Array => {
  const t = new Int8Array(256).fill(-1);
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (let k = 0; k < chars.length; k++) t[chars.charCodeAt(k)] = k;
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

  constructor(private readonly s: Buffer) {}

  private skipSpace(): void {
    const s = this.s;
    while (this.pos < s.length && isSpace(code(s, this.pos))) this.pos++;
  }

  private name(): string {
    const s = this.s;
    const start = this.pos;
    if (start >= s.length || !isAsciiNameStart(code(s, start))) giveUp();
    this.pos++;
    while (this.pos < s.length && isAsciiNameChar(code(s, this.pos))) this.pos++;
    return s.toString("latin1", start, this.pos);
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
      const c = code(s, this.pos);
      if (c === GT) {
        this.pos++;
        break;
      }
      if (c === SLASH && code(s, this.pos + 1) === GT) {
        this.pos += 2;
        empty = true;
        break;
      }
      if (this.pos >= s.length || this.pos === before) giveUp();
      const an = this.name();
      this.skipSpace();
      if (code(s, this.pos) !== EQ) giveUp();
      this.pos++;
      this.skipSpace();
      const q = code(s, this.pos);
      if (q !== QUOT && q !== APOS) giveUp();
      const close = s.indexOf(q, this.pos + 1);
      if (close < 0) giveUp();
      // References and "<" in a value: the full reader decodes or refuses them.
      checkPlain(s, this.pos + 1, close, true);
      const value = s.toString("latin1", this.pos + 1, close);
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
    const lt = s.indexOf(LT, start);
    if (lt < 0) giveUp();
    checkPlain(s, start, lt, false);
    this.pos = lt;
    return [start, lt];
  }

  /** Character data up to the next "<", unchecked (base64Text checks every byte itself). */
  private rawText(): [number, number] {
    const start = this.pos;
    const lt = this.s.indexOf(LT, start);
    if (lt < 0) giveUp();
    this.pos = lt;
    return [start, lt];
  }

  private onlySpace(start: number, end: number): boolean {
    for (let i = start; i < end; i++) if (!isSpace(code(this.s, i))) return false;
    return true;
  }

  /** An end tag at pos closing `qname`. */
  private endTag(qname: string): void {
    const s = this.s;
    if (code(s, this.pos) !== LT || code(s, this.pos + 1) !== SLASH) giveUp();
    this.pos += 2;
    if (this.name() !== qname) giveUp();
    this.skipSpace();
    if (code(s, this.pos) !== GT) giveUp();
    this.pos++;
  }

  /** White space up to the next "<": markup between elements. Anything else gives up. */
  private interElementSpace(): void {
    this.skipSpace();
    if (this.pos >= this.s.length || code(this.s, this.pos) !== LT) giveUp();
    const c = code(this.s, this.pos + 1);
    // "<!" (comment, CDATA, declaration) and "<?" (processing instruction): the full reader's business.
    if (c === 0x21 || c === 0x3f) giveUp();
  }

  /** The text of a leaf element (no child elements), after its start tag; consumes the end tag. */
  private leafText(tag: Tag): string {
    if (tag.empty) return "";
    const [a, b] = this.text();
    const s = this.s;
    if (code(s, this.pos + 1) !== SLASH) giveUp();
    this.endTag(tag.qname);
    return s.toString("latin1", a, b);
  }

  /** Skip a whole element (header content) after its start tag, keeping to the same rules. */
  private skipElement(tag: Tag, depth: number): void {
    if (tag.empty) return;
    const stack: Tag[] = [tag];
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as Tag;
      if (code(this.s, this.pos) !== LT) this.text();
      const c = code(this.s, this.pos + 1);
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
    if (startsWithXmlDecl(s, this.pos) && isSpace(code(s, this.pos + 5))) {
      const end = s.indexOf(PI_END, this.pos);
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
          if (code(s, this.pos + 1) === SLASH) break;
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
    if (code(s, this.pos + 1) !== SLASH) giveUp();
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
      if (code(this.s, this.pos + 1) === SLASH) break;
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

  /**
   * Base64 element text checked (alphabet, padding, length) and decoded in one pass, straight from the body's bytes
   * into one Buffer: no string of the text is made.
   */
  private base64Text(el: Tag): Buffer {
    const s = this.s;
    const [a, b] = this.rawText();
    if (code(s, this.pos + 1) !== SLASH) giveUp();
    this.endTag(el.qname);
    // Accepted: n alphabet characters then p "=" (p <= 2), n + p a multiple of 4. Anything else (white space inside
    // included): the full parser's stricter-but-slower path.
    const len = b - a;
    if (len % 4 !== 0) giveUp();
    let pad = 0;
    if (len > 0 && s[b - 1] === EQ) pad = s[b - 2] === EQ ? 2 : 1;
    const out = Buffer.allocUnsafe((len / 4) * 3 - pad);
    const full = b - (pad > 0 ? 4 : 0);
    let o = 0;
    let i = a;
    for (; i < full; i += 4) {
      const v0 = BASE64_VALUE[code(s, i)] ?? -1;
      const v1 = BASE64_VALUE[code(s, i + 1)] ?? -1;
      const v2 = BASE64_VALUE[code(s, i + 2)] ?? -1;
      const v3 = BASE64_VALUE[code(s, i + 3)] ?? -1;
      if ((v0 | v1 | v2 | v3) < 0) giveUp();
      out[o++] = (v0 << 2) | (v1 >> 4);
      out[o++] = ((v1 & 15) << 4) | (v2 >> 2);
      out[o++] = ((v2 & 3) << 6) | v3;
    }
    if (pad > 0) {
      const v0 = BASE64_VALUE[code(s, i)] ?? -1;
      const v1 = BASE64_VALUE[code(s, i + 1)] ?? -1;
      const v2 = pad === 1 ? (BASE64_VALUE[code(s, i + 2)] ?? -1) : 0;
      if ((v0 | v1 | v2) < 0) giveUp();
      out[o++] = (v0 << 2) | (v1 >> 4);
      if (pad === 1) out[o++] = ((v1 & 15) << 4) | (v2 >> 2);
    }
    return out;
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
      if (code(this.s, this.pos) !== LT) {
        const [a, b] = this.text();
        if (!this.onlySpace(a, b)) giveUp();
      }
      if (code(this.s, this.pos + 1) === SLASH) break;
      const c = code(this.s, this.pos + 1);
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

/** The byte at i, or -1 past either end (so comparisons fail as charCodeAt's NaN did). */
function code(s: Uint8Array, i: number): number {
  const c = s[i];
  return c === undefined ? -1 : c;
}

/**
 * The scanner reads ASCII documents only: there a byte is a character, so its offsets, names and values are exactly
 * those of the decoded string. Any byte of 128 or more (in a name, a value or text) makes it give up.
 */
function isAsciiNameStart(c: number): boolean {
  return c < 0x80 && isNameStart(c);
}

function isAsciiNameChar(c: number): boolean {
  return c < 0x80 && isNameChar(c);
}

/** Bytes [a, b) are ASCII with no "&" (a reference) and, in attribute values, no "<". */
function checkPlain(s: Uint8Array, a: number, b: number, attribute: boolean): void {
  for (let i = a; i < b; i++) {
    const c = code(s, i);
    if (c >= 0x80 || c === AMP || (attribute && c === LT)) giveUp();
  }
}

const XML_DECL = Buffer.from("<?xml", "latin1");
const PI_END = Buffer.from("?>", "latin1");

function startsWithXmlDecl(s: Uint8Array, at: number): boolean {
  for (let k = 0; k < XML_DECL.length; k++) if (code(s, at + k) !== XML_DECL[k]) return false;
  return true;
}

/**
 * Scan a ReceiveResponse envelope: its UTF-8 bytes (without a byte order mark; what the session hands out as
 * SoapResponse.utf8) or its text. Returns undefined for anything it does not recognise; read those with
 * parseEnvelope + faultFromEnvelope + parseReceiveResponse.
 */
export function scanReceiveResponse(xml: string | Buffer): ScannedReceive | undefined {
  const bytes = typeof xml === "string" ? Buffer.from(xml, "utf8") : xml;
  if (bytes.length > XML_LIMITS.maxChars) return undefined;
  try {
    return new Scanner(bytes).scan();
  } catch (e) {
    if (e === NotRecognised.instance) return undefined;
    throw e;
  }
}
