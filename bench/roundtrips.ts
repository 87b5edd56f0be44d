/**
 * Round trips per operation and wall time of sequential commands, our WinRMClient next to pywinrm, both against the
 * same in-process emulated Windows host (win2019, HTTP, NTLM with WinRM message encryption, MS-WSMV 2.2.9.1).
 *
 *   npm run bench        (= npm run build && node dist/bench/roundtrips.js)
 *
 * Round trips are counted from the emulator's request log (one entry per HTTP request, whoever sent it), checked
 * against the client's own stats. A request is a handshake leg when it carried an Authorization header (the NTLM
 * NEGOTIATE and AUTHENTICATE legs of Flow A, MS-WSMV 2.2.9.1) or was an anonymous 401; it is a SOAP round trip when it
 * carried a WS-Man action. Numbers are printed, never asserted (timings do not belong in tests).
 *
 * Prints a table, then one line `BENCH_JSON {...}` for CI logs and later comparisons. Exits by itself.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

import { WinRMClient, type ClientStats } from "../provider/src/client.js";
import { EmulatedHost } from "../provider/src/testing/index.js";
import { shortAction } from "../provider/src/testing/index.js";
import { WinRMEmulator, type RequestLogEntry } from "../provider/src/testing/index.js";
import { PYTHON, pywinrmMissing, writeOpensslLegacyConf } from "../test/peers/python.js";

const COMMANDS = 200;
/** Commands on the reused shell whose round trips are listed one by one. */
const SHELL_SAMPLE = 5;
const PASSWORD = "Bench-Passw0rd!";
/** dist/bench/roundtrips.js -> bench/pywinrm_bench.py in the source tree (Python files are not compiled). */
const PYWINRM_SCRIPT = fileURLToPath(new URL("../../bench/pywinrm_bench.py", import.meta.url));

// ---------------------------------------------------------------------------------------------------------------
// Reading the request log

interface Tally {
  /** HTTP requests, handshake legs included. */
  http: number;
  /** Requests that carried a SOAP action (Create, Command, ...; "Identify" for Identify). */
  soap: number;
  /** Authorization-carrying requests and anonymous 401s. */
  handshakeLegs: number;
  /** Distinct TCP connections the requests came on. */
  connections: number;
  /** Short action names in order; "auth" for a handshake leg without a body. */
  actions: string[];
}

function isHandshakeLeg(e: RequestLogEntry): boolean {
  return e.authScheme !== undefined || (e.status === 401 && e.action === undefined);
}

function tally(entries: readonly RequestLogEntry[]): Tally {
  return {
    http: entries.length,
    soap: entries.filter((e) => e.action !== undefined).length,
    handshakeLegs: entries.filter(isHandshakeLeg).length,
    connections: new Set(entries.map((e) => e.connection)).size,
    actions: entries.map((e) => (e.action !== undefined ? shortAction(e.action) : isHandshakeLeg(e) ? "auth" : "?")),
  };
}

/** Requests the emulator logged while `fn` ran (everything here is sequential: nobody else is talking). */
async function logged<T>(emu: WinRMEmulator, fn: () => Promise<T>): Promise<{ result: T; entries: RequestLogEntry[] }> {
  const start = emu.requests.length;
  const result = await fn();
  return { result, entries: emu.requests.slice(start) };
}

function expectEcho(what: string, stdout: string, exitCode: number, n: number | string): void {
  if (exitCode !== 0 || stdout.trim() !== String(n)) {
    throw new Error(`${what}: "echo ${n}" returned exit ${exitCode}, stdout ${JSON.stringify(stdout)}`);
  }
}

