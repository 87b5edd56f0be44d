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
