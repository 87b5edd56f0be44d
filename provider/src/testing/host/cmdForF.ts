/**
 * `for /f` of the emulated cmd.exe, for lines of a file (what the copy's cmd writer uses to split one staged stream
 * into files, provider/src/copy/cmdHost.ts): `for /f "usebackq tokens=1,* delims= eol=; skip=n" %a in ("FILE") do
 * BODY` and the unquoted-file form without usebackq. As cmd.exe (`for /?`): empty lines are skipped, so are lines
 * starting with the eol character (default `;`) and the first `skip` lines; tokens are split at the delims (default
 * space and tab); `*` takes the rest of the line after the tokens before it; the variables are the given letter and
 * the letters after it. A `'command'` set or a string set is not emulated (refused as a syntax error by the caller).
 */

/** The head of a `for /f` command: options, variable, set; the body follows. */
export const FOR_F_HEAD = /^@?\s*for\s+\/F\s+"([^"]*)"\s+(%%?[A-Za-z])\s+in\s*\(\s*("[^"]*"|[^)"'\s]+)\s*\)\s*do\s+/i;

export interface ForFOptions {
  readonly tokens: readonly (number | "*")[];
  readonly delims: string;
  readonly eol: string | undefined;
  readonly skip: number;
}

/** The options string, or undefined when it is not one cmd accepts here. */
export function parseForFOptions(text: string): { options: ForFOptions; usebackq: boolean } | undefined {
  let tokens: (number | "*")[] = [1];
  let delims = " \t";
  let eol: string | undefined = ";";
  let skip = 0;
  let usebackq = false;
  let rest = text;
  while (rest.trim() !== "") {
    rest = rest.replace(/^\s+/, "");
    const lower = rest.toLowerCase();
    if (lower.startsWith("usebackq")) {
      usebackq = true;
      rest = rest.slice(8);
    } else if (lower.startsWith("tokens=")) {
      const end = rest.search(/\s|$/);
      const spec = rest.slice(7, end);
      rest = rest.slice(end);
      tokens = [];
      for (const part of spec.split(",")) {
        if (part === "*") tokens.push("*");
        else if (/^\d+-\d+$/.test(part)) {
          const [a = 0, b = 0] = part.split("-").map(Number);
          for (let n = a; n <= b; n++) tokens.push(n);
        } else if (/^\d+\*?$/.test(part)) {
          tokens.push(Number(part.replace("*", "")));
          if (part.endsWith("*")) tokens.push("*");
        } else return undefined;
      }
    } else if (lower.startsWith("delims=")) {
      // delims= runs to the end of the options or to the next option word after a space.
      const after = rest.slice(7);
      const m = /\s(?:usebackq|tokens=|eol=|skip=)/i.exec(after);
      delims = m === null ? after : after.slice(0, m.index);
      rest = m === null ? "" : after.slice(m.index);
    } else if (lower.startsWith("eol=")) {
      eol = rest[4];
      rest = rest.slice(5);
    } else if (lower.startsWith("skip=")) {
      const end = rest.search(/\s|$/);
      skip = Number(rest.slice(5, end));
      if (!Number.isInteger(skip)) return undefined;
      rest = rest.slice(end);
    } else return undefined;
  }
  return { options: { tokens, delims, eol, skip }, usebackq };
}

/** The values of the loop's variables for each line of `text` (variable letters from `first` on). */
export function forFIterations(options: ForFOptions, first: string, text: string): Map<string, string>[] {
  const out: Map<string, string>[] = [];
  const lines = text.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  let skipped = 0;
  const isDelim = (c: string): boolean => options.delims.includes(c);
  for (const line of lines) {
    if (line === "") continue;
    if (skipped < options.skip) {
      skipped++;
      continue;
    }
    if (options.eol !== undefined && line.startsWith(options.eol)) continue;
    // The tokens with where each starts.
    const found: { text: string; start: number }[] = [];
    for (let i = 0; i < line.length; ) {
      while (i < line.length && isDelim(line[i] ?? "")) i++;
      if (i >= line.length) break;
      const start = i;
      while (i < line.length && !isDelim(line[i] ?? "")) i++;
      found.push({ text: line.slice(start, i), start });
    }
    const values = new Map<string, string>();
    let letter = first.charCodeAt(0);
    let lastNumbered = 0;
    for (const t of options.tokens) {
      const name = String.fromCharCode(letter++);
      if (t === "*") {
        const next = found[lastNumbered];
        values.set(name, next === undefined ? "" : line.slice(next.start));
      } else {
        lastNumbered = t;
        values.set(name, found[t - 1]?.text ?? "");
      }
    }
    out.push(values);
  }
  return out;
}
