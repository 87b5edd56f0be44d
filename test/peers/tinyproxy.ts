/**
 * A real Debian tinyproxy (1.11.1) on a loopback port. In forward mode it sends `Connection: close`
 * upstream and drops the client connection after each response, so connection-based origin auth (NTLM/Negotiate over
 * plain HTTP forward) cannot survive it: a ready-made proxy without affinity. CONNECT is limited to the `ConnectPort`
 * list (default: 443 only), so a CONNECT to a WinRM port is refused with 403, which makes an "auto" client fall back to
 * forward proxying.
 */
import { existsSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

import { freePort, removeDir, scratchDir, startDaemon, type Daemon } from "./daemon.js";

export const TINYPROXY = "/usr/bin/tinyproxy";

export function tinyproxyMissing(): string | false {
  if (!existsSync(TINYPROXY)) return `${TINYPROXY} is not installed; run scripts/setup.sh (Debian package tinyproxy)`;
  return false;
}

export interface TinyproxyOptions {
  /** Ports CONNECT may reach; default [443] (CONNECT to anything else gets 403). */
  connectPorts?: number[];
  /** Basic proxy credentials (BasicAuth); none by default. */
  basicAuth?: { username: string; password: string };
}

export class Tinyproxy {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  private readonly daemon: Daemon;

  private constructor(port: number, dir: string, daemon: Daemon) {
    this.port = port;
    this.url = `http://127.0.0.1:${port}/`;
    this.dir = dir;
    this.daemon = daemon;
  }

  static async start(opts: TinyproxyOptions = {}): Promise<Tinyproxy> {
    const dir = scratchDir("tinyproxy-");
    const port = await freePort();
    const lines = [
      `Port ${port}`,
      "Listen 127.0.0.1",
      "Timeout 60",
      "LogLevel Info",
      "MaxClients 20",
      "Allow 127.0.0.1",
      "DisableViaHeader Yes",
      ...(opts.connectPorts ?? [443]).map((p) => `ConnectPort ${p}`),
      ...(opts.basicAuth ? [`BasicAuth ${opts.basicAuth.username} ${opts.basicAuth.password}`] : []),
    ];
    // Started as root, tinyproxy would keep running as root; drop to its own user when that exists.
    if (process.getuid?.() === 0 && spawnSync("id", ["tinyproxy"]).status === 0) lines.push("User tinyproxy", "Group tinyproxy");
    const conf = join(dir, "tinyproxy.conf");
    writeFileSync(conf, lines.join("\n") + "\n");
    let daemon: Daemon;
    try {
      daemon = await startDaemon({
        command: TINYPROXY,
        args: ["-d", "-c", conf], // -d: foreground, log to stderr
        port,
        ready: (output) => output.includes("Accepting connections"),
      });
    } catch (e) {
      removeDir(dir);
      throw e;
    }
    return new Tinyproxy(port, dir, daemon);
  }

  /** What tinyproxy logged (stderr in foreground mode). */
  log(): string {
    return this.daemon.output();
  }

  async stop(): Promise<void> {
    await this.daemon.stop();
    removeDir(this.dir);
  }
}
