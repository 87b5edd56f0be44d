/**
 * Commands per second, our WinRMClient next to pywinrm, against the emulated host in its own process (win2019, HTTP,
 * NTLM with message encryption), interleaved in rounds (each starting with another kind): N `run("echo i")` on a warm client, N commands on one reused
 * shell (open and close inside the clock), N pywinrm `Session.run_cmd` (its clock includes its one handshake).
 * Requests per command come from the client's own stats. 50 untimed commands of each kind warm the JIT first. Prints min / median of the rounds and `BENCH_JSON {...}`.
 * usage: node dist/bench/commands.js [--commands 200] [--rounds 3]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { WinRMClient } from "../provider/src/client.js";
import { PYTHON, pywinrmMissing, writeOpensslLegacyConf } from "../test/peers/python.js";
import { benchFile, minMedian, pythonEnv, runJson, startEmulatorProcess } from "./processes.js";

/** Untimed commands of each kind before the rounds. */
const WARM_UP = 50;

interface Row {
  seconds: number[];
  requestsPerCommand?: number;
  error?: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { commands: { type: "string", default: "200" }, rounds: { type: "string", default: "3" } } });
  const n = Number(values.commands);
  const rounds = Number(values.rounds);
  const emu = await startEmulatorProcess(false);
  const dir = mkdtempSync(join(tmpdir(), "bench-commands-"));
  const missing = pywinrmMissing();
  const rows: Record<string, Row> = { "ours run()": { seconds: [] }, "ours reused shell": { seconds: [] }, "pywinrm run_cmd": { seconds: [] } };
  const client = new WinRMClient({ endpoint: emu.url, auth: { mechanism: "negotiate", username: emu.username, password: emu.password }, messageEncryption: "always" });
  try {
    const conf = writeOpensslLegacyConf(dir);
    // Warm-up, not timed: the JIT compiles the client's hot paths (pywinrm's interpreter has none to warm).
    for (let i = 0; i < WARM_UP; i++) await client.run(`echo ${i}`);
    const warmShell = await client.openShell();
    for (let i = 0; i < WARM_UP; i++) await warmShell.run(`echo ${i}`);
    await warmShell.close();
    const timed = async (row: Row, fn: () => Promise<void>): Promise<void> => {
      const r0 = client.stats.requests;
      const t0 = performance.now();
      await fn();
      row.seconds.push((performance.now() - t0) / 1000);
      row.requestsPerCommand = (client.stats.requests - r0) / n;
    };
    const kinds: (() => Promise<void>)[] = [
      () =>
        timed(rows["ours run()"] as Row, async () => {
          for (let i = 0; i < n; i++) {
            const r = await client.run(`echo ${i}`);
            if (r.stdout.trim() !== String(i)) throw new Error(`run(): echo ${i} gave ${JSON.stringify(r.stdout)}`);
          }
        }),
      () =>
        timed(rows["ours reused shell"] as Row, async () => {
          const sh = await client.openShell();
          for (let i = 0; i < n; i++) {
            const r = await sh.run(`echo ${i}`);
            if (r.stdout.trim() !== String(i)) throw new Error(`shell: echo ${i} gave ${JSON.stringify(r.stdout)}`);
          }
          await sh.close();
        }),
      async () => {
        const py = rows["pywinrm run_cmd"] as Row;
        if (missing !== false) {
          py.error = missing;
          return;
        }
        const r = await runJson<{ seconds?: number }>(PYTHON, [benchFile("../../bench/pywinrm_bench.py"), emu.url, emu.username, emu.password, String(n)], pythonEnv(conf));
        if (r.seconds !== undefined) py.seconds.push(r.seconds);
        else py.error = r.error ?? "no result";
      },
    ];
    // Each round starts with another kind, so none always runs first (right after a python process ends, say).
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < kinds.length; k++) await (kinds[(round + k) % kinds.length] as () => Promise<void>)();
    }
  } finally {
    await client.close();
    emu.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`commands: ${n} sequential "echo i", ${rounds} rounds interleaved, win2019 emulator in its own process, HTTP + NTLM sealing`);
  const median = (k: string): number | undefined => minMedian(rows[k]?.seconds ?? [])?.median;
  for (const [k, r] of Object.entries(rows)) {
    const m = minMedian(r.seconds);
    if (m === undefined) {
      console.log(`  ${k.padEnd(18)} skipped: ${r.error ?? "no rounds"}`);
      continue;
    }
    const perCmd = r.requestsPerCommand !== undefined ? `  ${r.requestsPerCommand.toFixed(2)} req/cmd` : "";
    console.log(`  ${k.padEnd(18)} ${(n / m.median).toFixed(0)} commands/s median (best ${(n / m.min).toFixed(0)}), ${((m.median * 1000) / n).toFixed(2)} ms/cmd${perCmd}`);
  }
  const py = median("pywinrm run_cmd");
  const ours = median("ours run()");
  const shell = median("ours reused shell");
  if (py !== undefined && ours !== undefined && shell !== undefined) {
    console.log(`  medians, pywinrm / ours: ${(py / ours).toFixed(2)}x with run(), ${(py / shell).toFixed(2)}x on a reused shell`);
  }
  console.log(`BENCH_JSON ${JSON.stringify({ commands: { n, rounds, rows } })}`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
