/**
 * A user's own Pulumi project, outside this repository, that installs pulumi-winrm-proxy the ways people install
 * packages, for test/e2e/install-project.test.ts:
 *
 * - `packPackage()`: `npm pack` of a copy of the working tree (tracked and untracked-but-not-ignored files, with the
 *   repository's node_modules linked in for the build tools), so npm's `prepare` builds the shipped code (tsc -p
 *   tsconfig.build.json) in the copy and never rewrites this checkout's dist/ while other test files load it.
 * - `freshClone()`: `git clone` of this repository's HEAD into a temporary directory, for a `git+file://` install (npm
 *   clones it again, installs its devDependencies and runs `prepare` before packing it: the case where a missing build
 *   step used to install a package without dist/).
 * - `UserProject`: the files `pulumi new typescript` writes (Pulumi.yaml with runtime nodejs, package.json with
 *   @pulumi/pulumi and typescript/@types/node, index.ts, tsconfig.json with module commonjs / moduleResolution node),
 *   or their ES-module variant, an `npm install` of the package into it, and the pinned CLI run in its directory
 *   (test/integration/pulumiEngineHarness.ts PulumiRunner: temporary file backend and PULUMI_HOME, leftovers killed).
 *
 * npm runs with the user's npm cache (one cache for every install of a run, warm after scripts/setup.sh's `npm ci`),
 * `--prefer-offline`, without audit or fund, and without the `npm_*` variables of an enclosing `npm test`, so it
 * behaves as in a user's shell.
 */
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PulumiRunner, REPO_ROOT, type PulumiResult } from "../integration/pulumiEngineHarness.js";

export { REPO_ROOT };

export interface CommandResult {
  code: number | null;
  output: string;
}

/** The environment of a user's shell: this process's, without what an enclosing `npm test` adds. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.toLowerCase().startsWith("npm_") && k !== "INIT_CWD") env[k] = v;
  }
  return {
    ...env,
    // Also seen by the npm that a git dependency's preparation starts (it inherits the environment).
    npm_config_prefer_offline: "true",
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    ...extra,
  };
}

/** Runs a command to its end (killed after `timeoutMs`); stdout and stderr together. */
export function runCommand(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: userEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
    const killer = setTimeout(() => {
      output += `\n[userProject] ${cmd} ${args.join(" ")} still running after ${timeoutMs} ms: killed\n`;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(killer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(killer);
      resolve({ code, output });
    });
  });
}

