/**
 * What each entry of the package loads: the emulated host (provider/src/testing, with its certificate library
 * @peculiar/x509) is reached only through `pulumi-winrm-proxy/testing` and `winrm-proxy emulate`, never by the
 * client a Pulumi program or the dynamic provider imports, nor by the CLI's other commands (which load it only when
 * asked to emulate: a dynamic import in cli/main.ts). Read from the sources' import declarations with the TypeScript
 * parser, so a new static import of an emulator module from product code fails here.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/** The repository root (this file runs from dist/test/unit). */
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

interface Graph {
  /** Repository-relative paths of the modules reached. */
  modules: Set<string>;
  /** Bare specifiers (packages) imported by them. */
  packages: Set<string>;
}

/** The modules `entry` reaches through static imports and re-exports, and through `import()` when `dynamic`. */
function importGraph(entry: string, dynamic: boolean): Graph {
  const modules = new Set<string>();
  const packages = new Set<string>();
  const pending = [resolve(REPO_ROOT, entry)];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    const rel = relative(REPO_ROOT, file);
    if (modules.has(rel)) continue;
    modules.add(rel);
    const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
    const specifiers: string[] = [];
    const visit = (node: ts.Node): void => {
      if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined) {
        const typeOnly = ts.isImportDeclaration(node) ? node.importClause?.isTypeOnly === true : node.isTypeOnly;
        if (!typeOnly && ts.isStringLiteral(node.moduleSpecifier)) specifiers.push(node.moduleSpecifier.text);
      } else if (dynamic && ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const arg = node.arguments[0];
        if (arg !== undefined && ts.isStringLiteral(arg)) specifiers.push(arg.text);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    for (const spec of specifiers) {
      if (!spec.startsWith(".")) {
        packages.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : (spec.split("/")[0] ?? spec));
        continue;
      }
      const target = join(dirname(file), spec.replace(/\.js$/, ".ts"));
      assert.ok(existsSync(target), `${rel} imports ${spec}, which has no source file`);
      pending.push(target);
    }
  }
  return { modules, packages };
}

const isEmulator = (m: string): boolean => m.startsWith("provider/src/testing/");

void test("the client entry (pulumi-winrm-proxy/provider) loads nothing of the emulated host", () => {
  const g = importGraph("provider/src/index.ts", true);
  assert.ok(g.modules.size > 20, `the walk found only ${g.modules.size} modules`);
  assert.deepEqual([...g.modules].filter(isEmulator), []);
  assert.equal(g.packages.has("@peculiar/x509"), false, "the certificate library is the emulator's");
});

void test("the resources entry (pulumi-winrm-proxy) loads nothing of the emulated host", () => {
  const g = importGraph("sdk/src/index.ts", true);
  assert.deepEqual([...g.modules].filter(isEmulator), []);
  assert.equal(g.packages.has("@peculiar/x509"), false);
});

void test("the CLI loads the emulated host only for `emulate` (a dynamic import)", () => {
  const eager = importGraph("provider/src/cli/main.ts", false);
  assert.deepEqual([...eager.modules].filter(isEmulator), []);
  assert.equal(eager.packages.has("@peculiar/x509"), false);
  const all = importGraph("provider/src/cli/main.ts", true);
  assert.ok(all.modules.has("provider/src/testing/server.ts"), "winrm-proxy emulate reaches the listener");
});

void test("the testing entry reaches the server-side codecs that moved with the emulator", () => {
  const g = importGraph("provider/src/testing/index.ts", true);
  for (const m of ["response", "fault", "identify", "shell", "duration"]) {
    assert.ok(g.modules.has(`provider/src/testing/wsman/${m}.ts`), `testing/wsman/${m}.ts`);
  }
  assert.ok(g.modules.has("provider/src/testing/host/winhttpSettingsWriter.ts"));
});
