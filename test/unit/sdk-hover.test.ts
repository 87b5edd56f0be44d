/**
 * What an editor shows on hover, through TypeScript's own language service (getQuickInfoAtPosition), for a program
 * that imports the built package as a user's project does: `pulumi-winrm-proxy` resolved through node_modules (the
 * repository's node_modules/pulumi-winrm-proxy -> .. link, made by scripts/link-self.mjs) to the published
 * dist/sdk/src/*.d.ts. Each expected text is read from its source (the zod `.describe()` texts and
 * provider/src/schema/outputs.ts), so the test checks that the source's words reach the hover, whatever they are.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { connectionSchema } from "../../provider/src/connection.js";
import { remoteCommandInputs, winHttpProxySettingInputs } from "../../provider/src/resources/schemas.js";
import { remoteCommandOutputDocs, winHttpProxySettingOutputDocs } from "../../provider/src/schema/outputs.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
// A directory of the repository with a package.json of its own (served from memory), so that the import is no
// self-reference to this package: it resolves as in any project, through node_modules.
const projectDir = join(root, "test", "hover-probe");
const programFile = join(projectDir, "index.ts");
const projectPackageJson = join(projectDir, "package.json");

const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import { RemoteCommand, WinHttpProxySetting } from "pulumi-winrm-proxy";

const setting = new WinHttpProxySetting("x", {
  connection: {
    endpoint: "https://web-01.corp.example:5986/wsman",
    auth: { mechanism: "ntlm", username: "CORP\\\\deploy", password: pulumi.secret("pw") },
    proxy: { url: "http://proxy.corp.example:3128" },
  },
  proxyServer: "proxy.corp.example:3128",
  bypassList: ["<local>", "*.corp.example"],
});

const command = new RemoteCommand("c", { connection: setting.connection, create: "hostname", shell: "cmd" });

export const out = command.stdout;
export const live = setting.bypassList;
`;

const options: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: ["node"],
};

const read = (f: string): string | undefined =>
  f === programFile ? PROGRAM : f === projectPackageJson ? '{ "name": "hover-probe", "type": "module" }' : ts.sys.readFile(f);
const fileExists = (f: string): boolean => f === programFile || f === projectPackageJson || ts.sys.fileExists(f);

function languageService(): ts.LanguageService {
  const host: ts.LanguageServiceHost = {
    getScriptFileNames: () => [programFile],
    getScriptVersion: () => "1",
    getScriptSnapshot: (f) => {
      const text = read(f);
      return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
    },
    getCurrentDirectory: () => projectDir,
    getCompilationSettings: () => options,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists,
    readFile: read,
    directoryExists: (d) => d === projectDir || ts.sys.directoryExists(d),
    getDirectories: (d) => ts.sys.getDirectories(d),
    realpath: (p) => (ts.sys.realpath ? ts.sys.realpath(p) : p),
  };
  return ts.createLanguageService(host, ts.createDocumentRegistry());
}

/** The offset of `word` inside the first occurrence of `context` in the program. */
function at(context: string, word: string): number {
  const c = PROGRAM.indexOf(context);
  const w = context.indexOf(word);
  assert.ok(c >= 0 && w >= 0, `probe program has no "${context}" with "${word}"`);
  return c + w;
}

const oneLine = (s: string): string => s.replace(/\s+/g, " ").trim();

function described(s: { description?: string | undefined }, what: string): string {
  assert.ok(s.description !== undefined, `${what} has no .describe() text`);
  return s.description;
}

