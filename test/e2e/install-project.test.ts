/**
 * pulumi-winrm-proxy in a user's own project, outside this repository, installed the ways people install it, on the
 * real Pulumi CLI v3.248.0 against an emulated Windows host (in this process, HTTP with NTLM and message
 * encryption):
 *
 * 1. from a tarball (`npm pack`, its `prepare` building the shipped code), in a project laid out exactly as
 *    `pulumi new typescript` lays it out (tsconfig.json with module commonjs / moduleResolution node), with the
 *    lowest @pulumi/pulumi of the package's peerDependencies range and with the pinned one;
 * 2. the same tarball in an ES-module project ("type": "module", nodenext);
 * 3. from `git+file://` of a fresh clone of HEAD (npm installs the clone's devDependencies and runs `prepare`).
 *
 * The program is the index.ts of the README's "Use it in your project" section, the connection's password a
 * secret from stack config. Each variant: `pulumi preview` (which sends nothing to the host), `pulumi up` (a
 * RemoteCommand running `hostname`, a WinHttpProxySetting), outputs, the host's registry value and request log, and
 * no plaintext password in the state; the lowest SDK also runs `pulumi destroy` (the host gets its setting back).
 * With the pinned SDK, every ```ts block of README.md is type-checked against the installed package.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EmulatedHost } from "../emulator/host/host.js";
import { shortAction } from "../emulator/requestLog.js";
import { WinRMEmulator } from "../emulator/server.js";
import { pulumiEngine } from "../integration/pulumiEngineHarness.js";
import { checkReadmeBlocks, readmeProgram } from "./readmeExamples.js";
import { freshClone, packPackage, REPO_ROOT, UserProject, type ModuleKind } from "./userProject.js";

const engine = pulumiEngine();
const skip = "skip" in engine ? engine.skip : false;

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
const LOWEST_SDK = PEER_RANGE.startsWith("^") ? PEER_RANGE.slice(1) : "";
/** The release the repository pins (the engine's): the newest the tests run. */
const PINNED_SDK = manifest.devDependencies["@pulumi/pulumi"] ?? "";

interface Variant {
  name: string;
  kind: ModuleKind;
  sdk: string;
  source: "tarball" | "git";
  destroy?: boolean;
  readme?: boolean;
}

describe("installed in a user's project: tarball, git URL, CommonJS and ES module, lowest and pinned @pulumi/pulumi", { skip }, () => {
  let dir: string;
  let tarball: string;
  let gitSpec: string;

  before(
    async () => {
      assert.match(LOWEST_SDK, /^3\.\d+\.\d+$/, `peerDependencies["@pulumi/pulumi"] is "${PEER_RANGE}", not ^3.x.y`);
      dir = mkdtempSync(join(tmpdir(), "winrm-install-"));
      tarball = await packPackage(dir);
      gitSpec = await freshClone(dir);
    },
    { timeout: 240_000 },
  );
  after(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const variants: Variant[] = [
    { name: "tarball, pulumi new typescript (CommonJS), lowest SDK", kind: "commonjs", sdk: LOWEST_SDK, source: "tarball", destroy: true },
    { name: "tarball, pulumi new typescript (CommonJS), pinned SDK", kind: "commonjs", sdk: PINNED_SDK, source: "tarball", readme: true },
    { name: "tarball, ES-module project (nodenext), pinned SDK", kind: "esm", sdk: PINNED_SDK, source: "tarball" },
    { name: "git+file:// of a fresh clone, pulumi new typescript (CommonJS), pinned SDK", kind: "commonjs", sdk: PINNED_SDK, source: "git" },
  ];

  for (const v of variants) {
    test(`${v.name} (@pulumi/pulumi ${v.sdk}): preview, up${v.destroy === true ? ", destroy" : ""}`, { timeout: 300_000 }, async (t) => {
      const host = new EmulatedHost({ profile: "win2019", locale: "en-US", computerName: COMPUTER_NAME, domain: "CORP" });
      const emulator = await WinRMEmulator.start({ host, users: [{ username: USER, password: PASSWORD }] });
      const project = new UserProject({ name: `winrm-app-${v.kind}`, kind: v.kind, pulumiVersion: v.sdk, program: PROGRAM });
      try {
        await project.install(v.source === "git" ? gitSpec : tarball);
        const installed = join(project.projectDir, "node_modules", "pulumi-winrm-proxy");
        for (const f of ["dist/sdk/src/index.js", "dist/sdk/src/index.d.ts", "dist/provider/src/index.js", "dist/provider/src/cli/main.js"]) {
          assert.ok(existsSync(join(installed, f)), `the installed package has no ${f}`);
        }
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

        const preview = await project.ok(["preview", "--non-interactive"]);
        assert.match(preview.stdout, /pulumi-nodejs:dynamic\/winrm-proxy:RemoteCommand +hostname +create/);
        assert.match(preview.stdout, /pulumi-nodejs:dynamic\/winrm-proxy:WinHttpProxySetting +winhttp +create/);
        assert.equal(emulator.requests.length, 0, "pulumi preview sent nothing to the host");

        await project.ok(["up", "--yes", "--skip-preview", "--non-interactive"]);
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
        }
      } finally {
        project.dispose();
        await emulator.close();
      }
    });
  }
});
