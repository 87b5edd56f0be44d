/**
 * Commands over a link with added round-trip time: the emulated host (win2019, HTTP, NTLM message encryption) behind
 * a delay relay (bench/delayRelay.ts, RTT 20 ms by default). Runs N `run("echo i")` and N commands on a reused shell
 * with our client, and N pywinrm `run_cmd`, and reports requests per command and wall / (requests x RTT): 1.0 is the
 * floor, where the link is the only cost.
 * usage: node dist/bench/latency.js [--rtt-ms 20] [--commands 30]
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { WinRMClient } from "../provider/src/client.js";
import { EmulatedHost } from "../provider/src/testing/index.js";
import { WinRMEmulator } from "../provider/src/testing/index.js";
import { PYTHON, pywinrmMissing, writeOpensslLegacyConf } from "../test/peers/python.js";
import { startDelayRelay } from "./delayRelay.js";

const PASSWORD = "Bench-Pa55!";
const PYWINRM_SCRIPT = fileURLToPath(new URL("../../bench/pywinrm_bench.py", import.meta.url));

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { "rtt-ms": { type: "string", default: "20" }, commands: { type: "string", default: "30" } } });
  const rtt = Number(values["rtt-ms"]);
  const n = Number(values.commands);
  const host = new EmulatedHost({ profile: "win2019", locale: "en-US" });
  const username = `${host.domain}\\bench`;
  const emu = await WinRMEmulator.start({ host, users: [{ username, password: PASSWORD }], listenHost: "127.0.0.1", port: 0 });
  const relay = await startDelayRelay(emu.port, rtt / 2);
  const url = `http://127.0.0.1:${relay.port}/wsman`;
  const rows: Record<string, { seconds: number; requests: number; perCommand: number; overFloor: number } | { skipped: string }> = {};
  const measure = async (name: string, fn: () => Promise<void>): Promise<void> => {
    const from = emu.requests.length;
    const t0 = performance.now();
    await fn();
    const seconds = (performance.now() - t0) / 1000;
    const requests = emu.requests.length - from;
    rows[name] = { seconds, requests, perCommand: requests / n, overFloor: seconds / ((requests * rtt) / 1000) };
  };
  try {
    const client = new WinRMClient({ endpoint: url, auth: { mechanism: "negotiate", username, password: PASSWORD }, messageEncryption: "always" });
    await client.run("echo warm");
    await measure("ours run()", async () => {
      for (let i = 0; i < n; i++) await client.run(`echo ${i}`);
    });
    const shell = await client.openShell();
    await measure("ours reused shell", async () => {
      for (let i = 0; i < n; i++) await shell.run(`echo ${i}`);
    });
    await shell.close();
    await client.close();
    const missing = pywinrmMissing();
    if (missing !== false) {
      rows["pywinrm run_cmd"] = { skipped: missing };
    } else {
      const dir = mkdtempSync(join(tmpdir(), "bench-latency-"));
      try {
        const conf = writeOpensslLegacyConf(dir);
        await measure("pywinrm run_cmd", () =>
          new Promise<void>((resolve, reject) => {
            execFile(PYTHON, [PYWINRM_SCRIPT, url, username, PASSWORD, String(n)], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", OPENSSL_CONF: conf, NO_PROXY: "*" }, timeout: 600_000 }, (err) => {
              if (err) reject(new Error(`pywinrm failed: ${err.message}`));
              else resolve();
            });
          }),
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await relay.close();
    await emu.close();
  }
  console.log(`latency: ${n} commands each, RTT ${rtt} ms added by a delay relay on loopback`);
  for (const [k, r] of Object.entries(rows)) {
    if ("skipped" in r) console.log(`  ${k.padEnd(18)} skipped: ${r.skipped}`);
    else console.log(`  ${k.padEnd(18)} ${(r.seconds * 1000 / n).toFixed(1)} ms/cmd  ${r.perCommand.toFixed(2)} req/cmd  wall / (requests x RTT) = ${r.overFloor.toFixed(2)}`);
  }
  console.log(`BENCH_JSON ${JSON.stringify({ latency: { rttMs: rtt, commands: n, rows } })}`);
}

void main();
