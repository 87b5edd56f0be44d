/**
 * Throughput of one large command output, our WinRMClient next to pywinrm against the same emulated host
 * (bench/bulkEmulator.ts, win2019, in its own process), each client in its own process so its peak RSS is its own:
 * MB/s, peak RSS and Receive requests for `bench-output N` over HTTP with NTLM message encryption and over HTTPS.
 * usage: node dist/bench/throughput.js [--mib 200] [--gib] (--gib: 1 GiB). Prints a table and `BENCH_JSON {...}`.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { PYTHON, pywinrmMissing, writeOpensslLegacyConf } from "../test/peers/python.js";

const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));

interface Emu {
  url: string;
  caPem?: string;
  username: string;
  password: string;
  child: ChildProcess;
}

async function startEmulator(tls: boolean): Promise<Emu> {
  const child = spawn(process.execPath, [here("./bulkEmulator.js"), ...(tls ? ["--tls"] : [])], { stdio: ["pipe", "pipe", "inherit"] });
  const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const line = await new Promise<string>((resolve, reject) => {
    rl.once("line", resolve);
    child.once("exit", (c) => reject(new Error(`emulator exited (${String(c)})`)));
  });
  rl.close();
  return { ...(JSON.parse(line) as Omit<Emu, "child">), child };
}

interface Sample {
  bytes?: number;
  seconds?: number;
  maxRssMb?: number;
  requests?: number;
  error?: string;
}

function runJson(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Sample> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: env ?? process.env, timeout: 1_800_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const last = stdout.trim().split("\n").pop() ?? "";
      try {
        resolve(JSON.parse(last) as Sample);
      } catch {
        resolve({ error: `${err?.message ?? "no JSON"} ${stderr.trim().split("\n").pop() ?? ""}` });
      }
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { mib: { type: "string", default: "200" }, gib: { type: "boolean", default: false } } });
  const bytes = values.gib ? 1024 * 1024 * 1024 : Number(values.mib) * 1024 * 1024;
  const dir = mkdtempSync(join(tmpdir(), "bench-throughput-"));
  const opensslConf = writeOpensslLegacyConf(dir);
  const missing = pywinrmMissing();
  const rows: Record<string, Sample> = {};
  try {
    for (const tls of [false, true]) {
      const emu = await startEmulator(tls);
      const path = tls ? "https" : "http-sealed";
      try {
        const ca = join(dir, "ca.pem");
        if (emu.caPem !== undefined) writeFileSync(ca, emu.caPem);
        rows[`ours ${path}`] = await runJson(process.execPath, [here("./bulkClient.js"), emu.url, emu.username, emu.password, String(bytes), ca]);
        rows[`pywinrm ${path}`] =
          missing !== false
            ? { error: missing }
            : await runJson(PYTHON, [here("../../bench/pywinrm_bulk.py"), emu.url, emu.username, emu.password, String(bytes)], {
                PATH: process.env.PATH ?? "/usr/bin:/bin",
                OPENSSL_CONF: opensslConf,
                NO_PROXY: "*",
              });
      } finally {
        emu.child.stdin?.end();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const mbps = (s: Sample): number | undefined => (s.bytes !== undefined && s.seconds ? s.bytes / 1e6 / s.seconds : undefined);
  console.log(`throughput: ${bytes / 1024 / 1024} MiB of stdout, one command (win2019 emulator in its own process)`);
  for (const [k, s] of Object.entries(rows)) {
    const m = mbps(s);
    console.log(
      `  ${k.padEnd(20)} ${s.error !== undefined ? `skipped: ${s.error}` : `${m?.toFixed(1)} MB/s  peak RSS ${s.maxRssMb?.toFixed(0)} MB  ${s.requests} requests`}`,
    );
  }
  for (const path of ["http-sealed", "https"]) {
    const a = mbps(rows[`ours ${path}`] ?? {});
    const b = mbps(rows[`pywinrm ${path}`] ?? {});
    if (a !== undefined && b !== undefined) console.log(`  ${path}: ours / pywinrm = ${(a / b).toFixed(2)}x`);
  }
  console.log(`BENCH_JSON ${JSON.stringify({ throughput: { bytes, rows } })}`);
}

void main();
