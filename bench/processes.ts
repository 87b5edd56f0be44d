/**
 * What the benchmarks share: the emulated host in a child process (bench/bulkEmulator.ts; so a client's CPU and RSS
 * are its own, as pywinrm's are), a child that prints one JSON line, and min / median of rounds.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const benchFile = (f: string): string => fileURLToPath(new URL(f, import.meta.url));

export interface EmulatorProcess {
  url: string;
  caPem?: string;
  username: string;
  password: string;
  child: ChildProcess;
  stop(): void;
}

export async function startEmulatorProcess(tls: boolean): Promise<EmulatorProcess> {
  const child = spawn(process.execPath, [benchFile("./bulkEmulator.js"), ...(tls ? ["--tls"] : [])], { stdio: ["pipe", "pipe", "inherit"] });
  const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const line = await new Promise<string>((resolve, reject) => {
    rl.once("line", resolve);
    child.once("exit", (c) => reject(new Error(`emulator exited (${String(c)})`)));
  });
  rl.close();
  const info = JSON.parse(line) as Omit<EmulatorProcess, "child" | "stop">;
  return { ...info, child, stop: () => child.stdin?.end() };
}

/** Run a child that prints one JSON object as its last stdout line; failures become `{ error }`. */
export function runJson<T extends object>(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<T & { error?: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: env ?? process.env, timeout: 1_800_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const last = stdout.trim().split("\n").pop() ?? "";
      try {
        resolve(JSON.parse(last) as T & { error?: string });
      } catch {
        resolve({ error: `${err?.message ?? "no JSON"} ${stderr.trim().split("\n").pop() ?? ""}` } as T & { error?: string });
      }
    });
  });
}

export function minMedian(xs: readonly number[]): { min: number; median: number; max: number } | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  return { min: s[0] as number, median, max: s[s.length - 1] as number };
}

/** The environment pywinrm runs in: no proxy from ours, OpenSSL's legacy provider for MD4. */
export function pythonEnv(opensslConf: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", OPENSSL_CONF: opensslConf, NO_PROXY: "*" };
}
