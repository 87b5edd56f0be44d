/**
 * The TypeScript examples of README.md, for test/e2e/install-project.test.ts: each ```ts block is a whole module
 * (imports included), type-checked with the TypeScript compiler API against the package as a user's project installs
 * it, in both project layouts:
 *
 * - CommonJS with the tsconfig.json of `pulumi new typescript` (module commonjs, moduleResolution node: the layout
 *   that could not resolve the package at all before it shipped top-level `types` and `typesVersions`);
 * - ES module (a package.json with "type": "module", module and moduleResolution nodenext).
 *
 * A block that uses top-level `await` (a script, such as the library example) is an ES module only: in the
 * CommonJS layout the only errors it may have are TypeScript's "top-level await needs an ES module" codes.
 * Diagnostics are those of the example files themselves, as ts-node (which the Pulumi Node.js runtime runs) reports
 * them for a program; library declaration files are not re-checked.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { ESM_TSCONFIG, REPO_ROOT, TEMPLATE_TSCONFIG } from "./userProject.js";

export interface CodeBlock {
  /** 1-based line of the opening fence in README.md. */
  line: number;
  /** The heading (## or ###) the block is under. */
  section: string;
  text: string;
}

/** The ```ts / ```typescript blocks of a Markdown text, with the section each is in. */
export function typeScriptBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split("\n");
  let section = "";
  // A fence may be indented (a block inside a list item); its lines lose that indentation.
  let open: { line: number; lang: string; indent: number; body: string[] } | undefined;
  lines.forEach((line, i) => {
    const trimmed = line.trimStart();
    if (open !== undefined) {
      if (trimmed.trimEnd() === "```") {
        if (open.lang === "ts" || open.lang === "typescript") blocks.push({ line: open.line, section, text: open.body.join("\n") + "\n" });
        open = undefined;
      } else {
        open.body.push(line.slice(Math.min(open.indent, line.length - line.trimStart().length)));
      }
      return;
    }
    if (line.startsWith("#")) section = line.replace(/^#+\s*/, "");
    else if (trimmed.startsWith("```")) {
      open = { line: i + 1, lang: trimmed.slice(3).trim().split(" ")[0] ?? "", indent: line.length - trimmed.length, body: [] };
    }
  });
  return blocks;
}

export function readmeBlocks(): CodeBlock[] {
  return typeScriptBlocks(readFileSync(join(REPO_ROOT, "README.md"), "utf8"));
}

/** The first ```ts block of the README section `heading` (the program a section tells the user to write). */
export function readmeProgram(heading: string): string {
  const block = readmeBlocks().find((b) => b.section === heading);
  if (block === undefined) throw new Error(`README.md has no \`\`\`ts block under "${heading}"`);
  return block.text;
}

/** TS1375/TS1378/TS1431/TS1432: top-level await (or for await) outside an ES module or with an older module option. */
const TOP_LEVEL_AWAIT_CODES = new Set([1375, 1378, 1431, 1432]);

export interface BlockReport {
  block: CodeBlock;
  commonjs: string[];
  esm: string[];
  /** The block is an ES module only (top-level await). */
  esmOnly: boolean;
}

function formatted(diagnostics: readonly ts.Diagnostic[]): string[] {
  return diagnostics.map((d) => {
    const where = d.file !== undefined && d.start !== undefined ? `:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}` : "";
    return `TS${d.code}${where} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });
}

function check(files: string[], configJson: { compilerOptions: object }, baseDir: string): Map<string, readonly ts.Diagnostic[]> {
  const { options, errors } = ts.convertCompilerOptionsFromJson(configJson.compilerOptions, baseDir);
  if (errors.length > 0) throw new Error(`bad compiler options: ${formatted(errors).join("; ")}`);
  const program = ts.createProgram(files, { ...options, noEmit: true });
  const general = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  const out = new Map<string, readonly ts.Diagnostic[]>();
  for (const f of files) {
    const sf = program.getSourceFile(f);
    if (sf === undefined) throw new Error(`${f} is not in the program`);
    out.set(f, [...general, ...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]);
  }
  return out;
}

/**
 * Writes every README block into `projectDir` (readme-examples/cjs/ and readme-examples/esm/, which resolve packages
 * from the project's node_modules) and type-checks them; returns one report per block.
 */
export function checkReadmeBlocks(projectDir: string): BlockReport[] {
  const blocks = readmeBlocks();
  const root = join(projectDir, "readme-examples");
  const cjsDir = join(root, "cjs");
  const esmDir = join(root, "esm");
  mkdirSync(cjsDir, { recursive: true });
  mkdirSync(esmDir, { recursive: true });
  writeFileSync(join(cjsDir, "package.json"), JSON.stringify({ type: "commonjs" }));
  writeFileSync(join(esmDir, "package.json"), JSON.stringify({ type: "module" }));
  const cjsFiles = blocks.map((b, i) => {
    const f = join(cjsDir, `block-${i + 1}-line-${b.line}.ts`);
    writeFileSync(f, b.text);
    return f;
  });
  const esmFiles = blocks.map((b, i) => {
    const f = join(esmDir, `block-${i + 1}-line-${b.line}.ts`);
    writeFileSync(f, b.text);
    return f;
  });
  const cjs = check(cjsFiles, TEMPLATE_TSCONFIG, projectDir);
  const esm = check(esmFiles, ESM_TSCONFIG, projectDir);
  return blocks.map((block, i) => {
    const c = cjs.get(cjsFiles[i] ?? "") ?? [];
    const e = esm.get(esmFiles[i] ?? "") ?? [];
    const esmOnly = c.length > 0 && c.every((d) => TOP_LEVEL_AWAIT_CODES.has(d.code));
    return { block, commonjs: esmOnly ? [] : formatted(c), esm: formatted(e), esmOnly };
  });
}
