/**
 * A deliberately simple second reading of a recorded XML document, by tag scanning, independent of the client's
 * parser: the conformance suite derives its expectations from it instead of hard-coding values per file.
 * Start tags are matched by local name (prefixes ignored), attributes read as name="value" or name='value'.
 */

export interface Tag {
  local: string;
  attrs: Record<string, string>;
  /** Text up to the matching end tag when the element holds no child element, else "" */
  text: string;
}

function decode(s: string): string {
  return s
    .split("&lt;").join("<")
    .split("&gt;").join(">")
    .split("&quot;").join('"')
    .split("&apos;").join("'")
    .split("&amp;").join("&");
}

function localOf(name: string): string {
  const c = name.indexOf(":");
  return c < 0 ? name : name.slice(c + 1);
}

/** Every start tag whose local name is `local`, in document order. */
export function tags(xml: string, local: string): Tag[] {
  const out: Tag[] = [];
  let at = 0;
  for (;;) {
    const lt = xml.indexOf("<", at);
    if (lt < 0) return out;
    const gt = xml.indexOf(">", lt);
    if (gt < 0) return out;
    at = gt + 1;
    const c = xml[lt + 1];
    if (c === "/" || c === "?" || c === "!") continue;
    const body = xml.slice(lt + 1, xml[gt - 1] === "/" ? gt - 1 : gt);
    let nameEnd = 0;
    while (nameEnd < body.length && !" \t\r\n".includes(body[nameEnd] ?? "")) nameEnd++;
    const name = body.slice(0, nameEnd);
    if (localOf(name) !== local) continue;
    const attrs: Record<string, string> = Object.create(null) as Record<string, string>;
    let i = nameEnd;
    while (i < body.length) {
      const eq = body.indexOf("=", i);
      if (eq < 0) break;
      const an = body.slice(i, eq).trim();
      const q = body[eq + 1] ?? '"';
      const end = body.indexOf(q, eq + 2);
      attrs[an.startsWith("xmlns") ? an : localOf(an)] = decode(body.slice(eq + 2, end));
      i = end + 1;
    }
    let text = "";
    if (xml[gt - 1] !== "/") {
      const next = xml.indexOf("<", gt);
      if (next >= 0 && xml[next + 1] === "/") text = decode(xml.slice(gt + 1, next));
    }
    out.push({ local, attrs, text });
  }
}

export function collapseSpace(s: string): string {
  return s.split(/\s+/).filter((w) => w !== "").join(" ");
}
