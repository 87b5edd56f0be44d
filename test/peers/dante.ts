/**
 * Dante (Debian package `dante-server`, danted): a real SOCKS5 server. Its `socksmethod: username` (RFC 1929)
 * checks the system's user database, so the peer creates a throwaway system user (no home, no shell) with the given
 * password and removes it on stop; this needs root. danted runs in the foreground on a free loopback port with its own
 * config file in a scratch directory (test/peers/daemon.ts stops it for sure).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { freePort, removeDir, scratchDir, startDaemon, type Daemon } from "./daemon.js";

export const DANTED = "/usr/sbin/danted";

export function danteMissing(): string | false {
  if (!existsSync(DANTED)) return `${DANTED} is not installed (apt-get install dante-server)`;
  if (userInfo().uid !== 0) return "danted's username method needs a system user: run as root";
  return false;
}

export class Dante {
  private constructor(
    readonly port: number,
    readonly username: string,
    private readonly dir: string,
    private readonly daemon: Daemon,
  ) {}

  static async start(password: string): Promise<Dante> {
    const username = `wsocks${process.pid % 100000}`;
    if (spawnSync("id", [username]).status !== 0) execFileSync("useradd", ["-M", "-s", "/usr/sbin/nologin", username]);
    execFileSync("chpasswd", { input: `${username}:${password}\n` });
    const dir = scratchDir("dante-");
    const port = await freePort();
    const conf = join(dir, "danted.conf");
    writeFileSync(
      conf,
      [
        "logoutput: stderr",
        `internal: 127.0.0.1 port = ${port}`,
        "external: 127.0.0.1",
        "socksmethod: username",
        "clientmethod: none",
        "user.privileged: root",
        "user.unprivileged: nobody",
        "client pass { from: 127.0.0.1/32 to: 0.0.0.0/0 }",
        "socks pass { from: 127.0.0.1/32 to: 0.0.0.0/0 }",
        "",
      ].join("\n"),
    );
    try {
      const daemon = await startDaemon({ command: DANTED, args: ["-f", conf, "-N", "1"], port });
      return new Dante(port, username, dir, daemon);
    } catch (e) {
      spawnSync("userdel", [username]);
      removeDir(dir);
      throw e;
    }
  }

  async stop(): Promise<void> {
    await this.daemon.stop();
    spawnSync("userdel", [this.username]);
    removeDir(this.dir);
  }
}
