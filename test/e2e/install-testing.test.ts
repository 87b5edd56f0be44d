/**
 * The emulated host as a user gets it: `npm pack` of the working tree (test/e2e/userProject.ts packPackage) installed
 * in a project outside the repository, then
 * - the node:test files of docs/testing.md, as written there: "From a test" starts a host through
 *   `pulumi-winrm-proxy/testing` and runs a command on it with the package's own client over HTTPS with the CA the
 *   host hands out; "Testing a Pulumi program" deploys and destroys a stack against a host with the Automation API and
 *   the pinned Pulumi CLI on PATH (skipped, saying so, where that engine is not built);
 * - `npx winrm-proxy emulate` prints its URL, and the package's CLI (`npx winrm-proxy identify`) reaches it.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, before, describe, test } from "node:test";
import ts from "typescript";
import { pulumiEngine } from "../integration/pulumiEngineHarness.js";
import { PINNED_SDK } from "./installVariant.js";
import { typeScriptBlocks } from "./readmeExamples.js";
import { mustRun, packPackage, REPO_ROOT } from "./userProject.js";

/** Runs a command to its end (killed after `timeoutMs`), without this test runner's NODE_TEST_CONTEXT, which would make
 * a child `node --test` skip its files. */
function runIn(cmd: string, args: string[], cwd: string, extraEnv: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  delete env.NODE_TEST_CONTEXT;
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    c.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
    c.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
    const t = setTimeout(() => c.kill("SIGKILL"), timeoutMs);
    c.on("close", (code) => {
      clearTimeout(t);
      resolve({ code, output });
    });
  });
}

/** The ```ts block of docs/testing.md under `heading`, as an ES module a user's project runs (types stripped). */
function docsTestFile(heading: string): string {
  const block = typeScriptBlocks(readFileSync(join(REPO_ROOT, "docs", "testing.md"), "utf8")).find((b) => b.section === heading);
  assert.ok(block, `docs/testing.md has no TypeScript block under "${heading}"`);
  return ts.transpileModule(block.text, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
}

const engine = pulumiEngine();

const USER = "EXAMPLE\\alice";
const PASSWORD = "Passw0rd!";


void describe("pulumi-winrm-proxy/testing from the tarball, in a project outside the repository", () => {
  let dir = "";
  let project = "";
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "winrm-testing-e2e-"));
    const tarball = await packPackage(dir);
    project = join(dir, "user-project");
    await mustRun("mkdir", ["-p", project], dir, 10_000);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "user-tests", version: "1.0.0", private: true, type: "module" }, null, 2));
    // @pulumi/pulumi at the engine's release: the Automation API example drives that CLI.
    await mustRun("npm", ["install", tarball, `@pulumi/pulumi@${PINNED_SDK}`, "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], project, 300_000);
  });
  after(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  void test("docs/testing.md, From a test: a host through the entry runs a command for the package's client", async () => {
    writeFileSync(join(project, "host.test.mjs"), docsTestFile("From a test"));
    const r = await runIn(process.execPath, ["--test", "host.test.mjs"], project, {}, 120_000);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /# pass 1/);
  });

  void test(
    "docs/testing.md, Testing a Pulumi program: up sets the host's WinHTTP proxy, destroy restores it",
    { skip: "skip" in engine ? engine.skip : false },
    async () => {
      if ("skip" in engine) return;
      writeFileSync(join(project, "stack.test.mjs"), docsTestFile("Testing a Pulumi program"));
      const r = await runIn(process.execPath, ["--test", "stack.test.mjs"], project, { PATH: `${engine.binDir}${delimiter}${process.env.PATH ?? ""}` }, 400_000);
      assert.equal(r.code, 0, r.output);
      assert.match(r.output, /# pass 1/);
    },
  );

  void test("npx winrm-proxy emulate serves, and the package's CLI reaches it", async () => {
    const child = spawn("npx", ["--no-install", "winrm-proxy", "emulate", "--listen", "127.0.0.1:0", "--user", `${USER}:${PASSWORD}`], {
      cwd: project,
      stdio: ["ignore", "pipe", "inherit"],
      // Its own process group: npx runs the bin as a grandchild, and a signal to npx alone can leave that running
      // (holding this file's pipe open, so the test process would never end).
      detached: true,
    });
    const stop = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    try {
      let out = "";
      child.stdout.setEncoding("utf8");
      const deadline = setTimeout(() => stop("SIGKILL"), 60_000);
      while (!out.includes("\n")) {
        const [chunk] = (await Promise.race([once(child.stdout, "data"), once(child, "exit").then(() => [""])])) as [string];
        if (chunk === "") throw new Error(`winrm-proxy emulate exited before printing its URL: ${out}`);
        out += chunk;
      }
      clearTimeout(deadline);
      const url = out.split("\n")[0] ?? "";
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/wsman$/);
      const identify = await runIn("npx", ["--no-install", "winrm-proxy", "identify", "--endpoint", url, "--username", USER, "--json"], project, { WINRM_PASSWORD: PASSWORD }, 60_000);
      assert.equal(identify.code, 0, identify.output);
      assert.match(identify.output, /Microsoft Corporation/);
    } finally {
      const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, "exit");
      stop("SIGTERM");
      const force = setTimeout(() => stop("SIGKILL"), 10_000);
      await exited;
      clearTimeout(force);
      child.stdout.destroy();
    }
  });
});
