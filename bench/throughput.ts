/**
 * Throughput of one large command output, our WinRMClient next to pywinrm against the same emulated host
 * (bench/bulkEmulator.ts, win2019, in its own process), each client in its own process so its peak RSS is its own:
 * MB/s, peak RSS and Receive requests for `bench-output N` over HTTP with NTLM message encryption and over HTTPS,
 * in rounds that interleave ours and pywinrm's runs (the machine's load changes under both alike); min / median.
 * usage: node dist/bench/throughput.js [--mib 200] [--gib] [--rounds 3]   (BENCH_GIB=1 is --gib; --gib defaults
 * to 1 round). Prints a table and `BENCH_JSON {...}`.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { PYTHON, pywinrmMissing, writeOpensslLegacyConf } from "../test/peers/python.js";
import { benchFile, minMedian, pythonEnv, runJson, startEmulatorProcess, type EmulatorProcess } from "./processes.js";

interface Sample {
  bytes?: number;
  seconds?: number;
  maxRssMb?: number;
  /** RSS after loading and the warm-up command, before the stream (ours only). */
  startRssMb?: number;
  requests?: number;
  error?: string;
}

const PATHS = ["http-sealed", "https"] as const;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { mib: { type: "string", default: "200" }, gib: { type: "boolean", default: false }, rounds: { type: "string" } },
  });
  const gib = values.gib === true || process.env.BENCH_GIB === "1";
  const bytes = gib ? 1024 * 1024 * 1024 : Number(values.mib) * 1024 * 1024;
  const rounds = Number(values.rounds ?? (gib ? "1" : "3"));
  const dir = mkdtempSync(join(tmpdir(), "bench-throughput-"));
  const opensslConf = writeOpensslLegacyConf(dir);
  const missing = pywinrmMissing();
  const samples: Record<string, Sample[]> = {};
  const emus: Partial<Record<(typeof PATHS)[number], EmulatorProcess>> = {};
  try {
    for (const path of PATHS) {
      const emu = await startEmulatorProcess(path === "https");
      emus[path] = emu;
      if (emu.caPem !== undefined) writeFileSync(join(dir, "ca.pem"), emu.caPem);
    }
    for (let round = 0; round < rounds; round++) {
      for (const path of PATHS) {
        const emu = emus[path] as EmulatorProcess;
        const ours = await runJson<Sample>(process.execPath, [benchFile("./bulkClient.js"), emu.url, emu.username, emu.password, String(bytes), join(dir, "ca.pem")]);
        (samples[`ours ${path}`] ??= []).push(ours);
        const py: Sample =
          missing !== false
            ? { error: missing }
            : await runJson<Sample>(PYTHON, [benchFile("../../bench/pywinrm_bulk.py"), emu.url, emu.username, emu.password, String(bytes)], pythonEnv(opensslConf));
        (samples[`pywinrm ${path}`] ??= []).push(py);
      }
    }
  } finally {
    for (const e of Object.values(emus)) e.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const mbps = (s: Sample): number | undefined => (s.bytes !== undefined && s.seconds ? s.bytes / 1e6 / s.seconds : undefined);
  const summary: Record<string, { mbps?: { min: number; median: number; max: number }; peakRssMb?: number; startRssMb?: number; requests?: number; error?: string }> = {};
  for (const [k, ss] of Object.entries(samples)) {
    const ok = ss.filter((s) => s.error === undefined);
    const rates = ok.map(mbps).filter((m): m is number => m !== undefined);
    const m = minMedian(rates);
    const starts = ok.map((s) => s.startRssMb).filter((x): x is number => x !== undefined);
    summary[k] = {
      ...(m !== undefined ? { mbps: m } : {}),
      ...(ok.length > 0 ? { peakRssMb: Math.max(...ok.map((s) => s.maxRssMb ?? 0)), requests: ok[0]?.requests ?? 0 } : {}),
      ...(starts.length > 0 ? { startRssMb: Math.max(...starts) } : {}),
      ...(ok.length < ss.length ? { error: ss.find((s) => s.error !== undefined)?.error ?? "" } : {}),
    };
  }
  console.log(`throughput: ${bytes / 1024 / 1024} MiB of stdout, one command, ${rounds} round(s) interleaved (win2019 emulator in its own process)`);
  for (const [k, s] of Object.entries(summary)) {
    if (s.mbps === undefined) {
      console.log(`  ${k.padEnd(20)} skipped: ${s.error ?? "no result"}`);
      continue;
    }
    const start = s.startRssMb !== undefined ? ` (${s.startRssMb.toFixed(0)} MB before the stream)` : "";
    console.log(
      `  ${k.padEnd(20)} ${s.mbps.median.toFixed(1)} MB/s median (min ${s.mbps.min.toFixed(1)}, max ${s.mbps.max.toFixed(1)})  peak RSS ${s.peakRssMb?.toFixed(0)} MB${start}  ${s.requests} requests`,
    );
  }
  for (const path of PATHS) {
    const a = summary[`ours ${path}`]?.mbps;
    const b = summary[`pywinrm ${path}`]?.mbps;
    if (a !== undefined && b !== undefined) console.log(`  ${path}: ours / pywinrm = ${(a.median / b.median).toFixed(2)}x (medians), ${(a.min / b.min).toFixed(2)}x (minimums)`);
  }
  console.log(`BENCH_JSON ${JSON.stringify({ throughput: { bytes, rounds, summary, samples } })}`);
}

void main();
