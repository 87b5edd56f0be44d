/**
 * The emulated host of the throughput benchmark, in its own process (so each client's peak RSS is its own): the real
 * EmulatedHost (win2019) with one extra command, `bench-output N`, that prints N bytes of ASCII (a repeating line)
 * on stdout. The output is made once, as one Buffer, and handed to Receives slice by slice, so the host's cost per
 * byte is near zero and the client is what is measured.
 * usage: node dist/bench/bulkEmulator.js [--tls]; prints one JSON line {url, caPem, username, password}; stops when
 * its stdin closes.
 */
import { EmulatedHost, type RunningCommand } from "../provider/src/testing/index.js";
import { WinRMEmulator } from "../provider/src/testing/index.js";

export const BENCH_PASSWORD = "Bench-Pa55!";

const LINE = Buffer.from("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-output-of-a-benchmark!!\r\n");

function bulk(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let off = 0; off < n; off += LINE.length) LINE.copy(b, off, 0, Math.min(LINE.length, n - off));
  return b;
}

class BulkHost extends EmulatedHost {
  override startCommand(commandLine: string, opts: { env: Record<string, string>; cwd?: string; codePage: number }): RunningCommand {
    const m = /^bench-output (\d{1,11})$/.exec(commandLine.trim());
    if (m === null) return super.startCommand(commandLine, opts);
    const n = Number(m[1]);
    return { readsStdin: false, run: () => Promise.resolve({ stdout: bulk(n), stderr: Buffer.alloc(0), exitCode: 0 }) };
  }
}

async function main(): Promise<void> {
  const tls = process.argv.includes("--tls");
  const host = new BulkHost({ profile: "win2019", locale: "en-US" });
  const username = `${host.domain}\\bench`;
  const emu = await WinRMEmulator.start({ host, users: [{ username, password: BENCH_PASSWORD }], listenHost: "127.0.0.1", port: 0, tls });
  process.stdout.write(`${JSON.stringify({ url: emu.url, caPem: tls ? emu.caPem : undefined, username, password: BENCH_PASSWORD })}\n`);
  process.stdin.resume();
  process.stdin.on("end", () => {
    void emu.close().then(() => process.exit(0));
  });
}

if (process.argv[1]?.endsWith("bulkEmulator.js")) void main();
