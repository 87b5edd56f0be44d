/**
 * A real Debian squid (5.7) on a loopback port, started by a test and stopped by it ( has the configs that
 * were verified on this machine). Variants:
 *
 * - `open`: no proxy authentication.
 * - `basic`: Basic proxy auth through basic_ncsa_auth and an htpasswd file (apr1 hashes made with `openssl passwd`).
 * - `ntlm`: NTLM proxy auth, plus Basic. `ntlmHelper: "fake"` (default) is Debian's ntlm_fake_auth: accepts any user and
 *   password and runs the three legs, but its CHALLENGE has no TargetInfo (NTLMv1 style) and a garbage TargetName
 *   offset. `ntlmHelper: "acceptor"` is test/peers/squid_ntlm_helper.ts: the emulator's NTLMv2 acceptor, which
 *   verifies the password (users from `ntlmUsers`).
 * - `negotiate`: Negotiate/Kerberos proxy auth through Debian's negotiate_kerberos_auth with a keytab from the test's
 *   KDC (`kerberos.keytab`, `kerberos.krb5Conf`; copied into squid's own directory, which user `proxy` can read),
 *   `-s GSS_C_NO_NAME` (any key of the keytab: the client asks for HTTP/<proxy name>), KRB5_CONFIG in the helper's
 *   environment, plus NTLM (ntlm_fake_auth) and Basic when `kerberos.alsoNtlm` is set.
 * - `connectionAuthOff: true` adds a second http_port with `connection-auth=off`: squid then strips the
 *   WWW-Authenticate NTLM/Negotiate headers from a 401 and does not pin ("prevent forwarding Microsoft connection
 *   oriented authentication", squid.conf.documented).
 * - `clientPersistentConnections: false`: `client_persistent_connections off`, squid closes the client connection after
 *   each response (an NTLM handshake cannot survive it).
 *
 * CONNECT is allowed to any port on 127.0.0.0/8 (no SSL_ports ACL), everything else is denied. Only loopback sockets:
 * `udp_*_address 127.0.0.1` and `dns_nameservers 127.0.0.1` (without them squid's DNS client binds 0.0.0.0), no
 * pinger. Squid started as root drops to user `proxy`, so the scratch directory is chowned to it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";

import { chownTree, freePort, removeDir, scratchDir, startDaemon, type Daemon } from "./daemon.js";

export const SQUID = "/usr/sbin/squid";
export const SQUID_LIBEXEC = "/usr/lib/squid";
/** The compiled squid_ntlm_helper.ts next to this module. */
const NTLM_HELPER = fileURLToPath(new URL("./squid_ntlm_helper.js", import.meta.url));

/** Why squid cannot run here (a message for a skip), or false when it can. */
export function squidMissing(): string | false {
  if (!existsSync(SQUID)) return `${SQUID} is not installed; run scripts/setup.sh (Debian package squid)`;
  return false;
}

export type SquidAuth = "none" | "basic" | "ntlm" | "negotiate";

export interface SquidOptions {
  auth?: SquidAuth;
  /** Basic users (htpasswd); default one user, PROXY_USER / PROXY_PASSWORD. */
  users?: { username: string; password: string }[];
  /** Which NTLM helper squid runs for `auth: "ntlm"`; default "fake" (ntlm_fake_auth). */
  ntlmHelper?: "fake" | "acceptor";
  /** Users the "acceptor" helper knows. */
  ntlmUsers?: { domain: string; user: string; password: string }[];
  /** For `auth: "negotiate"`: the KDC's keytab (with HTTP/<proxy name>) and krb5.conf. */
  kerberos?: { keytab: string; krb5Conf: string; alsoNtlm?: boolean };
  /** Add a second http_port with connection-auth=off. */
  connectionAuthOff?: boolean;
  /** false: client_persistent_connections off. Default true (squid's default). */
  clientPersistentConnections?: boolean;
}

export const PROXY_USER = "proxyuser";
export const PROXY_PASSWORD = "ProxyPass1";

