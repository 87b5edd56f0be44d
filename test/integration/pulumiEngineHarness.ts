// Runs the pinned Pulumi CLI (scripts/pulumi-engine.sh builds it) the way `npm run pulumi` does (scripts/pulumi.mjs),
// on a temporary project with its own file backend and PULUMI_HOME, and stops every process a run leaves behind.
// For the engine test and the end-to-end tests of the resources.
import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const ENGINE_SCRIPT = join(REPO_ROOT, "scripts", "pulumi-engine.sh");
const PULUMI_MJS = join(REPO_ROOT, "scripts", "pulumi.mjs");
/** Environment variable every process of one PulumiProject inherits: how its leftovers are found. */
const MARKER_VAR = "PULUMI_WINRM_TEST_RUN";

/** The engine's bin dir, or why the engine tests must skip (only when it has never been built). */
export function pulumiEngine(): { binDir: string } | { skip: string } {
  const r = spawnSync("bash", [ENGINE_SCRIPT, "--bin-dir"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`scripts/pulumi-engine.sh --bin-dir failed: ${r.stderr}`);
  const binDir = r.stdout.trim();
  if (!existsSync(join(binDir, "pulumi"))) {
    return { skip: `the pinned Pulumi engine is not built (no ${binDir}/pulumi): run bash scripts/setup.sh or bash scripts/pulumi-engine.sh` };
  }
  return { binDir };
}

/** The @pulumi/pulumi version installed in node_modules (the engine must be the same release). */
export function installedPulumiSdkVersion(): string {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8")) as { version: string };
  return pkg.version;
}

export interface PulumiResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface PulumiProjectOptions {
  /** Project name in Pulumi.yaml. */
  name: string;
  /** The program, CommonJS JavaScript (index.js). */
  program: string;
  /** Extra files written into the project directory (relative path -> content). */
  files?: Record<string, string>;
  /** Extra environment for every pulumi run. */
  env?: Record<string, string>;
  /** A run is killed after this long (a hung engine fails the test with its output instead of stalling the suite). */
  killAfterMs?: number;
}

/**
 * A Pulumi project in a fresh temporary directory: Pulumi.yaml (runtime nodejs), the program, node_modules linked to
 * the repository's, a file backend and PULUMI_HOME inside the directory, a fixed test passphrase.
 */
export class PulumiProject {
  readonly dir: string;
  readonly projectDir: string;
  readonly backendDir: string;
  private readonly marker = randomUUID();
  private readonly env: NodeJS.ProcessEnv;
  private readonly killAfterMs: number;

  constructor(opts: PulumiProjectOptions) {
    this.dir = mkdtempSync(join(tmpdir(), "pulumi-winrm-engine-"));
    this.projectDir = join(this.dir, "project");
    this.backendDir = join(this.dir, "state");
    const home = join(this.dir, "home");
    for (const d of [this.projectDir, this.backendDir, home]) mkdirSync(d, { recursive: true });
    writeFileSync(join(this.projectDir, "Pulumi.yaml"), `name: ${opts.name}\nruntime: nodejs\nmain: index.js\n`);
    writeFileSync(join(this.projectDir, "package.json"), JSON.stringify({ name: opts.name, private: true, main: "index.js" }));
    writeFileSync(join(this.projectDir, "index.js"), opts.program);
    for (const [rel, content] of Object.entries(opts.files ?? {})) writeFileSync(join(this.projectDir, rel), content);
    symlinkSync(join(REPO_ROOT, "node_modules"), join(this.projectDir, "node_modules"), "dir");
    this.env = {
      ...process.env,
      PULUMI_BACKEND_URL: `file://${this.backendDir}`,
      PULUMI_HOME: home,
      PULUMI_CONFIG_PASSPHRASE: "engine-test-passphrase",
      PULUMI_CONFIG_PASSPHRASE_FILE: undefined,
      // Plain output for assertions (the CLI honours NO_COLOR).
      NO_COLOR: "1",
      [MARKER_VAR]: this.marker,
      ...opts.env,
    };
    this.killAfterMs = opts.killAfterMs ?? 120_000;
  }

  /** Runs `node scripts/pulumi.mjs ARGS` (what `npm run pulumi -- ARGS` runs) in the project directory. */
  async run(args: string[]): Promise<PulumiResult> {
    const child = spawn(process.execPath, [PULUMI_MJS, ...args], {
      cwd: this.projectDir,
      env: this.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const killer = setTimeout(() => {
      stderr += `\n[harness] pulumi ${args.join(" ")} still running after ${this.killAfterMs} ms: killed\n`;
      child.kill("SIGKILL");
    }, this.killAfterMs);
    const result = await new Promise<PulumiResult>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    }).finally(() => clearTimeout(killer));
    this.killLeftovers();
    return result;
  }

  /** Runs and throws with the whole output unless the exit code is 0. */
  async ok(args: string[]): Promise<PulumiResult> {
    const r = await this.run(args);
    if (r.code !== 0) {
      throw new Error(`pulumi ${args.join(" ")} exited ${r.code ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    }
    return r;
  }

  /**
   * SIGKILLs every process still carrying this project's marker (a plugin or language host the CLI did not stop);
   * returns their pids. Linux /proc; elsewhere nothing is found.
   */
  killLeftovers(): number[] {
    const needle = `${MARKER_VAR}=${this.marker}`;
    const killed: number[] = [];
    let entries: string[];
    try {
      entries = readdirSync("/proc");
    } catch {
      return killed;
    }
    for (const entry of entries) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      if (pid === process.pid) continue;
      let environ: string;
      try {
        environ = readFileSync(`/proc/${pid}/environ`, "latin1");
      } catch {
        continue; // gone already, or not ours
      }
      if (!environ.split("\0").includes(needle)) continue;
      try {
        process.kill(pid, "SIGKILL");
        killed.push(pid);
      } catch {
        // exited in between
      }
    }
    return killed;
  }

  /** Stops leftovers and removes the directory (backend included). */
  dispose(): void {
    this.killLeftovers();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
