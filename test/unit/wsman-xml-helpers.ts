/** Structural XML comparison for the wsman tests: prefixes and xmlns placement do not matter, URIs do. */

import { parseXml, type XmlElement } from "../../provider/src/wsman/parse.js";

export interface Canon {
  name: string;
  attrs: Record<string, string>;
  text?: string;
  children?: Canon[];
}

/** Canonical form: "{ns}local", sorted attributes, trimmed text of leaves, children in order. */
export function canon(el: XmlElement): Canon {
  const attrs: Record<string, string> = {};
  for (const k of [...el.attrs.keys()].sort()) attrs[k] = el.attrs.get(k) as string;
  const c: Canon = { name: `{${el.ns}}${el.local}`, attrs };
  if (el.children.length > 0) c.children = el.children.map(canon);
  else c.text = el.text.trim();
  return c;
}

export function canonXml(xml: string): Canon {
  return canon(parseXml(xml));
}

/**
 * `v` with every plain object (deeply) turned into a null-prototype one: parsed maps (selectors, options, config
 * trees, shell environments) have no prototype, and deepStrictEqual compares prototypes.
 */
export function nullProto<T>(v: T): T {
  if (typeof v !== "object" || v === null || Array.isArray(v) || Object.getPrototypeOf(v) !== Object.prototype) return v;
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, x] of Object.entries(v)) out[k] = nullProto(x);
  return out as T;
}
