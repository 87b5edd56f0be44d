/**
 * Micro-benchmark of NTLM sealing (provider/src/wire/ntlm/sealing.ts: RC4 + HMAC-MD5, MS-NLMP 3.4.3/3.4.4.2): seal by
 * the acceptor and unseal by the initiator of messages the size of a full ReceiveResponse (150 KiB and 500 KiB,
 * MS-WSMV MaxEnvelopeSize), and of small requests (2 KiB). Reports MB/s.
 * usage: node dist/bench/sealing.js [--seconds 2]
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { NegotiateFlags } from "../provider/src/wire/ntlm/flags.js";
import { NtlmSealing } from "../provider/src/wire/ntlm/sealing.js";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "2" } } });
const seconds = Number(values.seconds);
const key = Buffer.alloc(16, 7);
const flags = NegotiateFlags.EXTENDED_SESSIONSECURITY | NegotiateFlags.KEY_EXCH | NegotiateFlags.NEGOTIATE_128 | NegotiateFlags.SEAL | NegotiateFlags.SIGN;

const results: Record<string, { mbPerSecond: number; messages: number }> = {};
for (const size of [2048, 153600, 512000]) {
  const server = new NtlmSealing({ exportedSessionKey: key, flags, role: "acceptor" });
  const client = new NtlmSealing({ exportedSessionKey: key, flags, role: "initiator" });
  const plain = Buffer.alloc(size, 0x41);
  let n = 0;
  const t0 = performance.now();
  const stop = t0 + seconds * 1000;
  while (performance.now() < stop) {
    for (let k = 0; k < 16; k++) {
      const { signature, sealed } = server.seal(plain);
      client.unseal(signature, sealed);
      n++;
    }
  }
  const s = (performance.now() - t0) / 1000;
  // Each message is sealed once and unsealed once: bytes through RC4 + HMAC twice.
  results[String(size)] = { mbPerSecond: (2 * n * size) / 1e6 / s, messages: n };
  console.log(`  ${String(size).padStart(6)} B messages: ${((2 * n * size) / 1e6 / s).toFixed(1)} MB/s (seal + unseal), ${n} messages`);
}
console.log(`BENCH_JSON ${JSON.stringify({ sealing: results })}`);