test("hovering inputs and outputs shows their descriptions from the built .d.ts, resolved through node_modules", () => {
  const service = languageService();
  const program = service.getProgram();
  assert.ok(program !== undefined);

  // The package came from node_modules and its published declarations, not from the sources.
  const resolved = ts.resolveModuleName("pulumi-winrm-proxy", programFile, options, { fileExists, readFile: read, realpath: (p) => (ts.sys.realpath ? ts.sys.realpath(p) : p) }, undefined, undefined, ts.ModuleKind.ESNext);
  assert.equal(resolved.resolvedModule?.resolvedFileName, join(root, "dist/sdk/src/index.d.ts"));
  assert.equal(resolved.resolvedModule?.isExternalLibraryImport, true, "resolved as a dependency in node_modules");
  const declarations = program.getSourceFiles().map((f) => f.fileName);
  assert.ok(declarations.includes(join(root, "dist/sdk/src/generated/connection.d.ts")), "the generated .d.ts is loaded");
  assert.ok(!declarations.some((f) => f.startsWith(join(root, "sdk/src"))), "no SDK source file is loaded");

  // The program type-checks against the published types.
  const errors = service.getSemanticDiagnostics(programFile).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  assert.deepEqual(errors, []);

  const auth = connectionSchema.shape.auth;
  const cases: { name: string; position: number; display: string; doc: string }[] = [
    {
      name: "proxyServer",
      position: at('proxyServer: "proxy', "proxyServer"),
      display: "WinHttpProxySettingArgs.proxyServer",
      doc: described(winHttpProxySettingInputs.shape.proxyServer.unwrap(), "proxyServer"),
    },
    {
      name: "bypassList",
      position: at("bypassList: [", "bypassList"),
      display: "WinHttpProxySettingArgs.bypassList",
      doc: described(winHttpProxySettingInputs.shape.bypassList.unwrap(), "bypassList"),
    },
    {
      name: "connection (WinHttpProxySetting)",
      position: at("connection: {", "connection"),
      display: "WinHttpProxySettingArgs.connection",
      doc: described(winHttpProxySettingInputs.shape.connection, "connection"),
    },
    {
      name: "connection.auth",
      position: at("auth: { mechanism", "auth"),
      display: "ConnectionArgs.auth",
      doc: described(auth, "connection.auth"),
    },
    {
      name: "connection.auth.password",
      position: at('password: pulumi.secret("pw")', "password"),
      display: "ConnectionAuthArgs.password",
      doc: described(auth.shape.password, "connection.auth.password"),
    },
    {
      name: "connection.auth.mechanism",
      position: at('mechanism: "ntlm"', "mechanism"),
      display: "ConnectionAuthArgs.mechanism",
      doc: described(auth.shape.mechanism, "connection.auth.mechanism"),
    },
    {
      name: "connection.proxy",
      position: at("proxy: { url", "proxy"),
      display: "ConnectionArgs.proxy",
      doc: described(connectionSchema.shape.proxy, "connection.proxy"),
    },
    {
      name: "RemoteCommand create",
      position: at('create: "hostname"', "create"),
      display: "RemoteCommandArgs.create",
      doc: described(remoteCommandInputs.shape.create, "create"),
    },
    {
      name: "output stdout",
      position: at("command.stdout", "stdout"),
      display: "RemoteCommandOutputs.stdout: pulumi.Output<string>",
      doc: remoteCommandOutputDocs.computed.stdout,
    },
    {
      name: "output bypassList (the live value)",
      position: at("setting.bypassList", "bypassList"),
      display: "WinHttpProxySettingOutputs.bypassList: pulumi.Output<string>",
      doc: winHttpProxySettingOutputDocs.overrides?.bypassList ?? "",
    },
  ];
  for (const c of cases) {
    const info = service.getQuickInfoAtPosition(programFile, c.position);
    assert.ok(info !== undefined, `${c.name}: no quick info`);
    const display = ts.displayPartsToString(info.displayParts);
    assert.ok(display.includes(c.display), `${c.name}: shows "${display}"`);
    assert.notEqual(c.doc, "");
    assert.equal(oneLine(ts.displayPartsToString(info.documentation)), oneLine(c.doc), `${c.name}: documentation`);
  }

  // A default travels as a JSDoc tag.
  const shell = service.getQuickInfoAtPosition(programFile, at('shell: "cmd"', "shell"));
  const dflt = shell?.tags?.find((t) => t.name === "default");
  assert.equal(ts.displayPartsToString(dflt?.text), JSON.stringify(remoteCommandInputs.shape.shell.def.defaultValue));
});
