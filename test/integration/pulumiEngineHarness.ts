// Runs the pinned Pulumi CLI (scripts/pulumi-engine.sh builds it) the way `npm run pulumi` does (scripts/pulumi.mjs),
// and stops every process a run leaves behind (PulumiRunner); PulumiProject is a temporary project with its own file
// backend and PULUMI_HOME. For the engine test and the end-to-end tests (test/e2e/fleetLab.ts runs through PulumiRunner).
import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const ENGINE_SCRIPT = join(REPO_ROOT, "scripts", "pulumi-engine.sh");
const PULUMI_MJS = join(REPO_ROOT, "scripts", "pulumi.mjs");
/** Environment variable every process of one PulumiRunner inherits: how its leftovers are found. */
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

export interface RunOptions {
  /** Written to the CLI's stdin (e.g. a secret for `pulumi config set --secret KEY`), then closed. */
  input?: string;
  /** Also copy the output to this process's stdout as it comes (the demo). */
  show?: boolean;
  /** Kill this run after this long instead of the runner's default. */
  killAfterMs?: number;
  /** Sees each complete line of the CLI's output as it arrives (live-output tests time them). */
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
}

export interface PulumiRunnerOptions {
  /** Where the CLI runs: the directory of Pulumi.yaml. */
  cwd: string;
  /** The run's environment on top of this process's (undefined removes a variable). */
  env: Record<string, string | undefined>;
  /** A run is killed after this long (a hung engine fails with its output instead of stalling). Default 120 s. */
  killAfterMs?: number;
  /** Names the runner in the note a killed run adds to stderr. */
  label?: string;
}

/**
 * Runs `node scripts/pulumi.mjs ARGS` (what `npm run pulumi -- ARGS` runs) in one directory with one environment, and
 * stops every process a run leaves behind: each process it starts inherits a marker variable unique to the runner,
 * and after each run whatever still carries it (a plugin or language host the CLI did not stop) is SIGKILLed. The one
 * process runner of the engine test (PulumiProject) and the end-to-end fleet (test/e2e/fleetLab.ts).
 */
export class PulumiRunner {
  readonly cwd: string;
  private readonly marker = randomUUID();
  private readonly env: NodeJS.ProcessEnv;
  private readonly killAfterMs: number;
  private readonly label: string;

  constructor(opts: PulumiRunnerOptions) {
    this.cwd = opts.cwd;
    this.env = { ...process.env, ...opts.env, [MARKER_VAR]: this.marker };
    this.killAfterMs = opts.killAfterMs ?? 120_000;
    this.label = opts.label ?? "harness";
  }

  async run(args: string[], opts: RunOptions = {}): Promise<PulumiResult> {
    const child = spawn(process.execPath, [PULUMI_MJS, ...args], {
      cwd: this.cwd,
      env: this.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const lineSplitter = (stream: "stdout" | "stderr"): ((d: string) => void) => {
      let partial = "";
      return (d) => {
        if (opts.onLine === undefined) return;
        partial += d;
        let nl = partial.indexOf("\n");
        while (nl >= 0) {
          opts.onLine(partial.slice(0, nl), stream);
          partial = partial.slice(nl + 1);
          nl = partial.indexOf("\n");
        }
      };
    };
    const outLines = lineSplitter("stdout");
    const errLines = lineSplitter("stderr");
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      outLines(d);
      if (opts.show === true) process.stdout.write(d);
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      errLines(d);
      if (opts.show === true) process.stdout.write(d);
    });
    child.stdin.end(opts.input ?? "");
    const killAfterMs = opts.killAfterMs ?? this.killAfterMs;
    const killer = setTimeout(() => {
      stderr += `\n[${this.label}] pulumi ${args.join(" ")} still running after ${killAfterMs} ms: killed\n`;
      child.kill("SIGKILL");
    }, killAfterMs);
    const result = await new Promise<PulumiResult>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    }).finally(() => clearTimeout(killer));
    this.killLeftovers();
    return result;
  }

  /** Runs and throws with the whole output unless the exit code is 0. */
  async ok(args: string[], opts: RunOptions = {}): Promise<PulumiResult> {
    const r = await this.run(args, opts);
    if (r.code !== 0) {
      throw new Error(`pulumi ${args.join(" ")} exited ${r.code ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    }
    return r;
  }

  /**
   * SIGKILLs every process still carrying this runner's marker (a plugin or language host the CLI did not stop);
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
export class PulumiProject extends PulumiRunner {
  readonly dir: string;
  readonly projectDir: string;
  readonly backendDir: string;

  constructor(opts: PulumiProjectOptions) {
    const dir = mkdtempSync(join(tmpdir(), "pulumi-winrm-engine-"));
    const projectDir = join(dir, "project");
    const backendDir = join(dir, "state");
    const home = join(dir, "home");
    for (const d of [projectDir, backendDir, home]) mkdirSync(d, { recursive: true });
    writeFileSync(join(projectDir, "Pulumi.yaml"), `name: ${opts.name}\nruntime: nodejs\nmain: index.js\n`);
    writeFileSync(join(projectDir, "package.json"), JSON.stringify({ name: opts.name, private: true, main: "index.js" }));
    writeFileSync(join(projectDir, "index.js"), opts.program);
    for (const [rel, content] of Object.entries(opts.files ?? {})) writeFileSync(join(projectDir, rel), content);
    symlinkSync(join(REPO_ROOT, "node_modules"), join(projectDir, "node_modules"), "dir");
    super({
      cwd: projectDir,
      env: {
        PULUMI_BACKEND_URL: `file://${backendDir}`,
        PULUMI_HOME: home,
        PULUMI_CONFIG_PASSPHRASE: "engine-test-passphrase",
        PULUMI_CONFIG_PASSPHRASE_FILE: undefined,
        // Plain output for assertions (the CLI honours NO_COLOR).
        NO_COLOR: "1",
        ...opts.env,
      },
      ...(opts.killAfterMs !== undefined ? { killAfterMs: opts.killAfterMs } : {}),
    });
    this.dir = dir;
    this.projectDir = projectDir;
    this.backendDir = backendDir;
  }

  /** The stack's state file on the project's backend, as stored. */
  stateFile(stack: string, project: string): string {
    return readFileSync(join(this.backendDir, ".pulumi", "stacks", project, `${stack}.json`), "utf8");
  }

  /** Stops leftovers and removes the directory (backend included). */
  dispose(): void {
    this.killLeftovers();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
