/**
 * One download of the throughput benchmark, in its own process: `bench-output N` through WinRMClient.stream(), the
 * output decoded and dropped as it arrives. Prints one JSON line {bytes, seconds, maxRssMb, startRssMb, requests}.
 * usage: node dist/bench/bulkClient.js URL USER PASSWORD BYTES [CA_PEM_FILE]
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { WinRMClient } from "../provider/src/client.js";

async function main(): Promise<void> {
  const [url = "", username = "", password = "", bytesArg = "0", caFile] = process.argv.slice(2);
  const https = url.startsWith("https:");
  const client = new WinRMClient({
    endpoint: url,
    auth: { mechanism: "negotiate", username, password },
    ...(https ? { tls: { ca: readFileSync(caFile ?? "", "utf8"), serverName: "localhost" } } : { messageEncryption: "always" as const }),
  });
  try {
    await client.run("echo warm");
    const before = client.stats.requests;
    const startRssMb = process.memoryUsage().rss / 1024 / 1024;
    const t0 = performance.now();
    let chars = 0;
    let exit = -1;
    for await (const c of client.stream(`bench-output ${bytesArg}`)) {
      if (c.type === "exit") exit = c.exitCode;
      else chars += c.text.length;
    }
    const seconds = (performance.now() - t0) / 1000;
    if (exit !== 0 || chars !== Number(bytesArg)) throw new Error(`got ${chars} characters, exit ${exit}`);
    const maxRssMb = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(`${JSON.stringify({ bytes: chars, seconds, maxRssMb, startRssMb, requests: client.stats.requests - before })}\n`);
  } finally {
    await client.close();
  }
}

void main().catch((e: unknown) => {
  process.stdout.write(`${JSON.stringify({ error: e instanceof Error ? e.message : String(e) })}\n`);
  process.exit(1);
});
