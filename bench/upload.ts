/**
 * Upload throughput of file copy (provider/src/copy) next to the download throughput of the same connection: one
 * WinRMClient over HTTP with NTLM message encryption against the bench emulator (bench/bulkEmulator.ts, win2019, in
 * its own process). Download: `bench-output N` read through stream(). Upload: copyToRemote of an N-byte random file,
 * hash verified on the host (the copy fails otherwise), the remote file removed between rounds. Rounds interleave.
 * `--small N` adds a directory of N small files (1-10 KiB) copied once: requests per file and files per second.
 * usage: node dist/bench/upload.js [--mib 100] [--rounds 2] [--small 200]. Prints a table and `BENCH_JSON {...}`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { WinRMClient } from "../provider/src/client.js";
import { copyToRemote, removeRemote } from "../provider/src/copy/index.js";

const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));

async function startEmulator(): Promise<{ url: string; username: string; password: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [...process.execArgv, here("./bulkEmulator.js")], { stdio: ["pipe", "pipe", "inherit"] });
  const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const line = await new Promise<string>((resolve, reject) => {
    rl.once("line", resolve);
    child.once("exit", (c) => reject(new Error(`emulator exited (${String(c)})`)));
  });
  rl.close();
  return { ...(JSON.parse(line) as { url: string; username: string; password: string }), child };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { mib: { type: "string", default: "100" }, rounds: { type: "string", default: "2" }, small: { type: "string", default: "0" } },
  });
  const smallCount = Number(values.small);
  const bytes = Number(values.mib) * 1024 * 1024;
  const rounds = Number(values.rounds);
  const dir = mkdtempSync(join(tmpdir(), "bench-upload-"));
  const file = join(dir, "upload.bin");
  writeFileSync(file, randomBytes(bytes));
  const emu = await startEmulator();
  const client = new WinRMClient({ endpoint: emu.url, auth: { mechanism: "ntlm", username: emu.username, password: emu.password } });
  const down: number[] = [];
  const up: number[] = [];
  let sends = 0;
  let requestsPerUpload = 0;
  let small: { files: number; requests: number; seconds: number } | undefined;
  try {
    await client.identify();
    for (let i = 0; i < rounds; i++) {
      let t = process.hrtime.bigint();
      let got = 0;
      for await (const c of client.stream(`bench-output ${bytes}`)) if (c.type === "stdout") got += Buffer.byteLength(c.text);
      if (got !== bytes) throw new Error(`download: ${got} bytes, expected ${bytes}`);
      down.push(bytes / 1e6 / (Number(process.hrtime.bigint() - t) / 1e9));

      const before = client.stats.requests;
      t = process.hrtime.bigint();
      const r = await copyToRemote(client, file, "C:\\bench\\upload.bin");
      const seconds = Number(process.hrtime.bigint() - t) / 1e9;
      if (r.bytesSent !== bytes || r.files[0]?.skipped !== false) throw new Error("upload: not a full verified copy");
      up.push(bytes / 1e6 / seconds);
      requestsPerUpload = client.stats.requests - before;
      sends = Math.ceil(bytes / 285_000);
      await removeRemote(client, "C:\\bench\\upload.bin");
    }
    if (smallCount > 0) {
      const tree = join(dir, "small");
      mkdirSync(join(tree, "sub"), { recursive: true });
      for (let i = 0; i < smallCount; i++) writeFileSync(join(tree, i % 4 === 0 ? "sub" : "", `f${i}.txt`), randomBytes(1024 + ((i * 977) % 9216)));
      const before = client.stats.requests;
      const t = process.hrtime.bigint();
      const r = await copyToRemote(client, tree, "C:\\bench\\small");
      const seconds = Number(process.hrtime.bigint() - t) / 1e9;
      if (r.files.length !== smallCount || r.files.some((f) => f.skipped)) throw new Error("small files: not a full verified copy");
      small = { files: smallCount, requests: client.stats.requests - before, seconds };
      await removeRemote(client, "C:\\bench\\small");
    }
  } finally {
    await client.close();
    emu.child.stdin?.end();
    rmSync(dir, { recursive: true, force: true });
  }
  const best = (a: number[]): number => Math.max(...a);
  console.log(`upload: ${values.mib} MiB over HTTP with NTLM sealing, one connection (win2019 emulator in its own process), best of ${rounds}`);
  console.log(`  download (stream)     ${best(down).toFixed(1)} MB/s   rounds ${down.map((x) => x.toFixed(1)).join(", ")}`);
  console.log(`  upload (copyToRemote) ${best(up).toFixed(1)} MB/s   rounds ${up.map((x) => x.toFixed(1)).join(", ")}  ${requestsPerUpload} requests (~${sends} Sends), SHA-256 verified on the host`);
  console.log(`  upload / download = ${(best(up) / best(down)).toFixed(2)} (target >= 0.5)`);
  if (small !== undefined) {
    console.log(
      `  ${small.files} small files (1-10 KiB): ${small.requests} requests (${(small.requests / small.files).toFixed(2)} per file), ` +
        `${(small.files / small.seconds).toFixed(0)} files/s`,
    );
  }
  console.log(`BENCH_JSON ${JSON.stringify({ upload: { bytes, downloadMBps: down, uploadMBps: up, requestsPerUpload, ...(small !== undefined ? { small } : {}) } })}`);
}

void main();
