/**
 * Micro-benchmark of CredSSP message encryption over http:// (MS-WSMV 2.2.9.1.3; auth/credsspSealer.ts,
 * auth/sealedBody.ts): a client and the emulated host's acceptor complete one CredSSP handshake in memory, then the
 * host seals and the client unseals bodies the size of a small request (2 KiB) and of full ReceiveResponses (150 KiB
 * and 500 KiB, MaxEnvelopeSize; 10 and 32 TLS records as multipart/x-multi-encrypted). Reports MB/s, the bytes the
 * framing adds, and messages per second. Compare with bench/sealing.ts (NTLM's RC4).
 * usage: node dist/bench/credsspSealing.js [--seconds 2]
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { CredSSPMechanism } from "../provider/src/auth/credssp.js";
import { openBody, sealBody } from "../provider/src/auth/sealedBody.js";
import { CredSSPAcceptor, generateTlsMaterial } from "../provider/src/testing/index.js";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "2" } } });
const seconds = Number(values.seconds);

async function pair(): Promise<{ client: CredSSPMechanism; host: CredSSPAcceptor }> {
  const material = await generateTlsMaterial();
  const client = new CredSSPMechanism({ credentials: { username: "bench", password: "B3nch!" } });
  const host = new CredSSPAcceptor({
    ntlm: { users: [{ domain: "", user: "bench", password: "B3nch!" }], netbiosDomain: "WIN", netbiosComputer: "WIN", dnsComputer: "win", dnsDomain: "win" },
    certPem: material.certPem,
    keyPem: material.keyPem,
  });
  let token: Uint8Array | undefined;
  for (let leg = 0; leg < 10 && !host.complete; leg++) {
    const out = await client.step({ token, channelBindings: undefined });
    token = (await host.step(out!)).token;
  }
  if (!host.complete) throw new Error("no CredSSP context");
  return { client, host };
}

async function main(): Promise<void> {
  const { client, host } = await pair();
  const results: Record<string, { mbPerSecond: number; messagesPerSecond: number; framingBytes: number }> = {};
  try {
    for (const size of [2048, 153600, 512000]) {
      const plain = Buffer.alloc(size, 0x41);
      let n = 0;
      let framing = 0;
      const t0 = performance.now();
      const stop = t0 + seconds * 1000;
      while (performance.now() < stop) {
        const body = await sealBody(host.sealer(), plain);
        framing = body.body.length - size;
        await openBody(client.recordSealer(), body.contentType, body.body, { maxPlaintext: 512000, sender: "bench" });
        n++;
      }
      const s = (performance.now() - t0) / 1000;
      results[String(size)] = { mbPerSecond: (n * size) / 1e6 / s, messagesPerSecond: n / s, framingBytes: framing };
      console.log(
        `  ${String(size).padStart(6)} B messages: ${((n * size) / 1e6 / s).toFixed(1)} MB/s (seal + unseal), ` +
          `${(n / s).toFixed(0)} messages/s, ${framing} bytes of framing`,
      );
    }
  } finally {
    client.dispose();
    host.dispose();
  }
  console.log(`BENCH_JSON ${JSON.stringify({ credsspSealing: results })}`);
}

void main();
