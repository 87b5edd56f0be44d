/**
 * Does pipelining the Signal terminate of the previous command with the next Command (RFC 9112 9.3.2: both written
 * before the first answer) save a round trip against the emulated host? A measurement, not a feature: the client
 * never pipelines (docs/performance.md says why). Over HTTPS with Basic (no sealing state in play), through the delay
 * relay (RTT 20 ms by default), on one raw TLS connection, N commands on one shell each way:
 *   sequential: Signal, Command, Receive (3 round trips per command);
 *   pipelined:  Signal + Command in one write, both answers read in order, then Receive.
 * usage: node dist/bench/pipelining.js [--rtt-ms 20] [--commands 20]; prints a table and `BENCH_JSON {...}`.
 */
import { connect, type TLSSocket } from "node:tls";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { EmulatedHost, WinRMEmulator } from "../provider/src/testing/index.js";
import { buildRequest } from "../provider/src/wsman/envelope.js";
import { ACTION, RESOURCE_URI, SIGNAL } from "../provider/src/wsman/namespaces.js";
import { parseEnvelope } from "../provider/src/wsman/parse.js";
import {
  commandLineBody,
  parseCommandResponse,
  parseCreateResponse,
  parseReceiveResponse,
  receiveBody,
  shellBody,
  signalBody,
} from "../provider/src/wsman/shell.js";
import { startDelayRelay } from "./delayRelay.js";

const PASSWORD = "Bench-Pa55!";

/** HTTP/1.1 over one socket: requests written as given, responses read in order (Content-Length framing only). */
class RawHttp {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  constructor(private readonly sock: TLSSocket, private readonly auth: string, private readonly host: string) {
    sock.on("data", (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (const w of this.waiters.splice(0)) w();
    });
  }
  request(xml: string): Buffer {
    const body = Buffer.from(xml, "utf8");
    const head =
      `POST /wsman HTTP/1.1\r\nHost: ${this.host}\r\nAuthorization: ${this.auth}\r\n` +
      `Content-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: ${body.length}\r\n\r\n`;
    return Buffer.concat([Buffer.from(head, "latin1"), body]);
  }
  write(...reqs: Buffer[]): void {
    this.sock.write(Buffer.concat(reqs));
  }
  async response(): Promise<{ status: number; xml: string }> {
    for (;;) {
      const end = this.buf.indexOf("\r\n\r\n");
      if (end >= 0) {
        const head = this.buf.subarray(0, end).toString("latin1");
        const len = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? "0");
        if (this.buf.length >= end + 4 + len) {
          const xml = this.buf.subarray(end + 4, end + 4 + len).toString("utf8");
          this.buf = this.buf.subarray(end + 4 + len);
          return { status: Number(head.slice(9, 12)), xml };
        }
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { "rtt-ms": { type: "string", default: "20" }, commands: { type: "string", default: "20" } } });
  const rtt = Number(values["rtt-ms"]);
  const n = Number(values.commands);
  const host = new EmulatedHost({ profile: "win2019", locale: "en-US" });
  host.config.set("winrm/config/service/auth", { Basic: "true" });
  const username = "bench";
  const emu = await WinRMEmulator.start({ host, users: [{ username, password: PASSWORD }], listenHost: "127.0.0.1", port: 0, tls: true });
  const relay = await startDelayRelay(emu.port, rtt / 2);
  const sock = connect({ host: "127.0.0.1", port: relay.port, ca: emu.caPem, servername: "localhost" });
  await new Promise<void>((resolve, reject) => sock.once("secureConnect", resolve).once("error", reject));
  const http = new RawHttp(sock, `Basic ${Buffer.from(`${username}:${PASSWORD}`).toString("base64")}`, `127.0.0.1:${relay.port}`);
  const to = `https://127.0.0.1:${relay.port}/wsman`;
  const req = (action: string, body?: string, selectors?: Record<string, string>, options?: Record<string, string>): Buffer =>
    http.request(
      buildRequest({ to, action, resourceUri: RESOURCE_URI.cmd, ...(selectors ? { selectors } : {}), ...(options ? { options } : {}), ...(body !== undefined ? { body } : {}), operationTimeoutSec: 20 }).xml,
    );
  const ok = async (): Promise<string> => {
    const r = await http.response();
    if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${r.xml.slice(0, 300)}`);
    return r.xml;
  };
  const rows: Record<string, { msPerCommand: number; roundTripsPerCommand: number }> = {};
  try {
    http.write(req(ACTION.create, shellBody({ inputStreams: "stdin", outputStreams: "stdout stderr" }), undefined, { WINRS_NOPROFILE: "TRUE", WINRS_CODEPAGE: "65001" }));
    const shellId = parseCreateResponse(parseEnvelope(await ok()));
    const sel = { ShellId: shellId };
    const receiveAll = async (id: string, i: number): Promise<void> => {
      for (;;) {
        http.write(req(ACTION.receive, receiveBody(id), sel));
        const r = parseReceiveResponse(parseEnvelope(await ok()));
        if (r.done) {
          const out = Buffer.concat(r.streams.filter((s) => s.name === "stdout").map((s) => s.data)).toString().trim();
          if (out !== String(i)) throw new Error(`echo ${i} gave ${JSON.stringify(out)}`);
          return;
        }
      }
    };
    const command = (i: number): Buffer => req(ACTION.command, commandLineBody(`echo ${i}`, []), sel, { WINRS_CONSOLEMODE_STDIN: "TRUE", WINRS_SKIP_CMD_SHELL: "FALSE" });
    for (const mode of ["sequential", "pipelined"] as const) {
      http.write(command(0));
      let prev = parseCommandResponse(parseEnvelope(await ok()));
      await receiveAll(prev, 0);
      const t0 = performance.now();
      for (let i = 1; i <= n; i++) {
        const signal = req(ACTION.signal, signalBody(prev, SIGNAL.terminate), sel);
        if (mode === "sequential") {
          http.write(signal);
          await ok();
          http.write(command(i));
        } else {
          http.write(signal, command(i));
          await ok();
        }
        prev = parseCommandResponse(parseEnvelope(await ok()));
        await receiveAll(prev, i);
      }
      const ms = (performance.now() - t0) / n;
      rows[mode] = { msPerCommand: ms, roundTripsPerCommand: ms / rtt };
      http.write(req(ACTION.signal, signalBody(prev, SIGNAL.terminate), sel));
      await ok();
    }
    http.write(req(ACTION.delete, undefined, sel));
    await ok();
  } finally {
    sock.destroy();
    await relay.close();
    await emu.close();
  }
  console.log(`pipelining: Signal terminate + next Command, ${n} commands each way, RTT ${rtt} ms (delay relay), HTTPS + Basic, emulated host`);
  for (const [k, r] of Object.entries(rows)) console.log(`  ${k.padEnd(11)} ${r.msPerCommand.toFixed(1)} ms/command = ${r.roundTripsPerCommand.toFixed(2)} x RTT`);
  const s = rows.sequential;
  const p = rows.pipelined;
  if (s !== undefined && p !== undefined) console.log(`  pipelined saves ${(s.msPerCommand - p.msPerCommand).toFixed(1)} ms per command (${((1 - p.msPerCommand / s.msPerCommand) * 100).toFixed(0)}%)`);
  console.log(`BENCH_JSON ${JSON.stringify({ pipelining: { rttMs: rtt, commands: n, rows } })}`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
