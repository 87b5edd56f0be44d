/**
 * The order in which http.sys writes a response's header lines, as public captures of Windows show it: a WinRM 401
 * ("Server, WWW-Authenticate (one line per scheme), Date, Connection: close, Content-Length: 0") and a 400 that http.sys
 * answered itself ("Content-Type, Server, Date, Connection: close, Content-Length"). So: Content-Type, Server, the
 * service's own headers in the order it gave them (WWW-Authenticate, Allow), Date, Connection, Content-Length last.
 * [unconfirmed] a WinRM 200/500 with a body taken to follow the same rule (Content-Type first). A kept connection
 * gets no Connection line (server.ts removes Node's "keep-alive" one).
 */

const LEADING = ["content-type", "server"];
const TRAILING = ["date", "connection", "content-length"];

/** `headers` (one value or several lines each) as Node's flat raw-header array, in http.sys' order, with Date set. */
export function httpSysHeaderOrder(headers: Record<string, string | string[]>, date: Date): string[] {
  const all: [string, string | string[]][] = Object.entries(headers).filter(([name]) => name.toLowerCase() !== "date");
  all.push(["Date", date.toUTCString()]);
  const rank = (name: string): number => {
    const n = name.toLowerCase();
    const lead = LEADING.indexOf(n);
    if (lead >= 0) return lead;
    const trail = TRAILING.indexOf(n);
    return trail >= 0 ? LEADING.length + 1 + trail : LEADING.length;
  };
  // Array.prototype.sort is stable: the service's own headers keep their order among themselves.
  const sorted = all.map((e, i) => ({ e, i })).sort((a, b) => rank(a.e[0]) - rank(b.e[0]) || a.i - b.i);
  const flat: string[] = [];
  for (const { e: [name, value] } of sorted) {
    for (const v of Array.isArray(value) ? value : [value]) flat.push(name, v);
  }
  return flat;
}