/** Runs and throws with the output unless the exit code is 0. */
export async function mustRun(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<string> {
  const r = await runCommand(cmd, args, cwd, timeoutMs);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) exited ${r.code}\n${r.output}`);
  return r.output;
}

/** Files of the working tree a clone would have, plus new files not yet committed (not the ignored ones). */
async function workingTreeFiles(): Promise<string[]> {
  const out = await mustRun("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], REPO_ROOT, 30_000);
  return out.split("\0").filter((f) => f !== "");
}

/**
 * `npm pack` of the working tree, built by the package's own `prepare` in a copy: returns the tarball's path in
 * `dir`.
 */
export async function packPackage(dir: string): Promise<string> {
  const copy = join(dir, "package-src");
  for (const rel of await workingTreeFiles()) {
    const to = join(copy, rel);
    mkdirSync(dirname(to), { recursive: true });
    try {
      cpSync(join(REPO_ROOT, rel), to, { verbatimSymlinks: true });
    } catch (e) {
      // A file deleted in the working tree but still in the index is not part of it.
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }
  symlinkSync(join(REPO_ROOT, "node_modules"), join(copy, "node_modules"), "dir");
  await mustRun("npm", ["pack", "--pack-destination", dir, "--loglevel=error"], copy, 180_000);
  const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"));
  if (tarball === undefined) throw new Error(`npm pack wrote no tarball into ${dir}`);
  return join(dir, tarball);
}

/** A fresh clone of this repository's HEAD; returns the `git+file://` spec that installs that commit. */
export async function freshClone(dir: string): Promise<string> {
  const clone = join(dir, "clone");
  const head = (await mustRun("git", ["rev-parse", "HEAD"], REPO_ROOT, 30_000)).trim();
  await mustRun("git", ["clone", "--quiet", "--no-checkout", REPO_ROOT, clone], dir, 60_000);
  return `git+file://${clone}#${head}`;
}

/** How the project is laid out: `pulumi new typescript` (CommonJS), or its ES-module variant. */
export type ModuleKind = "commonjs" | "esm";

/** tsconfig.json as `pulumi new typescript` writes it (pulumi/templates typescript/tsconfig.json). */
export const TEMPLATE_TSCONFIG = {
  compilerOptions: {
    strict: true,
    outDir: "bin",
    target: "es2020",
    module: "commonjs",
    moduleResolution: "node",
    sourceMap: true,
    experimentalDecorators: true,
    pretty: true,
    noFallthroughCasesInSwitch: true,
    noImplicitReturns: true,
    forceConsistentCasingInFileNames: true,
  },
  files: ["index.ts"],
};

/** The ES-module variant: "type": "module" in package.json, nodenext in tsconfig.json. */
export const ESM_TSCONFIG = {
  compilerOptions: {
    strict: true,
    outDir: "bin",
    target: "es2022",
    module: "nodenext",
    moduleResolution: "nodenext",
    sourceMap: true,
    forceConsistentCasingInFileNames: true,
  },
  files: ["index.ts"],
};

export interface UserProjectOptions {
  /** Project name (Pulumi.yaml). */
  name: string;
  kind: ModuleKind;
  /** The @pulumi/pulumi version the project depends on. */
  pulumiVersion: string;
  /** The program (index.ts). */
  program: string;
}

/** A user's project in a fresh temporary directory, with its own file backend and PULUMI_HOME. */
export class UserProject {
  readonly dir: string;
  readonly projectDir: string;
  readonly backendDir: string;
  readonly runner: PulumiRunner;

  constructor(readonly opts: UserProjectOptions) {
    this.dir = mkdtempSync(join(tmpdir(), "winrm-user-project-"));
    this.projectDir = join(this.dir, opts.name);
    this.backendDir = join(this.dir, "state");
    const home = join(this.dir, "home");
    for (const d of [this.projectDir, this.backendDir, home]) mkdirSync(d, { recursive: true });
    const write = (rel: string, text: string): void => writeFileSync(join(this.projectDir, rel), text);
    // Pulumi.yaml, package.json and tsconfig.json as pulumi/templates typescript/ has them.
    write("Pulumi.yaml", `name: ${opts.name}\ndescription: A minimal TypeScript Pulumi program\nruntime:\n  name: nodejs\n  options:\n    packagemanager: npm\n`);
    const esm = opts.kind === "esm";
    write(
      "package.json",
      JSON.stringify(
        {
          name: opts.name,
          main: "index.ts",
          ...(esm ? { type: "module" } : {}),
          // ts-node's ESM loader: the Pulumi Node.js runtime compiles an ES-module TypeScript program with it when the
          // project has it (@pulumi/pulumi cmd/run/run.js "automatic ESM mode"); its vendored ts-node has none.
          devDependencies: { "@types/node": "^18", typescript: "^5.0.0", ...(esm ? { "ts-node": "^10.9.2" } : {}) },
          dependencies: { "@pulumi/pulumi": opts.pulumiVersion },
        },
        null,
        4,
      ),
    );
    write("tsconfig.json", JSON.stringify(esm ? ESM_TSCONFIG : TEMPLATE_TSCONFIG, null, 4));
    write("index.ts", opts.program);
    this.runner = new PulumiRunner({
      cwd: this.projectDir,
      env: {
        PULUMI_BACKEND_URL: `file://${this.backendDir}`,
        PULUMI_HOME: home,
        PULUMI_CONFIG_PASSPHRASE: "user-project-test-passphrase",
        PULUMI_CONFIG_PASSPHRASE_FILE: undefined,
        NO_COLOR: "1",
      },
      label: `user project ${opts.name}`,
    });
  }

  /** `npm install SPEC` in the project (the package from a tarball or a git URL), with the project's own deps. */
  install(spec: string): Promise<string> {
    return mustRun("npm", ["install", spec, "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], this.projectDir, 240_000);
  }

  run(args: string[], input?: string): Promise<PulumiResult> {
    return this.runner.run(args, input !== undefined ? { input } : {});
  }

  ok(args: string[], input?: string): Promise<PulumiResult> {
    return this.runner.ok(args, input !== undefined ? { input } : {});
  }

  /** Stops leftovers and removes the directory. */
  dispose(): void {
    this.runner.killLeftovers();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
