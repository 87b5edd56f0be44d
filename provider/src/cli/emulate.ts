/**
 * Standalone emulated Windows WinRM host, for trying the client, pywinrm or a proxy against it by hand:
 *
 *   winrm-proxy emulate --listen 127.0.0.1:15985 --profile win2019 --user 'EXAMPLE\alice:Passw0rd!' \
 *        [--user ...] [--tls --ca-out ca.pem] [--locale en-US] [--computer-name WIN-EMU] [--domain EXAMPLE] \
 *        [--set 'winrm/config/service/auth:Basic=true'] [--operation-timeout-cap-ms 5000] [--verbose] \
 *        [--keytab http.keytab] [--cbt-hardening None|Relaxed|Strict]
 *
 * With --keytab the host accepts Kerberos (Negotiate/SPNEGO, raw krb5, and the Kerberos scheme) for the service
 * principals in that keytab; the realm (KDC address, [domain_realm]) comes from KRB5_CONFIG, as for any MIT program.
 *
 * The first stdout line is the endpoint URL, printed once the listener is ready (scripts wait for it). With --verbose
 * each request is logged on stderr (never a token or password). Stops on SIGINT/SIGTERM.
 */
import { writeFileSync } from "node:fs";
import { EmulatedHost } from "../testing/host/host.js";
import { isProfileName, type ProfileName } from "../testing/host/profiles.js";
import type { Locale } from "../testing/host/locales.js";
import { formatEntry } from "../testing/requestLog.js";
import { WinRMEmulator } from "../testing/server.js";

const LOCALES: readonly string[] = ["en-US", "es-ES", "it-IT"];

export interface MainArgs {
  listenHost: string;
  port: number;
  profile: ProfileName;
  locale: Locale;
  users: { username: string; password: string }[];
  tls: boolean;
  caOut?: string;
  computerName?: string;
  domain?: string;
  sets: { path: string; key: string; value: string }[];
  operationTimeoutCapMs?: number;
  verbose: boolean;
  keytab?: string;
  cbtHardening?: "None" | "Relaxed" | "Strict";
}

const USAGE =
  "usage: winrm-proxy emulate --listen HOST:PORT --profile win2003r2|win2008|win2008r2|win2019 --user 'DOMAIN\\NAME:PASSWORD' " +
  "[--user ...] [--tls] [--ca-out FILE] [--locale en-US|es-ES|it-IT] [--computer-name NAME] [--domain NETBIOSDOMAIN] " +
  "[--set PATH:KEY=VALUE] [--operation-timeout-cap-ms MS] [--verbose] [--keytab FILE] [--cbt-hardening None|Relaxed|Strict]";

/** Parse argv (without node and the script). Throws Error with a usage hint; never echoes a password. */
export function parseArgs(argv: string[]): MainArgs {
  const a: MainArgs = {
    listenHost: "127.0.0.1",
    port: 0,
    profile: "win2019",
    locale: "en-US",
    users: [],
    tls: false,
    sets: [],
    verbose: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? "";
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case "--listen": {
        const v = value();
        const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(v);
        if (!m) throw new Error(`--listen wants HOST:PORT, got "${v}"`);
        a.listenHost = m[1] ?? m[2] ?? "127.0.0.1";
        a.port = Number(m[3]);
        if (a.port > 65535) throw new Error(`--listen: port ${a.port} out of range`);
        break;
      }
      case "--profile": {
        const v = value();
        if (!isProfileName(v)) throw new Error(`--profile: unknown profile "${v}"\n${USAGE}`);
        a.profile = v;
        break;
      }
      case "--locale": {
        const v = value();
        if (!LOCALES.includes(v)) throw new Error(`--locale: unknown locale "${v}" (${LOCALES.join(", ")})`);
        a.locale = v as Locale;
        break;
      }
      case "--user": {
        const v = value();
        const colon = v.indexOf(":");
        if (colon <= 0) throw new Error("--user wants 'DOMAIN\\NAME:PASSWORD'");
        a.users.push({ username: v.slice(0, colon), password: v.slice(colon + 1) });
        break;
      }
      case "--tls":
        a.tls = true;
        break;
      case "--ca-out":
        a.caOut = value();
        break;
      case "--computer-name":
        a.computerName = value();
        break;
      case "--domain":
        a.domain = value();
        break;
      case "--set": {
        const v = value();
        const m = /^([^:]+):([^=]+)=(.*)$/.exec(v);
        if (!m) throw new Error(`--set wants PATH:KEY=VALUE (e.g. winrm/config/service/auth:Basic=true), got "${v}"`);
        a.sets.push({ path: m[1] as string, key: m[2] as string, value: m[3] as string });
        break;
      }
      case "--operation-timeout-cap-ms": {
        const v = value();
        if (!/^\d+$/.test(v)) throw new Error(`--operation-timeout-cap-ms wants a number, got "${v}"`);
        a.operationTimeoutCapMs = Number(v);
        break;
      }
      case "--verbose":
        a.verbose = true;
        break;
      case "--keytab":
        a.keytab = value();
        break;
      case "--cbt-hardening": {
        const v = value();
        if (v !== "None" && v !== "Relaxed" && v !== "Strict") throw new Error(`--cbt-hardening wants None, Relaxed or Strict, got "${v}"`);
        a.cbtHardening = v;
        break;
      }
      case "--help":
      case "-h":
        throw new Error(USAGE);
      default:
        throw new Error(`unknown argument "${flag}"\n${USAGE}`);
    }
  }
  // With a keytab, Kerberos users come from the KDC: --user (NTLM/Basic accounts) is optional then.
  if (a.users.length === 0 && a.keytab === undefined) throw new Error(`at least one --user (or --keytab) is needed\n${USAGE}`);
  if (a.caOut !== undefined && !a.tls) throw new Error("--ca-out needs --tls");
  return a;
}

/** `winrm-proxy emulate ARGS`: runs until SIGINT/SIGTERM (cli/main.ts hands argv after "emulate" here). */
export async function runEmulate(argv: string[]): Promise<void> {
  let args: MainArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }
  const host = new EmulatedHost({
    profile: args.profile,
    locale: args.locale,
    computerName: args.computerName,
    domain: args.domain,
  });
  for (const s of args.sets) host.config.set(s.path, { [s.key]: s.value });
  const emu = await WinRMEmulator.start({
    host,
    users: args.users,
    listenHost: args.listenHost,
    port: args.port,
    tls: args.tls,
    maxOperationTimeoutMs: args.operationTimeoutCapMs,
    ...(args.keytab !== undefined ? { keytab: args.keytab } : {}),
    ...(args.cbtHardening !== undefined ? { cbtHardening: args.cbtHardening } : {}),
    onRequest: args.verbose ? (e) => process.stderr.write(`${formatEntry(e)}\n`) : undefined,
  });
  if (args.caOut !== undefined && emu.caPem !== undefined) writeFileSync(args.caOut, emu.caPem);
  process.stdout.write(`${emu.url}\n`);
  const stop = (): void => {
    emu.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