function statsDelta(after: ClientStats, before: ClientStats): ClientStats {
  return {
    requests: after.requests - before.requests,
    handshakes: after.handshakes - before.handshakes,
    connections: after.connections - before.connections,
    dialRetries: after.dialRetries - before.dialRetries,
    shells: after.shells - before.shells,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// pywinrm

interface PywinrmResult {
  skipped?: string;
  commands?: number;
  /** Wall time measured inside Python (session set up before the clock starts, as ours is warm). */
  seconds?: number;
  /** Wall time including the interpreter start and pywinrm's import, as seen from here. */
  processSeconds?: number;
  tally?: Tally;
}

function runPywinrm(emu: WinRMEmulator, username: string): Promise<PywinrmResult> {
  const missing = pywinrmMissing();
  if (missing !== false) return Promise.resolve({ skipped: missing });
  const dir = mkdtempSync(join(tmpdir(), "bench-pywinrm-"));
  const opensslConf = writeOpensslLegacyConf(dir);
  const start = emu.requests.length;
  const t0 = performance.now();
  // Asynchronous on purpose: the emulator answers pywinrm from this very event loop.
  return new Promise<PywinrmResult>((resolve) => {
    execFile(
      PYTHON,
      [PYWINRM_SCRIPT, emu.url, username, PASSWORD, String(COMMANDS)],
      // No proxy from the environment may sneak in between pywinrm and the emulator.
      { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", OPENSSL_CONF: opensslConf, NO_PROXY: "*" }, timeout: 600_000 },
      (err, stdout, stderr) => {
        const processSeconds = (performance.now() - t0) / 1000;
        rmSync(dir, { recursive: true, force: true });
        const line = stdout.trim().split("\n").pop() ?? "";
        let parsed: { commands?: number; seconds?: number; error?: string } | undefined;
        try {
          parsed = JSON.parse(line) as typeof parsed;
        } catch {
          parsed = undefined;
        }
        if (parsed?.seconds === undefined) {
          const why = parsed?.error ?? err?.message ?? "no JSON on stdout";
          resolve({ skipped: `pywinrm run failed: ${why} ${stderr.trim().split("\n").pop() ?? ""}`.trim() });
          return;
        }
        resolve({
          commands: parsed.commands ?? COMMANDS,
          seconds: parsed.seconds,
          processSeconds,
          tally: tally(emu.requests.slice(start)),
        });
      },
    );
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Printing

const fmt = (n: number, digits = 2): string => n.toFixed(digits);
const ms = (s: number): string => `${fmt(s * 1000, 1)} ms`;

function table(rows: [string, string, string][]): string {
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  return rows.map((r) => `  ${r[0].padEnd(w0)}  ${r[1].padStart(w1)}  ${r[2]}`).join("\n");
}

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const host = new EmulatedHost({ profile: "win2019", locale: "en-US" });
  const username = `${host.domain}\\bench`;
  const emu = await WinRMEmulator.start({ host, users: [{ username, password: PASSWORD }], listenHost: "127.0.0.1", port: 0 });
  let client: WinRMClient | undefined;
  try {
    client = new WinRMClient({
      endpoint: emu.url,
      auth: { mechanism: "negotiate", username, password: PASSWORD },
      messageEncryption: "always",
    });
    const c = client;
    const ourStart = emu.requests.length;
    const stats0 = c.stats;

    // Cold: connection, NTLM handshake, Identify (code page decision), then the command.
    const cold = await logged(emu, () => c.run("echo cold"));
    expectEcho("cold run", cold.result.stdout, cold.result.exitCode, "cold");
    const statsWarm = c.stats;

    // One run() on the warm connection.
    const warm = await logged(emu, () => c.run("echo warm"));
    expectEcho("warm run", warm.result.stdout, warm.result.exitCode, "warm");
    const warmStats = statsDelta(c.stats, statsWarm);

    // A reused shell: open, SHELL_SAMPLE commands one by one, close.
    const open = await logged(emu, () => c.openShell());
    const shell = open.result;
    const perCommand: Tally[] = [];
    for (let i = 1; i <= SHELL_SAMPLE; i++) {
      const r = await logged(emu, () => shell.run(`echo ${i}`));
      expectEcho("reused shell", r.result.stdout, r.result.exitCode, i);
      perCommand.push(tally(r.entries));
    }
    const closed = await logged(emu, () => shell.close());
    const sampleSoap = perCommand.reduce((s, t) => s + t.soap, 0);
    const lastCommand = perCommand[perCommand.length - 1] as Tally;
    const firstCommand = perCommand[0] as Tally;
    const openT = tally(open.entries);
    const closeT = tally(closed.entries);

    // 200 sequential run() (a shell each), warm.
    const runBench = await logged(emu, async () => {
      const t0 = performance.now();
      for (let i = 0; i < COMMANDS; i++) {
        const r = await c.run(`echo ${i}`);
        expectEcho("run() loop", r.stdout, r.exitCode, i);
      }
      return (performance.now() - t0) / 1000;
    });

    // 200 sequential commands on one reused shell (open and close inside the clock).
    const shellBench = await logged(emu, async () => {
      const t0 = performance.now();
      const sh = await c.openShell();
      for (let i = 0; i < COMMANDS; i++) {
        const r = await sh.run(`echo ${i}`);
        expectEcho("reused shell loop", r.stdout, r.exitCode, i);
      }
      await sh.close();
      return (performance.now() - t0) / 1000;
    });

    const ourEntries = emu.requests.slice(ourStart);
    const ourTotal = tally(ourEntries);
    const ourStats = statsDelta(c.stats, stats0);
    await c.close();
    client = undefined;

    // pywinrm, same emulator, same run, after our client is closed (nothing else on the wire).
    const py = await runPywinrm(emu, username);

    const runT = tally(runBench.entries);
    const shellT = tally(shellBench.entries);
    const connsOurs = [...new Set(ourEntries.map((e) => e.connection))];
    const handshakesPerConn =
      connsOurs.length === 0 ? 0 : ourEntries.filter((e) => isHandshakeLeg(e)).length / connsOurs.length;

    // -------- report
    const out: string[] = [];
    out.push(`WinRM round trips and wall time: emulator ${host.profile.displayName} (${host.profile.name}), ${emu.url}`);
    out.push("HTTP, NTLM (Negotiate) with WinRM message encryption; every SOAP request sealed.");
    out.push("");
    out.push("Round trips (HTTP requests, from the emulator's request log)");
    out.push(
      table([
        ["first run() on a new client", String(tally(cold.entries).http), tally(cold.entries).actions.join(", ")],
        ["run() on a warm connection", String(tally(warm.entries).http), tally(warm.entries).actions.join(", ")],
        ["openShell()", String(openT.http), openT.actions.join(", ")],
        ["shell.run(): first command", String(firstCommand.http), firstCommand.actions.join(", ")],
        ["shell.run(): last command", String(lastCommand.http), lastCommand.actions.join(", ")],
        [
          `shell.run(): amortised over ${SHELL_SAMPLE}`,
          fmt(sampleSoap / SHELL_SAMPLE),
          `${sampleSoap} SOAP requests for ${SHELL_SAMPLE} commands`,
        ],
        [
          `shell.run(): amortised over ${COMMANDS} incl. open+close`,
          fmt(shellT.http / COMMANDS, 3),
          `${shellT.http} requests`,
        ],
        ["shell.close()", String(closeT.http), closeT.actions.join(", ")],
      ]),
    );
    out.push(
      "  A command on a reused shell costs Command + Receive, plus Signal terminate of the previous command (MS-WSMV",
      "  3.1.4.14: a final Signal MUST be issued before the next Command). The client sends it lazily, when another",
      "  command follows, so the first command costs 2 and every later one 3; close() sends Delete only, which",
      "  releases the shell's commands with it (MS-WSMV 3.1.4.4).",
    );
    out.push("");
    out.push("Connections and NTLM handshakes (our client, whole run)");
    out.push(
      table([
        ["TCP connections (emulator / client stats)", `${ourTotal.connections} / ${ourStats.connections}`, ""],
        ["NTLM handshakes (client stats)", String(ourStats.handshakes), ""],
        ["handshake legs per connection (emulator)", fmt(handshakesPerConn, 1), "NEGOTIATE + AUTHENTICATE on an empty body (Flow A)"],
        ["HTTP requests (emulator / client stats)", `${ourTotal.http} / ${ourStats.requests}`, `${ourTotal.soap} SOAP`],
        ["shells created", String(ourStats.shells), ""],
        ["warm run(): client stats delta", `${warmStats.requests} req`, `${warmStats.handshakes} handshakes, ${warmStats.connections} connections`],
      ]),
    );
    out.push("");
    out.push(`Wall time of ${COMMANDS} sequential commands ("echo N"), same emulator, same run`);
    const wallRows: [string, string, string][] = [
      [
        "WinRMClient.run() (warm client)",
        ms(runBench.result),
        `${ms(runBench.result / COMMANDS)}/cmd, ${fmt(runT.http / COMMANDS)} req/cmd, ${runT.connections} connection(s)`,
      ],
      [
        "WinRMClient reused shell",
        ms(shellBench.result),
        `${ms(shellBench.result / COMMANDS)}/cmd, ${fmt(shellT.http / COMMANDS)} req/cmd, ${shellT.connections} connection(s)`,
      ],
    ];
    if (py.seconds !== undefined && py.tally !== undefined) {
      wallRows.push([
        "pywinrm Session.run_cmd()",
        ms(py.seconds),
        `${ms(py.seconds / COMMANDS)}/cmd, ${fmt(py.tally.http / COMMANDS)} req/cmd, ${py.tally.connections} connection(s), ` +
          `${py.tally.handshakeLegs} handshake legs; ${ms(py.processSeconds ?? 0)} with python start-up`,
      ]);
    } else {
      wallRows.push(["pywinrm Session.run_cmd()", "skipped", py.skipped ?? ""]);
    }
    out.push(table(wallRows));
    if (py.tally !== undefined) {
      const perCmd = py.tally.actions.filter((a) => a !== "auth");
      const firstCreate = perCmd.indexOf("Create");
      const secondCreate = perCmd.indexOf("Create", firstCreate + 1);
      const oneCmd = firstCreate >= 0 && secondCreate > firstCreate ? perCmd.slice(firstCreate, secondCreate) : [];
      if (oneCmd.length > 0) out.push(`  pywinrm's run_cmd: ${oneCmd.length} round trips (${oneCmd.join(", ")})`);
    }
    if (py.seconds !== undefined) {
      out.push(
        `  ratio pywinrm / ours: ${fmt(py.seconds / runBench.result)}x (run()), ${fmt(py.seconds / shellBench.result)}x (reused shell)`,
        "  (here our client shares its thread with the emulated host, pywinrm does not: bench/commands.js compares",
        "  commands/s with the host in a process of its own)",
      );
    }
    process.stdout.write(`${out.join("\n")}\n\n`);

    const json = {
      bench: "roundtrips",
      date: new Date().toISOString(),
      node: process.version,
      profile: host.profile.name,
      transport: "http+ntlm+encryption",
      commands: COMMANDS,
      roundTrips: {
        coldRun: tally(cold.entries).http,
        warmRun: tally(warm.entries).http,
        warmRunActions: tally(warm.entries).actions,
        openShell: openT.http,
        shellFirstCommand: firstCommand.http,
        shellLastCommand: lastCommand.http,
        shellLastCommandActions: lastCommand.actions,
        shellAmortised: sampleSoap / SHELL_SAMPLE,
        shellAmortisedInclOpenClose: shellT.http / COMMANDS,
        shellClose: closeT.http,
      },
      connections: { emulator: ourTotal.connections, client: ourStats.connections },
      handshakes: ourStats.handshakes,
      handshakeLegsPerConnection: handshakesPerConn,
      httpRequests: { emulator: ourTotal.http, client: ourStats.requests },
      wallSeconds: {
        run: runBench.result,
        reusedShell: shellBench.result,
        pywinrm: py.seconds ?? null,
        pywinrmWithStartup: py.processSeconds ?? null,
      },
      pywinrm: py.tally !== undefined
        ? { requestsPerCommand: py.tally.http / COMMANDS, connections: py.tally.connections, handshakeLegs: py.tally.handshakeLegs }
        : { skipped: py.skipped ?? "unknown" },
    };
    process.stdout.write(`BENCH_JSON ${JSON.stringify(json)}\n`);
  } finally {
    if (client !== undefined) await client.close().catch(() => undefined);
    await emu.close();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
