/**
 * A throwaway MIT KDC (Debian krb5-kdc + krb5-admin-server's kadmin.local) on 127.0.0.1 with its own realm,
 * principals, keytab, krb5.conf and kdc.conf in a scratch directory.
 *
 * Clients and acceptors find it through the environment: `kdc.env` (KRB5_CONFIG, KRB5_KTNAME, KRB5CCNAME,
 * KRB5RCACHEDIR) for child processes, or `kdc.applyToProcess()` for this process. MIT krb5 reads these when it creates
 * a krb5 context (on every GSS call that needs one), so they must be set before the addon's first call; Node's
 * process.env writes through to the C environment.
 *
 * The KDC dies with the test process whatever happens (daemon.ts), and `stop()` removes the directory.
 */
import { execFile, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, removeDir, scratchDir, startDaemon, type Daemon } from "./daemon.js";

const run = promisify(execFile);

const KRB5KDC = "/usr/sbin/krb5kdc";
const KDB5_UTIL = "/usr/sbin/kdb5_util";
const KADMIN_LOCAL = "/usr/sbin/kadmin.local";
const KINIT = "/usr/bin/kinit";

/** Why a KDC cannot run here (a message for a skip), or false when it can. */
export function kdcMissing(): string | false {
  for (const [bin, pkg] of [
    [KRB5KDC, "krb5-kdc"],
    [KDB5_UTIL, "krb5-kdc"],
    [KADMIN_LOCAL, "krb5-admin-server"],
    [KINIT, "krb5-user"],
  ] as const) {
    if (!existsSync(bin)) return `${bin} is missing (Debian package ${pkg}); run scripts/setup.sh`;
  }
  return false;
}

export interface KdcUser {
  /** Without realm, e.g. "user". */
  name: string;
  password: string;
}

export interface KdcOptions {
  /** Default EXAMPLE.TEST. */
  realm?: string;
  /** Host names that get an `HTTP/<host>@REALM` principal in the keytab. Default ["localhost", "winrm.example.test"]. */
  services?: string[];
  /** Default one user, "user" with password "UserPass1!". */
  users?: KdcUser[];
  /** More principals (full names, random keys) for the keytab, e.g. "HTTP/proxy.example.test@EXAMPLE.TEST". */
  extraPrincipals?: string[];
  /**
   * Delegation possible (default false): `forwardable = true` in krb5.conf [libdefaults], so kinit and the in-process
   * password credential get a forwardable TGT (RFC 4120 2.6), which is what GSS_C_DELEG_FLAG forwards; and the
   * service principals (options.services) flagged ok_as_delegate (RFC 4120 2.8: the KDC vouches for them as delegation
   * targets; MIT clients honour it only with GSS_C_DELEG_POLICY_FLAG, Windows' always).
   */
  forwardable?: boolean;
}

export interface Kdc {
  readonly realm: string;
  readonly port: number;
  readonly dir: string;
  readonly krb5Conf: string;
  /** The keytab with every service principal (HTTP/<host> and extraPrincipals). */
  readonly keytab: string;
  /** FILE: ccache name the env points KRB5CCNAME at (empty until kinit). */
  readonly ccache: string;
  /** "HTTP/<host>@REALM" for each of options.services. */
  readonly servicePrincipals: string[];
  /** The users, with `principal` = name@REALM. */
  readonly users: (KdcUser & { principal: string })[];
  /** KRB5_CONFIG, KRB5_KTNAME, KRB5CCNAME, KRB5RCACHEDIR: for child processes (merge with process.env). */
  readonly env: Record<string, string>;
  /** Set `env` on process.env; returns a function that puts the previous values back. */
  applyToProcess(): () => void;
  /** Get a TGT for a user (default the first) into `ccache` with the kinit command. */
  kinit(principal?: string, password?: string): Promise<void>;
  /** Export keys of `principals` into a new keytab file; returns its path. */
  exportKeytab(principals: string[], name: string): Promise<string>;
  /** The KDC's log so far (AS_REQ / TGS_REQ lines), for assertions and failure messages. */
  log(): string;
  /** Stop the KDC and remove the directory. Idempotent. */
  stop(): Promise<void>;
}

