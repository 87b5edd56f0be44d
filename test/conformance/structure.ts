/**
 * Structural comparison of two WS-Management responses (pure, no I/O): the recorded Windows one and the emulator's.
 * Compared: a:Action, the body's element tree (namespace URI + local name, in order), attribute names, and the fault's
 * s:Code/s:Subcode values, WSManFault Code and f:Message text, and the root's namespace declarations (prefix and URI). Not compared: values Windows makes up per message
 * (MessageID, ShellId, CommandId, ActivityId, timestamps, stream data), which differ between any two runs, nor how
 * many Streams one stream's data is split into (comparedChildren).
 */

import { parseEnvelope, parseXml, textOf, type XmlElement } from "../../provider/src/wsman/parse.js";
import { scopeOf } from "../../provider/src/wsman/xmlReader.js";

export interface Difference {
  /** Where, e.g. "Body/ReceiveResponse/Stream[1]" */
  path: string;
  what: string;
}

function name(el: XmlElement): string {
  return `{${el.ns}}${el.local}`;
}

function label(el: XmlElement): string {
  return el.local;
}

/** Text compared verbatim (white space collapsed) only for these elements: fault codes and texts. */
const TEXT_COMPARED = new Set(["Value", "Text", "Message", "FaultDetail", "ProviderFault"]);
/**
 * Attribute values compared verbatim (others only by presence: ids and timestamps vary). Machine too: Windows names
 * the host part of the request's a:To, which the replay sends unchanged.
 */
const ATTR_VALUE_COMPARED = new Set(["Code", "Machine", "Name", "State", "End", "provider", "path"]);

function collapse(s: string): string {
  return s.split(/\s+/).filter((w) => w !== "").join(" ");
}

const RSP = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell";

/**
 * The children compared of an element: in a rsp:ReceiveResponse, consecutive data Streams (no End) of one stream
 * count as one. How Windows splits a program's output into Streams follows the timing of the program's writes
 * against WinRS's pipe reads ("hi" and "\n" of one Write-Host in two, or the 30 lines of `set` in two), so only
 * which streams carry data, in which order, and their End markers (stdout End, stderr End, then CommandState) are
 * compared.
 */
function comparedChildren(el: XmlElement): XmlElement[] {
  if (el.ns !== RSP || el.local !== "ReceiveResponse") return el.children;
  const out: XmlElement[] = [];
  for (const c of el.children) {
    const prev = out[out.length - 1];
    const isData = (e: XmlElement): boolean => e.ns === RSP && e.local === "Stream" && !e.attrs.has("End");
    if (prev && isData(prev) && isData(c) && prev.attrs.get("Name") === c.attrs.get("Name")) continue;
    out.push(c);
  }
  return out;
}

function walk(a: XmlElement, b: XmlElement, path: string, out: Difference[]): void {
  const aAttrs = [...a.attrs.keys()].sort();
  const bAttrs = [...b.attrs.keys()].sort();
  if (aAttrs.join(" ") !== bAttrs.join(" ")) out.push({ path, what: `attributes [${aAttrs.join(" ")}] vs [${bAttrs.join(" ")}]` });
  for (const k of aAttrs) {
    const local = k.slice(k.indexOf("}") + 1);
    if (ATTR_VALUE_COMPARED.has(local) && b.attrs.has(k) && a.attrs.get(k) !== b.attrs.get(k)) {
      out.push({ path, what: `@${local} "${a.attrs.get(k)}" vs "${b.attrs.get(k)}"` });
    }
  }
  if (TEXT_COMPARED.has(a.local) && collapse(a.text) !== collapse(b.text)) {
    out.push({ path, what: `text "${collapse(a.text)}" vs "${collapse(b.text)}"` });
  }
  const aChildren = comparedChildren(a);
  const bChildren = comparedChildren(b);
  const n = Math.max(aChildren.length, bChildren.length);
  for (let i = 0; i < n; i++) {
    const ca = aChildren[i];
    const cb = bChildren[i];
    if (!ca || !cb) {
      out.push({ path, what: ca ? `missing ${label(ca)} at ${i}` : `extra ${label(cb!)} at ${i}` });
      return;
    }
    const p = `${path}/${label(ca)}[${i}]`;
    if (name(ca) !== name(cb)) {
      out.push({ path: p, what: `element ${name(ca)} vs ${name(cb)}` });
      return;
    }
    walk(ca, cb, p, out);
  }
}

function rootNamespaces(xml: string): string {
  const scope = scopeOf(parseXml(xml));
  return [...(scope ?? new Map<string, string>())]
    .filter(([prefix]) => prefix !== "xml")
    .map(([prefix, uri]) => `${prefix}=${uri}`)
    .sort()
    .join(" ");
}

/** Differences of `actual` (emulator) from `expected` (recording); [] when structurally the same. */
export function compareResponses(expectedXml: string, actualXml: string): Difference[] {
  const e = parseEnvelope(expectedXml);
  const a = parseEnvelope(actualXml);
  const out: Difference[] = [];
  if (e.action !== a.action) out.push({ path: "Header/Action", what: `"${e.action}" vs "${a.action}"` });
  // Windows' root declarations follow the response's action, so they are compared only when the actions agree (an
  // answer of another kind, e.g. a fault for a CommandResponse, is already one difference: Header/Action).
  const eNs = rootNamespaces(expectedXml);
  const aNs = rootNamespaces(actualXml);
  if (e.action === a.action && eNs !== aNs) out.push({ path: "Envelope/xmlns", what: `[${eNs}] vs [${aNs}]` });
  walk(e.body, a.body, "Body", out);
  return out;
}

/** Text of a header element by local name, for callers that need ids from a response. */
export function headerText(xml: string, local: string): string {
  return textOf(parseEnvelope(xml).header.children.find((c) => c.local === local));
}
