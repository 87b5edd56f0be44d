/**
 * One installation variant of the user-project tests (test/e2e/install-*.test.ts), from `npm install` to
 * `pulumi up` (and `destroy`), with its assertions; one variant per test file, because the suite runner gives each
 * file 600 s (scripts/run-tests.mjs) and each variant installs and runs a whole project.
 *
 * The program is the index.ts of the README's "Use it in your project" section, the connection's password a
 * secret from stack config. Each variant: `pulumi preview` (which sends nothing to the host), `pulumi up` (a
 * RemoteCommand running `hostname`, a WinHttpProxySetting over http:// with NTLM and message encryption, against an
 * emulated Windows Server 2019 in this process), outputs, the host's registry value and request log, and no
 * plaintext password in the state; optionally `pulumi destroy` (the host gets its setting back) and the type check
 * of every ```ts block of README.md against the installed package.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { EmulatedHost } from "../../provider/src/testing/index.js";
import { shortAction } from "../../provider/src/testing/index.js";
import { WinRMEmulator } from "../../provider/src/testing/index.js";
import { pulumiEngine } from "../integration/pulumiEngineHarness.js";
import { checkReadmeBlocks, readmeProgram } from "./readmeExamples.js";
import { freshClone, packPackage, REPO_ROOT, UserProject, type ModuleKind } from "./userProject.js";

const engine = pulumiEngine();

const USER = "CORP\\deploy";
const PASSWORD = "Install-Test-Passw0rd!";
const COMPUTER_NAME = "WEB-01";
const PROGRAM = readmeProgram("Use it in your project");

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
  peerDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
/** The lowest release of the peer range "^3.N.M" (the range this test proves, at both of its ends we can run). */
const PEER_RANGE = manifest.peerDependencies["@pulumi/pulumi"] ?? "";
export const LOWEST_SDK = PEER_RANGE.startsWith("^") ? PEER_RANGE.slice(1) : "";
/** The release the repository pins (the engine's): the newest the tests run. */
export const PINNED_SDK = manifest.devDependencies["@pulumi/pulumi"] ?? "";

export interface Variant {
  name: string;
  kind: ModuleKind;
  sdk: string;
  source: "tarball" | "git";
  destroy?: boolean;
  readme?: boolean;
}


/** Why the install tests cannot run here (the pinned engine is not built), or false. */
export const installSkip: string | false = "skip" in engine ? engine.skip : false;

/**
 * Registers the test of one variant: packs the working tree (or clones HEAD) into a temporary directory, then
 * installs, previews, deploys and checks.
 */