const live = new Set<string>();
process.on("exit", () => {
  for (const dir of live) rmSync(dir, { recursive: true, force: true });
});

/** kadmin.local's own argument splitting cuts at blanks and quotes: keep test secrets to safe characters. */
function checkWord(what: string, value: string): void {
  if (!/^[A-Za-z0-9!#$%&()*+,\-./:;<=>?@[\]^_{|}~]+$/.test(value)) throw new Error(`${what} has characters kadmin.local cannot take`);
}

export async function startKdc(options: KdcOptions = {}): Promise<Kdc> {
  const missing = kdcMissing();
  if (missing !== false) throw new Error(missing);
  const realm = options.realm ?? "EXAMPLE.TEST";
  const services = options.services ?? ["localhost", "winrm.example.test"];
  const users = (options.users ?? [{ name: "user", password: "UserPass1!" }]).map((u) => ({ ...u, principal: `${u.name}@${realm}` }));
  const servicePrincipals = services.map((h) => `HTTP/${h}@${realm}`);
  const keyed = [...servicePrincipals, ...(options.extraPrincipals ?? [])];

  const dir = scratchDir("winrm-kdc-");
  live.add(dir);
  const port = await freePort();
  const krb5Conf = join(dir, "krb5.conf");
  const kdcConf = join(dir, "kdc.conf");
  const keytab = join(dir, "http.keytab");
  const ccache = `FILE:${join(dir, "ccache")}`;
  const logFile = join(dir, "kdc.log");

  // rdns / dns_canonicalize_hostname off: "HTTP@host" maps to HTTP/host@REALM without DNS. TCP only
  // (udp_preference_limit 1): the KDC listens on one TCP port we probed free.
  const domainRealm = [...new Set(["localhost", ...services])].map((h) => `    ${h} = ${realm}`).join("\n");
  writeFileSync(
    krb5Conf,
    `[libdefaults]
    default_realm = ${realm}
    dns_lookup_realm = false
    dns_lookup_kdc = false
    rdns = false
    dns_canonicalize_hostname = false
    udp_preference_limit = 1
    default_ccache_name = ${ccache}
${options.forwardable === true ? "    forwardable = true\n" : ""}[realms]
    ${realm} = {
        kdc = 127.0.0.1:${port}
    }
[domain_realm]
${domainRealm}
    .${realm.toLowerCase()} = ${realm}
`,
  );
  // AES only: WinRM's Kerberos sealing is specified for AES (60-byte header, MS-WSMV 2.2.9.1.2.2). Pre-authentication
  // required, as Active Directory does: a wrong password then fails as "Preauthentication failed".
  writeFileSync(
    kdcConf,
    `[kdcdefaults]
    kdc_listen = 127.0.0.1:${port}
    kdc_tcp_listen = 127.0.0.1:${port}
[realms]
    ${realm} = {
        database_name = ${join(dir, "principal")}
        key_stash_file = ${join(dir, "stash")}
        acl_file = ${join(dir, "kadm5.acl")}
        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
        default_principal_flags = +preauth
    }
[logging]
    kdc = FILE:${logFile}
`,
  );
  writeFileSync(join(dir, "kadm5.acl"), `*/admin@${realm} *\n`);

  const adminEnv = { ...process.env, KRB5_CONFIG: krb5Conf, KRB5_KDC_PROFILE: kdcConf };
  const env: Record<string, string> = {
    KRB5_CONFIG: krb5Conf,
    KRB5_KTNAME: `FILE:${keytab}`,
    KRB5CCNAME: ccache,
    // Replay caches in the scratch directory rather than /var/tmp.
    KRB5RCACHEDIR: dir,
  };

  const kadmin = async (queries: string[]): Promise<void> => {
    for (const q of queries) {
      const r = await run(KADMIN_LOCAL, ["-q", q], { env: adminEnv });
      // kadmin.local exits 0 even when a query fails; it says so on stderr.
      if (/error|failed|unable|cannot/i.test(r.stderr)) throw new Error(`kadmin.local "${q.split(" -pw ")[0] ?? q}": ${r.stderr.trim()}`);
    }
  };

  let daemon: Daemon | undefined;
  try {
    // A random master password: it only guards the throwaway database.
    await run(KDB5_UTIL, ["create", "-s", "-r", realm, "-P", `master-${process.pid}-${port}`], { env: adminEnv });
    const queries: string[] = [];
    for (const u of users) {
      checkWord("user name", u.name);
      checkWord("password", u.password);
      queries.push(`addprinc -pw ${u.password} ${u.principal}`);
    }
    for (const p of keyed) {
      checkWord("principal", p);
      queries.push(`addprinc -randkey ${p}`);
    }
    if (options.forwardable === true) {
      for (const p of servicePrincipals) queries.push(`modprinc +ok_as_delegate ${p}`);
    }
    queries.push(`ktadd -k ${keytab} ${keyed.join(" ")}`);
    await kadmin(queries);

    daemon = await startDaemon({
      command: KRB5KDC,
      // -n: foreground; -P: pid file (krb5kdc wants one; ours is in the scratch directory).
      args: ["-n", "-P", join(dir, "kdc.pid")],
      port,
      env: adminEnv,
      describe: () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : ""),
    });
  } catch (e) {
    await daemon?.stop();
    removeDir(dir);
    live.delete(dir);
    throw e;
  }
  const kdcDaemon = daemon;

  let stopped: Promise<void> | undefined;
  return {
    realm,
    port,
    dir,
    krb5Conf,
    keytab,
    ccache,
    servicePrincipals,
    users,
    env,
    applyToProcess() {
      const previous = new Map<string, string | undefined>();
      for (const [k, v] of Object.entries(env)) {
        previous.set(k, process.env[k]);
        process.env[k] = v;
      }
      return () => {
        for (const [k, v] of previous) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      };
    },
    async kinit(principal, password) {
      const user = users[0];
      const who = principal ?? user?.principal;
      const pw = password ?? user?.password;
      if (who === undefined || pw === undefined) throw new Error("kinit: no user");
      // MIT kinit reads the password from stdin when it is not a terminal.
      const r = spawnSync(KINIT, [who], { input: `${pw}\n`, env: { ...process.env, ...env }, encoding: "utf8" });
      if (r.status !== 0) throw new Error(`kinit ${who} failed: ${r.stderr.trim()}`);
    },
    async exportKeytab(principals, name) {
      const path = join(dir, name);
      // -norandkey: export the current keys; a plain ktadd would re-key them and stale every keytab made before.
      await kadmin([`ktadd -k ${path} -norandkey ${principals.join(" ")}`]);
      return path;
    },
    log: () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : ""),
    stop() {
      stopped ??= (async () => {
        await kdcDaemon.stop();
        removeDir(dir);
        live.delete(dir);
      })();
      return stopped;
    },
  };
}

/** A KDC used from this process (by the addon, our client), with its first user at hand. */
export interface ProcessKdc extends Kdc {
  readonly user: KdcUser & { principal: string };
}

/**
 * startKdc, then its env set on process.env before any krb5 call of this process: MIT krb5 reads KRB5_CONFIG /
 * KRB5_KTNAME / KRB5CCNAME when it creates a context. `stop()` puts the previous environment back, then stops the KDC.
 */
export async function startKdcInProcess(options: KdcOptions = {}): Promise<ProcessKdc> {
  const kdc = await startKdc(options);
  const user = kdc.users[0];
  if (user === undefined) {
    await kdc.stop();
    throw new Error("startKdcInProcess: the KDC has no user");
  }
  const restoreEnv = kdc.applyToProcess();
  let stopped: Promise<void> | undefined;
  // The spread copies startKdc's methods, which use their closure, never `this`.
  return {
    ...kdc,
    user,
    stop() {
      stopped ??= (() => {
        restoreEnv();
        return kdc.stop();
      })();
      return stopped;
    },
  };
}
