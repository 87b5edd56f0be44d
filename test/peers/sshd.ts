/**
 * The SSH-bastion path: a throwaway OpenSSH server on a free loopback port (its own host key, its own config, key
 * authentication for the current user with a temporary key) and `ssh -N -D 127.0.0.1:<port>` through it, OpenSSH's
 * dynamic forwarding, which is a SOCKS5 server (no authentication) on the client side. Both stop for sure
 * (test/peers/daemon.ts).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { freePort, removeDir, scratchDir, startDaemon, type Daemon } from "./daemon.js";

export const SSHD = "/usr/sbin/sshd";
export const SSH = "/usr/bin/ssh";

export function sshMissing(): string | false {
  if (!existsSync(SSHD) || !existsSync(SSH)) return "openssh-server/openssh-client are not installed";
  if (userInfo().uid !== 0) return "sshd needs root here (privilege separation)";
  return false;
}

export class SshBastion {
  private constructor(
    /** The SOCKS5 port of `ssh -D`. */
    readonly socksPort: number,
    private readonly dir: string,
    private readonly sshd: Daemon,
    private readonly ssh: Daemon,
  ) {}

  static async start(): Promise<SshBastion> {
    const dir = scratchDir("sshd-");
    mkdirSync("/run/sshd", { recursive: true }); // sshd's privilege-separation directory
    const hostKey = join(dir, "host_ed25519");
    const userKey = join(dir, "user_ed25519");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", userKey]);
    const authorized = join(dir, "authorized_keys");
    execFileSync("cp", [`${userKey}.pub`, authorized]);
    const sshPort = await freePort();
    const conf = join(dir, "sshd_config");
    writeFileSync(
      conf,
      [
        `Port ${sshPort}`,
        "ListenAddress 127.0.0.1",
        `HostKey ${hostKey}`,
        `AuthorizedKeysFile ${authorized}`,
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes no",
        "AllowTcpForwarding yes",
        `PidFile ${join(dir, "sshd.pid")}`,
        "",
      ].join("\n"),
    );
    let sshd: Daemon | undefined;
    try {
      sshd = await startDaemon({ command: SSHD, args: ["-D", "-e", "-f", conf], port: sshPort });
      const socksPort = await freePort();
      const ssh = await startDaemon({
        command: SSH,
        args: [
          "-N",
          "-D",
          `127.0.0.1:${socksPort}`,
          "-i",
          userKey,
          "-p",
          String(sshPort),
          "-o",
          "StrictHostKeyChecking=no",
          "-o",
          `UserKnownHostsFile=${join(dir, "known_hosts")}`,
          "-o",
          "BatchMode=yes",
          "-o",
          "ExitOnForwardFailure=yes",
          `${userInfo().username}@127.0.0.1`,
        ],
        port: socksPort,
      });
      return new SshBastion(socksPort, dir, sshd, ssh);
    } catch (e) {
      await sshd?.stop();
      removeDir(dir);
      throw e;
    }
  }

  async stop(): Promise<void> {
    await this.ssh.stop();
    await this.sshd.stop();
    removeDir(this.dir);
  }
}
