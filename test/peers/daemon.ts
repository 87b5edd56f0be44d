/**
 * What the real proxy peers (squid, tinyproxy) share: a free loopback port, a scratch directory the daemon's user can
 * use, starting a foreground daemon and waiting until it accepts connections, and stopping it for sure.
 *
 * Every daemon started here is also killed when the test process exits, whatever happened to the test (a failing
 * assertion skips no `after`, but a crash or a runner timeout may): nothing outlives the test file.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chownSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

/** A port nobody listens on right now: bind 127.0.0.1:0, read the port the kernel gave, release it. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port from the kernel");
  return address.port;
}

/**
 * A scratch directory. When we are root and `owner` exists, it is chowned to that user: squid started as root drops
 * to its cache_effective_user (`proxy` on Debian), which must read its config and write its logs (test/peers/squid.ts).
 */
export function scratchDir(prefix: string, owner?: { uid: number; gid: number }): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (owner !== undefined && userInfo().uid === 0) chownTree(dir, owner);
  return dir;
}

export function chownTree(path: string, owner: { uid: number; gid: number }): void {
  if (userInfo().uid !== 0) return;
  chownSync(path, owner.uid, owner.gid);
  try {
    for (const name of readdirSync(path)) chownTree(join(path, name), owner);
  } catch {
    // a file, not a directory
  }
}

const live = new Set<ChildProcess>();
process.on("exit", () => {
  // Last resort (a crash, a runner timeout): the daemons finish their own shutdown after we are gone.
  for (const child of live) child.kill("SIGTERM");
});

export interface Daemon {
  readonly child: ChildProcess;
  /** Everything the daemon wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then wait for the process to exit (SIGKILL if it takes more than `graceMs`). Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Spawn a foreground daemon and wait until `port` on 127.0.0.1 accepts a TCP connection. Rejects (with the daemon's
 * output and `describe()`, e.g. its cache.log) when the process exits first or is not listening after `limitMs`.
 */
export async function startDaemon(opts: {
  command: string;
  args: string[];
  port: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  limitMs?: number;
  describe?: () => string;
  /** Readiness check, given the daemon's output so far; default: `port` accepts a TCP connection. */
  ready?: (output: string) => boolean | Promise<boolean>;
}): Promise<Daemon> {
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString("utf8")));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString("utf8")));
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    const done = () => {
      exited = true;
      live.delete(child);
      resolve();
    };
    if (child.exitCode !== null || child.signalCode !== null) done();
    else child.once("exit", done);
  });
  child.once("error", (e) => (out += `\nspawn error: ${e.message}`));

  let stopping: Promise<void> | undefined;
  const daemon: Daemon = {
    child,
    output: () => out,
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        if (exited) return;
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await exit;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };

  const limitMs = opts.limitMs ?? 20_000;
  const deadline = Date.now() + limitMs;
  for (;;) {
    if (exited) {
      throw new Error(`${opts.command} exited before listening (code ${child.exitCode}, signal ${child.signalCode}):\n${out}\n${opts.describe?.() ?? ""}`);
    }
    let ready: boolean;
    try {
      ready = await (opts.ready ? opts.ready(out) : accepts(opts.port));
    } catch (e) {
      await daemon.stop();
      throw e;
    }
    if (ready) return daemon;
    if (Date.now() > deadline) {
      await daemon.stop();
      throw new Error(`${opts.command} not listening on 127.0.0.1:${opts.port} after ${limitMs} ms:\n${out}\n${opts.describe?.() ?? ""}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether 127.0.0.1:port accepts a TCP connection (closed straight away). */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
