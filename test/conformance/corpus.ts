/**
 * The recorded real-Windows traffic the conformance suite reads: other projects' data, kept beside the repository
 * (`<repo>/../shared/fidelity`) and never copied into it. `loadCorpus()` returns undefined where it is absent, so each
 * test can say plainly that it did not run.
 */

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface RecordedResponse {
  /** Where it comes from, e.g. "pypsrp/test_winrs_standard.yml#3" */
  source: string;
  /** HTTP status, where the recording holds it */
  status?: number;
  xml: string;
}

export interface Corpus {
  dir: string;
  responses: RecordedResponse[];
}

/** The repository root: the nearest ancestor of this file holding package.json (works from test/ and dist/test/). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("conformance: no package.json above the test file");
    dir = up;
  }
  return dir;
}

export function corpusDir(): string {
  return resolve(repoRoot(), "..", "shared", "fidelity");
}

export const CORPUS_ABSENT = `conformance corpus not found at <repo>/../shared/fidelity: this test did NOT run`;

/** Placeholders of the WinRb ERB stubs, filled with fixed values the tests can check. */
export const ERB_VALUES: Readonly<Record<string, string>> = {
  command_id: "A1B2C3D4-0000-4000-8000-000000000001",
  test_data_stdout: Buffer.from("out text\r\n").toString("base64"),
  test_data_stdout1: Buffer.from("first ").toString("base64"),
  test_data_stdout2: Buffer.from("second\r\n").toString("base64"),
  test_data_stderr: Buffer.from("err text\r\n").toString("base64"),
};

/** Fill `<%= name %>` with ERB_VALUES by a linear scan; an unknown name is an error (the corpus changed). */
export function fillErb(text: string): string {
  let out = "";
  let at = 0;
  for (;;) {
    const open = text.indexOf("<%=", at);
    if (open < 0) return out + text.slice(at);
    const close = text.indexOf("%>", open);
    if (close < 0) throw new Error("unterminated ERB tag");
    const name = text.slice(open + 3, close).trim();
    const value = ERB_VALUES[name];
    if (value === undefined) throw new Error(`unknown ERB placeholder ${name}`);
    out += text.slice(at, open) + value;
    at = close + 2;
  }
}

interface FlatEntry {
  file: string;
  i: number;
  status: number;
  response: string;
}

export function loadCorpus(): Corpus | undefined {
  const dir = corpusDir();
  if (!existsSync(join(dir, "pypsrp_all.json"))) return undefined;
  const responses: RecordedResponse[] = [];
  const flat = JSON.parse(readFileSync(join(dir, "pypsrp_all.json"), "utf8")) as FlatEntry[];
  // _template.yml documents pypsrp's file format; it holds no recording.
  for (const e of flat) if (!e.file.startsWith("_")) responses.push({ source: `pypsrp/${e.file}#${e.i}`, status: e.status, xml: e.response });
  const winrb = join(dir, "winrb");
  for (const name of readdirSync(winrb).sort()) {
    const raw = readFileSync(join(winrb, name), "utf8");
    if (name.endsWith(".xml")) responses.push({ source: `winrb/${name}`, xml: raw });
    else if (name.endsWith(".erb")) responses.push({ source: `winrb/${name}`, xml: fillErb(raw) });
  }
  const mz = JSON.parse(readFileSync(join(dir, "masterzen.json"), "utf8")) as Record<string, string>;
  for (const [k, v] of Object.entries(mz)) responses.push({ source: `masterzen.json#${k}`, xml: v });
  return { dir, responses };
}

export interface RecordedExchange {
  source: string;
  request: string;
  response: string;
}

/**
 * The request/response pairs of one pypsrp recording. Their YAML is simple: a `messages:` list whose items start
 * with `- request: <xml on one line>` and hold `  response: <xml on one line>` (other keys: test knobs, ignored).
 */
export function readPypsrpSession(dir: string, file: string): RecordedExchange[] {
  const out: RecordedExchange[] = [];
  let request: string | undefined;
  for (const line of readFileSync(join(dir, "pypsrp", file), "utf8").split("\n")) {
    if (line.startsWith("- request: ")) request = yamlScalar(line.slice("- request: ".length));
    else if (line.startsWith("  response: ") && request !== undefined) {
      out.push({ source: `pypsrp/${file}#${out.length}`, request, response: yamlScalar(line.slice("  response: ".length)) });
      request = undefined;
    }
  }
  return out;
}

/**
 * A one-line YAML scalar: plain, or single-quoted when the XML holds a character YAML would misread (YAML 1.2
 * section 7.3.2: the quotes are dropped and '' stands for one ').
 */
function yamlScalar(raw: string): string {
  const t = raw.trim();
  if (t.length >= 2 && t.startsWith("'") && t.endsWith("'")) return t.slice(1, -1).split("''").join("'");
  return t;
}

export function pypsrpFiles(dir: string, prefix: string): string[] {
  return readdirSync(join(dir, "pypsrp"))
    .filter((f) => f.startsWith(prefix) && f.endsWith(".yml"))
    .sort();
}
