/**
 * microsocks (Debian package `microsocks`): a small real SOCKS5 server (RFC 1928) with username/password (RFC 1929,
 * `-u user -P pass`), started on a free loopback port and stopped for sure (test/peers/daemon.ts).
 */
import { existsSync } from "node:fs";
import { freePort, startDaemon, type Daemon } from "./daemon.js";

export const MICROSOCKS = "/usr/bin/microsocks";

export function microsocksMissing(): string | false {
  return existsSync(MICROSOCKS) ? false : `${MICROSOCKS} is not installed (apt-get install microsocks)`;
}

export class Microsocks {
  private constructor(
    readonly port: number,
    private readonly daemon: Daemon,
  ) {}

  static async start(opts: { username?: string; password?: string } = {}): Promise<Microsocks> {
    const port = await freePort();
    const auth = opts.username !== undefined ? ["-u", opts.username, "-P", opts.password ?? ""] : [];
    const daemon = await startDaemon({ command: MICROSOCKS, args: ["-i", "127.0.0.1", "-p", String(port), ...auth], port });
    return new Microsocks(port, daemon);
  }

  get url(): string {
    return `socks5://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    await this.daemon.stop();
  }
}