/** One line of squid's native access log format (`%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt`). */
export interface SquidLogEntry {
  /** Seconds since the epoch, with milliseconds. */
  time: number;
  elapsedMs: number;
  client: string;
  /** Squid result code, e.g. TCP_MISS, TCP_TUNNEL, TCP_DENIED. */
  result: string;
  status: number;
  bytes: number;
  method: string;
  /** The request URL as squid logs it: absolute URL for forward requests, `host:port` for CONNECT. */
  url: string;
  /** The authenticated proxy user, "-" when none. */
  user: string;
  /** Hierarchy code and peer, e.g. HIER_DIRECT/127.0.0.1. */
  hierarchy: string;
  contentType: string;
  raw: string;
}

export function parseSquidAccessLog(text: string): SquidLogEntry[] {
  const out: SquidLogEntry[] = [];
  for (const raw of text.split("\n")) {
    const f = raw.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [time, elapsed, client, resultStatus, bytes, method, url, user, hierarchy, contentType] = f as [
      string, string, string, string, string, string, string, string, string, string,
    ];
    const slash = resultStatus.lastIndexOf("/");
    out.push({
      time: Number(time),
      elapsedMs: Number(elapsed),
      client,
      result: resultStatus.slice(0, slash),
      status: Number(resultStatus.slice(slash + 1)),
      bytes: Number(bytes),
      method,
      url,
      user,
      hierarchy,
      contentType,
      raw,
    });
  }
  return out;
}

export class Squid {
  /** http://127.0.0.1:PORT/ (the main port). */
  readonly url: string;
  readonly port: number;
  /** The connection-auth=off port's URL, when asked for. */
  readonly connectionAuthOffUrl: string | undefined;
  readonly connectionAuthOffPort: number | undefined;
  readonly dir: string;
  readonly accessLogPath: string;
  readonly cacheLogPath: string;
  readonly users: { username: string; password: string }[];
  private readonly daemon: Daemon;
  /** Access log lines already returned by logUntilMarker (its marker included). */
  private consumed = 0;

  private constructor(init: {
    port: number;
    offPort: number | undefined;
    dir: string;
    daemon: Daemon;
    users: { username: string; password: string }[];
  }) {
    this.port = init.port;
    this.url = `http://127.0.0.1:${init.port}/`;
    this.connectionAuthOffPort = init.offPort;
    this.connectionAuthOffUrl = init.offPort !== undefined ? `http://127.0.0.1:${init.offPort}/` : undefined;
    this.dir = init.dir;
    this.accessLogPath = join(init.dir, "access.log");
    this.cacheLogPath = join(init.dir, "cache.log");
    this.daemon = init.daemon;
    this.users = init.users;
  }

