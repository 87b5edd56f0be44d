/**
 * Runs the compiled `winrm-proxy` command line (dist/provider/src/cli/main.js) as a child process, the way a user
 * does, and lists the flags its parser accepts (read from the parser's option tables in args.ts, so a flag added
 * there without a line in --help makes the help test fail).
 *
 * The child is spawned asynchronously: the emulator it talks to runs in this process's event loop, so a synchronous
 * spawn would deadlock.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/** dist/provider/src/cli/main.js, next to this file's compiled form (dist/test/integration/cliHarness.js). */
export const CLI_MAIN = fileURLToPath(new URL("../../provider/src/cli/main.js", import.meta.url));
/** The parser's source (repo root is three levels above dist/test/integration). */
export const ARGS_SOURCE = fileURLToPath(new URL("../../../provider/src/cli/args.ts", import.meta.url));

export interface CliResult {
  /** Exit status (null only if the child died of a signal). */
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout as raw bytes, to check the CLI's own output encoding (UTF-8). */
  stdoutBytes: Buffer;
}

/**
 * Run `node main.js ...args`. `env` is added to a copy of this process's environment from which every variable named
 * in `unset` is removed (and node --test's NODE_TEST_CONTEXT, which is not the CLI's business).
 */
export function runCli(args: readonly string[], opts: { env?: Record<string, string>; unset?: readonly string[] } = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  for (const name of opts.unset ?? []) delete env[name];
  Object.assign(env, opts.env ?? {});
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI_MAIN, ...args], { env, encoding: "buffer", maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      // A non-zero exit is an outcome to assert on, not a failure of the harness.
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : undefined;
      if (err !== null && code === undefined && err.signal == null) {
        reject(new Error(`cannot run ${CLI_MAIN}: ${err.message}`));
        return;
      }
      resolve({ status: code ?? null, stdout: stdout.toString("utf8"), stderr: stderr.toString("utf8"), stdoutBytes: stdout });
    });
  });
}

/**
 * Every option of the `parseArgs` tables in args.ts: the property names of each top-level `const x = { ... } as const`
 * object whose values are `{ type: "string" | "boolean", ... }` (a table spread into another is read on its own, so the
 * union covers both). Returns long names with their short aliases.
 */
export function parserOptions(source = readFileSync(ARGS_SOURCE, "utf8")): { long: string; short?: string }[] {
  const file = ts.createSourceFile("args.ts", source, ts.ScriptTarget.ES2022, true);
  const found = new Map<string, string | undefined>();
  const unwrap = (e: ts.Expression): ts.Expression => (ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isParenthesizedExpression(e) ? unwrap(e.expression) : e);
  const propName = (n: ts.PropertyName): string | undefined => (ts.isIdentifier(n) || ts.isStringLiteral(n) ? n.text : undefined);
  const isOptionSpec = (e: ts.Expression): e is ts.ObjectLiteralExpression =>
    ts.isObjectLiteralExpression(e) &&
    e.properties.some((p) => ts.isPropertyAssignment(p) && propName(p.name) === "type" && ts.isStringLiteral(p.initializer) && ["string", "boolean"].includes(p.initializer.text));
  for (const stmt of file.statements) {
    if (!ts.isVariableStatement(stmt)) continue;
    for (const decl of stmt.declarationList.declarations) {
      const init = decl.initializer && unwrap(decl.initializer);
      if (!init || !ts.isObjectLiteralExpression(init)) continue;
      for (const p of init.properties) {
        if (!ts.isPropertyAssignment(p)) continue;
        const name = propName(p.name);
        const spec = unwrap(p.initializer);
        if (name === undefined || !isOptionSpec(spec)) continue;
        const short = spec.properties.find((q) => ts.isPropertyAssignment(q) && propName(q.name) === "short");
        found.set(name, short && ts.isPropertyAssignment(short) && ts.isStringLiteral(short.initializer) ? short.initializer.text : found.get(name));
      }
    }
  }
  return [...found].map(([long, short]) => (short === undefined ? { long } : { long, short }));
}