export function installVariantTest(v: Variant): void {
  const title = `installed in a user's project: ${v.name} (@pulumi/pulumi ${v.sdk}): preview, up${v.destroy === true ? ", destroy" : ""}`;
  test(title, { skip: installSkip, timeout: 590_000 }, async (t) => {
    assert.match(LOWEST_SDK, /^3\.\d+\.\d+$/, `peerDependencies["@pulumi/pulumi"] is "${PEER_RANGE}", not ^3.x.y`);
    const started = Date.now();
    const step = (what: string): void => t.diagnostic(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const dir = mkdtempSync(join(tmpdir(), "winrm-install-"));
    try {
      const spec = v.source === "git" ? await freshClone(dir) : await packPackage(dir);
      step(v.source === "git" ? "cloned HEAD" : "packed");
      await exercise(v, spec, step, t);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

async function exercise(v: Variant, spec: string, step: (what: string) => void, t: { test: (name: string, fn: () => void) => Promise<void> }): Promise<void> {
    const host = new EmulatedHost({ profile: "win2019", locale: "en-US", computerName: COMPUTER_NAME, domain: "CORP" });
    const emulator = await WinRMEmulator.start({ host, users: [{ username: USER, password: PASSWORD }] });
    const project = new UserProject({ name: `winrm-app-${v.kind}`, kind: v.kind, pulumiVersion: v.sdk, program: PROGRAM });
    try {
      await project.install(spec);
      step("npm install");
      const installed = join(project.projectDir, "node_modules", "pulumi-winrm-proxy");
      for (const f of ["dist/sdk/src/index.js", "dist/sdk/src/index.d.ts", "dist/provider/src/index.js", "dist/provider/src/cli/main.js"]) {
        assert.ok(existsSync(join(installed, f)), `the installed package has no ${f}`);
      }
      assert.deepEqual(danglingReferences(installed), [], "nothing the package ships points at a file it does not ship");
      const sdkVersion = (JSON.parse(readFileSync(join(project.projectDir, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8")) as { version: string }).version;
      assert.equal(sdkVersion, v.sdk, "the project runs the @pulumi/pulumi it asked for");

      if (v.readme === true) {
        await t.test("every ```ts block of README.md type-checks against the installed package", () => {
          const reports = checkReadmeBlocks(project.projectDir);
          assert.ok(reports.length >= 4, `README.md has only ${reports.length} TypeScript blocks`);
          const failures = reports.flatMap((r) => [
            ...r.commonjs.map((d) => `README.md:${r.block.line} (${r.block.section}), CommonJS layout: ${d}`),
            ...r.esm.map((d) => `README.md:${r.block.line} (${r.block.section}), ES-module layout: ${d}`),
          ]);
          assert.deepEqual(failures, []);
          // The section a new user follows is CommonJS-clean as written (not merely an ES-module script).
          assert.equal(reports.find((r) => r.block.section === "Use it in your project")?.esmOnly, false);
        });
      }

      await project.ok(["stack", "init", "dev", "--non-interactive"]);
      await project.ok(["config", "set", "endpoint", emulator.url]);
      await project.ok(["config", "set", "username", USER]);
      await project.ok(["config", "set", "--secret", "password"], PASSWORD);

      step("stack config");
      const preview = await project.ok(["preview", "--non-interactive"]);
      step("pulumi preview");
      assert.match(preview.stdout, /pulumi-nodejs:dynamic\/winrm-proxy:RemoteCommand +hostname +create/);
      assert.match(preview.stdout, /pulumi-nodejs:dynamic\/winrm-proxy:WinHttpProxySetting +winhttp +create/);
      assert.equal(emulator.requests.length, 0, "pulumi preview sent nothing to the host");

      await project.ok(["up", "--yes", "--skip-preview", "--non-interactive"]);
      step("pulumi up");
      const outputs = JSON.parse((await project.ok(["stack", "output", "--json", "--show-secrets"])).stdout) as Record<string, unknown>;
      assert.equal(outputs.computerName, COMPUTER_NAME, "the RemoteCommand ran hostname on the host");
      assert.equal(outputs.proxyServer, "proxy.corp.example:8080");
      const live = host.winHttpProxy;
      assert.deepEqual(
        { accessType: live.accessType, proxyServer: live.proxyServer, bypassList: live.bypassList },
        { accessType: "proxy", proxyServer: "proxy.corp.example:8080", bypassList: "<local>;*.corp.example" },
        "the host's WinHttpSettings registry value holds the declared proxy",
      );
      const soap = emulator.requests.filter((r) => r.action !== undefined && r.action !== "Identify");
      const actions = soap.map((r) => shortAction(r.action ?? ""));
      assert.ok(actions.filter((a) => a === "Command").length >= 2, `hostname and the netsh/reg commands ran: ${actions.join(" ")}`);
      for (const r of soap) {
        assert.equal(r.user, USER, `${shortAction(r.action ?? "")} ran as the configured user`);
        assert.ok(r.encrypted, `${shortAction(r.action ?? "")} was sealed (NTLM message encryption over http://)`);
      }
      assert.ok(!emulator.requests.some((r) => r.authScheme === "Basic"), "no Basic authentication over http://");

      const state = (await project.ok(["stack", "export"])).stdout;
      assert.ok(!state.includes(PASSWORD), "the password is not in the state in plain text");
      const types = (JSON.parse(state) as { deployment: { resources: { type: string }[] } }).deployment.resources.map((r) => r.type);
      assert.ok(types.includes("pulumi-nodejs:dynamic/winrm-proxy:RemoteCommand"), `resource types: ${types.join(", ")}`);
      assert.ok(types.includes("pulumi-nodejs:dynamic/winrm-proxy:WinHttpProxySetting"), `resource types: ${types.join(", ")}`);

      if (v.destroy === true) {
        await project.ok(["destroy", "--yes", "--skip-preview", "--non-interactive"]);
        assert.equal(host.winHttpProxy.accessType, "direct", "destroy gave the host back its direct access");
        step("pulumi destroy");
      }
    } finally {
      project.dispose();
      await emulator.close();
    }
}

/**
 * What the installed package refers to but does not contain: a source map's `sources`, a declaration file's relative
 * import, the package.json `main`, `types`, `bin`, `exports` and `typesVersions` targets.
 */
export function danglingReferences(pkgDir: string): string[] {
  const missing: string[] = [];
  const want = (from: string, target: string): void => {
    if (!existsSync(target)) missing.push(`${relative(pkgDir, from)} -> ${relative(pkgDir, target)}`);
  };
  const manifestPath = join(pkgDir, "package.json");
  const pkg = JSON.parse(readFileSync(manifestPath, "utf8")) as {
    main: string;
    types: string;
    bin: Record<string, string>;
    exports: Record<string, string | Record<string, string>>;
    typesVersions: Record<string, Record<string, string[]>>;
  };
  const targets = [
    pkg.main,
    pkg.types,
    ...Object.values(pkg.bin),
    ...Object.values(pkg.exports).flatMap((e) => (typeof e === "string" ? [e] : Object.values(e))),
    ...Object.values(pkg.typesVersions).flatMap((m) => Object.values(m).flat()),
  ];
  for (const t of targets) want(manifestPath, join(pkgDir, t));
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules") walk(path);
      } else if (entry.name.endsWith(".js.map")) {
        const map = JSON.parse(readFileSync(path, "utf8")) as { sources: string[] };
        for (const source of map.sources) want(path, join(dirname(path), source));
      } else if (entry.name.endsWith(".d.ts")) {
        // Declarations are compiler output with one import or export per line; the specifiers are string literals.
        for (const line of readFileSync(path, "utf8").split("\n")) {
          const from = line.lastIndexOf(' from "./') >= 0 ? line.lastIndexOf(' from "./') : line.lastIndexOf(' from "../');
          if (from < 0) continue;
          const start = line.indexOf('"', from) + 1;
          const specifier = line.slice(start, line.indexOf('"', start));
          want(path, join(dirname(path), specifier.replace(/\.js$/, ".d.ts")));
        }
      }
    }
  };
  walk(join(pkgDir, "dist"));
  return missing;
}