  /** Start squid; resolves once every http_port is accepting. Retries with new ports if one was taken meanwhile. */
  static async start(opts: SquidOptions = {}): Promise<Squid> {
    let last: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await Squid.startOnce(opts);
      } catch (e) {
        last = e;
        if (!(e instanceof Error) || !/bind|Address already in use|not listening/i.test(e.message)) throw e;
      }
    }
    throw last;
  }

  private static async startOnce(opts: SquidOptions): Promise<Squid> {
    const owner = proxyOwner();
    const dir = scratchDir("squid-", owner);
    const auth = opts.auth ?? "none";
    const users = opts.users ?? [{ username: PROXY_USER, password: PROXY_PASSWORD }];
    const port = await freePort();
    const offPort = opts.connectionAuthOff === true ? await freePort() : undefined;

    const lines = [
      `http_port 127.0.0.1:${port}`,
      ...(offPort !== undefined ? [`http_port 127.0.0.1:${offPort} connection-auth=off`] : []),
      `pid_filename ${dir}/squid.pid`,
      `cache_log ${dir}/cache.log`,
      `access_log stdio:${dir}/access.log squid`,
      "buffered_logs off",
      "strip_query_terms off",
      `coredump_dir ${dir}`,
      "netdb_filename none",
      "visible_hostname squid-test",
      "cache deny all",
      "cache_mem 8 MB",
      "pinger_enable off",
      "dns_nameservers 127.0.0.1",
      "udp_incoming_address 127.0.0.1",
      "udp_outgoing_address 127.0.0.1",
      "shutdown_lifetime 0 seconds",
      ...(opts.clientPersistentConnections === false ? ["client_persistent_connections off"] : []),
    ];
    if (auth === "ntlm") {
      let program = `${SQUID_LIBEXEC}/ntlm_fake_auth`;
      if (opts.ntlmHelper === "acceptor") {
        writeFileSync(join(dir, "ntlm-users.json"), JSON.stringify(opts.ntlmUsers ?? []), { mode: 0o600 });
        program = `${process.execPath} ${NTLM_HELPER} ${dir}/ntlm-users.json`;
      }
      lines.push(
        `auth_param ntlm program ${program}`,
        "auth_param ntlm children 2",
        "auth_param ntlm keep_alive on",
      );
    }
    let daemonEnv: NodeJS.ProcessEnv | undefined;
    if (auth === "negotiate") {
      const k = opts.kerberos;
      if (k === undefined) throw new Error('squid auth "negotiate" needs the kerberos option (keytab, krb5Conf)');
      // Copies squid's helper (running as `proxy`) can read; the replay cache in squid's directory too.
      writeFileSync(join(dir, "proxy-http.keytab"), readFileSync(k.keytab), { mode: 0o600 });
      writeFileSync(join(dir, "krb5.conf"), readFileSync(k.krb5Conf));
      mkdirSync(join(dir, "rcache"));
      lines.push(
        `auth_param negotiate program ${SQUID_LIBEXEC}/negotiate_kerberos_auth -k ${dir}/proxy-http.keytab -s GSS_C_NO_NAME -c ${dir}/rcache`,
        "auth_param negotiate children 2",
        "auth_param negotiate keep_alive on",
      );
      if (k.alsoNtlm === true) {
        lines.push(
          `auth_param ntlm program ${SQUID_LIBEXEC}/ntlm_fake_auth`,
          "auth_param ntlm children 2",
          "auth_param ntlm keep_alive on",
        );
      }
      // Helpers inherit squid's environment.
      daemonEnv = { ...process.env, KRB5_CONFIG: join(dir, "krb5.conf"), KRB5RCACHEDIR: join(dir, "rcache") };
      delete daemonEnv.KRB5_KTNAME;
      delete daemonEnv.KRB5CCNAME;
    }
    if (auth === "basic" || auth === "ntlm" || (auth === "negotiate" && opts.kerberos?.alsoNtlm === true)) {
      const htpasswd = users.map((u) => `${u.username}:${apr1(u.password)}`).join("\n") + "\n";
      writeFileSync(join(dir, "htpasswd"), htpasswd, { mode: 0o600 });
      lines.push(
        `auth_param basic program ${SQUID_LIBEXEC}/basic_ncsa_auth ${dir}/htpasswd`,
        "auth_param basic children 2",
        "auth_param basic realm squid-test",
      );
    }
    lines.push("acl to_loopback dst 127.0.0.0/8", "http_access deny !to_loopback");
    if (auth === "none") {
      lines.push("http_access allow all");
    } else {
      lines.push("acl authed proxy_auth REQUIRED", "http_access allow authed", "http_access deny all");
    }
    const conf = join(dir, "squid.conf");
    writeFileSync(conf, lines.join("\n") + "\n");
    writeFileSync(join(dir, "access.log"), "");
    if (owner !== undefined) chownTree(dir, owner);

    const parse = spawnSync(SQUID, ["-k", "parse", "-f", conf], { encoding: "utf8" });
    if (parse.status !== 0) {
      removeDir(dir);
      throw new Error(`squid -k parse failed:\n${parse.stdout}${parse.stderr}`);
    }

    const ports = [port, ...(offPort !== undefined ? [offPort] : [])];
    const cacheLog = join(dir, "cache.log");
    const readCacheLog = () => (existsSync(cacheLog) ? readFileSync(cacheLog, "utf8") : "");
    let daemon: Daemon;
    try {
      daemon = await startDaemon({
        command: SQUID,
        // -N: foreground, no daemon; -n: a service name of our own, so two squids never share a name.
        args: ["-N", "-n", `sqtest${port}`, "-f", conf],
        port,
        cwd: dir,
        ...(daemonEnv !== undefined ? { env: daemonEnv } : {}),
        describe: () => `cache.log:\n${readCacheLog()}`,
        ready: () => {
          const log = readCacheLog();
          if (/FATAL|commBind.*Cannot bind|Address already in use/i.test(log)) {
            throw new Error(`squid could not bind (not listening): ${log.split("\n").filter((l) => /FATAL|bind/i.test(l)).join(" | ")}`);
          }
          return ports.every((p) => log.includes(`local=127.0.0.1:${p} `));
        },
      });
    } catch (e) {
      removeDir(dir);
      throw e;
    }
    return new Squid({ port, offPort, dir, daemon, users });
  }

  /** The access log as parsed so far. */
  accessLog(): SquidLogEntry[] {
    return parseSquidAccessLog(existsSync(this.accessLogPath) ? readFileSync(this.accessLogPath, "utf8") : "");
  }

  /** cache.log, for diagnostics. */
  cacheLog(): string {
    return existsSync(this.cacheLogPath) ? readFileSync(this.cacheLogPath, "utf8") : "";
  }

  /**
   * Every transaction squid finished since the previous call (or since start), made visible for sure: sends a
   * forward GET for a unique URL to a closed port (squid answers 503, or 407 when it wants credentials; it logs the
   * request either way) and waits for that marker line. Squid logs in completion order, so whatever it completed
   * before the marker is above it. Returns the lines between the previous marker and this one. No timing assumptions.
   */
  async logUntilMarker(): Promise<SquidLogEntry[]> {
    const id = randomUUID();
    const markerUrl = `http://127.0.0.1:1/__marker/${id}`;
    await rawExchange(this.port, `GET ${markerUrl} HTTP/1.1\r\nHost: 127.0.0.1:1\r\nConnection: close\r\n\r\n`);
    for (;;) {
      const entries = this.accessLog();
      const i = entries.findIndex((e) => e.url === markerUrl);
      if (i >= 0) {
        const from = this.consumed;
        this.consumed = i + 1;
        return entries.slice(from, i).filter((e) => !e.url.startsWith("http://127.0.0.1:1/__marker/"));
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Stop squid and wait until it exited (a fresh PID file blocks a restart otherwise); remove its directory. */
  async stop(): Promise<void> {
    await this.daemon.stop();
    removeDir(this.dir);
  }

  /** Whether the squid process is still running. */
  get running(): boolean {
    return this.daemon.child.exitCode === null && this.daemon.child.signalCode === null;
  }
}

/** uid/gid of Debian's `proxy` user (squid's cache_effective_user), when it exists. */
function proxyOwner(): { uid: number; gid: number } | undefined {
  const r = spawnSync("id", ["-u", "proxy"], { encoding: "utf8" });
  const g = spawnSync("id", ["-g", "proxy"], { encoding: "utf8" });
  if (r.status !== 0 || g.status !== 0) return undefined;
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/** An Apache apr1 MD5 password hash (basic_ncsa_auth accepts it), made by `openssl passwd -apr1` from stdin. */
function apr1(password: string): string {
  const r = spawnSync("openssl", ["passwd", "-apr1", "-stdin"], { input: password + "\n", encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl passwd failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** Send raw bytes to 127.0.0.1:port and collect everything until the peer closes. */
export function rawExchange(port: number, request: string | Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    // write, not end: squid treats a half-closed client as gone (half_closed_clients off) and may drop the request.
    const s = net.connect({ host: "127.0.0.1", port }, () => s.write(request));
    s.on("data", (d: Buffer) => chunks.push(d));
    s.once("error", reject);
    s.once("close", () => resolve(Buffer.concat(chunks)));
  });
}
