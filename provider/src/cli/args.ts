/**
 * Argument parsing for `winrm-proxy`, kept pure so it can be tested without a network. Every flag is documented in
 * HELP; a bad flag is a UsageError that names the flag and the fix, before anything is sent.
 */
import { parseArgs } from "node:util";

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export const HELP = `winrm-proxy: run commands on Windows hosts over WinRM, directly or through HTTP proxies.

Usage:
  winrm-proxy exec [connection flags] [exec flags] -- COMMAND [ARGS...]
  winrm-proxy identify [connection flags] [--json]
  winrm-proxy probe [connection flags] [--json]     walk the path step by step and say whether it is allowed and works
  winrm-proxy --help | -h | --version

Connection flags:
  --endpoint URL          WinRM endpoint, e.g. https://host:5986/wsman or http://host:5985/wsman (required).
                          A URL without a path gets /wsman.
  --auth MECH             Target authentication: negotiate (default: Kerberos when a ticket can be had, else NTLM,
                          as Windows does; probe says which it chose), kerberos, ntlm or basic. basic needs https://.
  --username USER         Target user: DOMAIN\\user, user@domain or a local user (required). For Kerberos the
                          principal is user@REALM (DOMAIN\\user becomes user@DOMAIN).
  --password-env VAR      Name of the environment variable that holds the target password (required, except with an
                          explicit --auth kerberos|negotiate: without it the Kerberos ticket cache (KRB5CCNAME,
                          kinit) is used).
                          Passwords are never taken on the command line, where other users could read them.
  --domain DOMAIN         Overrides the domain part of --username (the realm, for Kerberos).
  --spn SPN               Target service principal name (default HTTP/<endpoint host>), e.g. HTTP/host.corp.example
                          when the endpoint is an IP address or an alias. Kerberos needs the host's real name.
  --delegate              Kerberos: delegate (forward) the ticket to the host, for a second hop.
  --encryption MODE       WinRM message encryption: auto (default: on for http://, TLS does it for https://),
                          always, or never (never is refused for http://: nothing unencrypted leaves this machine).
  --ca FILE               PEM file of the CA(s) that sign the host's certificate (https://).
  --server-name NAME      TLS server name to verify, when it differs from the endpoint's host.
  --insecure-skip-verify  Do not verify the host's certificate (https://). For labs only.
  --operation-timeout SEC WS-Management OperationTimeout; an idle Receive is renewed after it (default 20).
  --connect-timeout MS    TCP/TLS connect timeout in milliseconds (default 30000).

Proxy flags (see README "Through a proxy"):
  --proxy URL|env|none    HTTP proxy, e.g. http://proxy.corp.example:3128, or https://proxy.corp.example:443 (TLS to
                          the proxy: proxy credentials never cross the network in clear); env reads HTTPS_PROXY /
                          HTTP_PROXY / ALL_PROXY / NO_PROXY (both cases, lower case first, as curl does); none
                          (default) = direct.
  --proxy-mode MODE       auto (default: CONNECT tunnel, falling back to forward proxying for http:// targets when
                          the proxy refuses CONNECT to that port), tunnel, or forward (http:// targets only).
  --proxy-auth MECH       Proxy authentication: none (default), basic, negotiate (Kerberos, else NTLM), kerberos, ntlm.
                          Independent of --auth: its own mechanism and credentials. A proxy that needs
                          authentication needs an https:// endpoint.
  --proxy-username USER   Proxy user (DOMAIN\\user, user@domain or user).
  --proxy-password-env VAR  Name of the environment variable holding the proxy password (kerberos/negotiate without
                          it: the Kerberos ticket cache).
  --proxy-spn SPN         The proxy's service principal name (default HTTP/<proxy host>).
  --proxy-bypass LIST     WinHTTP-style bypass list: "<local>;*.corp.example;10.0.0.5:5985" (those go direct).
  --proxy-ca FILE         PEM file of the CA(s) that sign an https:// proxy's certificate (default: system CAs).
  --proxy-server-name NAME  Name to verify in an https:// proxy's certificate (and SNI), when it differs from its host.

Exec flags:
  --shell SHELL           cmd (default) or powershell. With powershell, COMMAND ARGS... is the script.
  --stdin FILE            Send FILE (or - for this process's standard input) to the command's standard input.
  --env NAME=VALUE        Set an environment variable for the command (repeatable).
  --cwd DIR               Working directory on the host.
  --timeout MS            Give up (and stop the remote command) after MS milliseconds.
  --json                  Print {"stdout","stderr","exitCode"} as JSON instead of streaming the output.

Exit status: the remote command's exit code when it is 0-255, else 1 (--json shows the full code); 2 for a usage
or configuration error (nothing was sent); 255 when the host could not be reached, authentication failed, or the
protocol failed.
`;

export interface ConnectionFlags {
  endpoint: string;
  auth: string;
  username: string;
  /** undefined: no password (kerberos/negotiate: the ticket cache). */
  passwordEnv: string | undefined;
  domain: string | undefined;
  spn: string | undefined;
  delegate: boolean;
  encryption: string;
  ca: string | undefined;
  serverName: string | undefined;
  insecureSkipVerify: boolean;
  operationTimeoutSec: number | undefined;
  connectTimeoutMs: number | undefined;
  proxy: string;
  proxyMode: string;
  proxyAuth: string;
  proxyUsername: string | undefined;
  proxyPasswordEnv: string | undefined;
  proxyBypass: string | undefined;
  proxySpn: string | undefined;
  proxyCa: string | undefined;
  proxyServerName: string | undefined;
}

export interface ExecFlags {
  shell: "cmd" | "powershell";
  stdin: string | undefined;
  env: Record<string, string>;
  cwd: string | undefined;
  timeoutMs: number | undefined;
  json: boolean;
  command: string[];
}

export type ParsedCommand =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "exec"; connection: ConnectionFlags; exec: ExecFlags }
  | { kind: "identify"; connection: ConnectionFlags; json: boolean }
  | { kind: "probe"; connection: ConnectionFlags; json: boolean };

const connectionOptions = {
  endpoint: { type: "string" },
  auth: { type: "string" },
  username: { type: "string" },
  "password-env": { type: "string" },
  domain: { type: "string" },
  spn: { type: "string" },
  delegate: { type: "boolean" },
  encryption: { type: "string" },
  ca: { type: "string" },
  "server-name": { type: "string" },
  "insecure-skip-verify": { type: "boolean" },
  "operation-timeout": { type: "string" },
  "connect-timeout": { type: "string" },
  proxy: { type: "string" },
  "proxy-mode": { type: "string" },
  "proxy-auth": { type: "string" },
  "proxy-username": { type: "string" },
  "proxy-password-env": { type: "string" },
  "proxy-bypass": { type: "string" },
  "proxy-spn": { type: "string" },
  "proxy-ca": { type: "string" },
  "proxy-server-name": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

const execOptions = {
  ...connectionOptions,
  shell: { type: "string" },
  stdin: { type: "string" },
  env: { type: "string", multiple: true },
  cwd: { type: "string" },
  timeout: { type: "string" },
} as const;

function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) <= 0) throw new UsageError(`--${flag} must be a positive whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

function required(flag: string, value: string | undefined, hint: string): string {
  if (value === undefined || value === "") throw new UsageError(`--${flag} is required: ${hint}`);
  return value;
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${flag} must be one of ${allowed.join(", ")}; got ${JSON.stringify(value)}`);
  return value as T;
}

function connectionFlags(values: Record<string, string | boolean | string[] | undefined>): ConnectionFlags {
  const str = (k: string) => values[k] as string | undefined;
  const auth = oneOf("auth", str("auth"), ["negotiate", "ntlm", "basic", "kerberos", "credssp"] as const, "negotiate");
  // Kerberos (and Kerberos-first Negotiate) can run on the ticket cache: no password then, when --auth names one of
  // them explicitly (the default negotiate still asks for --password-env, so a forgotten flag is a usage error).
  const ticketCache = str("auth") !== undefined && (auth === "kerberos" || auth === "negotiate");
  return {
    endpoint: required("endpoint", str("endpoint"), "give the WinRM URL, e.g. --endpoint https://host:5986/wsman"),
    auth,
    username: required("username", str("username"), "give the target user, e.g. --username 'CORP\\deploy'"),
    passwordEnv: ticketCache
      ? str("password-env")
      : required("password-env", str("password-env"), "name the environment variable holding the password, e.g. --password-env WINRM_PASSWORD"),
    domain: str("domain"),
    spn: str("spn"),
    delegate: values.delegate === true,
    encryption: oneOf("encryption", str("encryption"), ["auto", "always", "never"] as const, "auto"),
    ca: str("ca"),
    serverName: str("server-name"),
    insecureSkipVerify: values["insecure-skip-verify"] === true,
    operationTimeoutSec: positiveInt("operation-timeout", str("operation-timeout")),
    connectTimeoutMs: positiveInt("connect-timeout", str("connect-timeout")),
    ...proxyFlags(str),
  };
}

function proxyFlags(str: (k: string) => string | undefined): Pick<
  ConnectionFlags,
  "proxy" | "proxyMode" | "proxyAuth" | "proxyUsername" | "proxyPasswordEnv" | "proxyBypass" | "proxySpn" | "proxyCa" | "proxyServerName"
> {
  const proxy = str("proxy") ?? "none";
  const proxyAuth = oneOf("proxy-auth", str("proxy-auth"), ["none", "basic", "negotiate", "ntlm", "kerberos"] as const, "none");
  const flags = {
    proxy,
    proxyMode: oneOf("proxy-mode", str("proxy-mode"), ["auto", "tunnel", "forward"] as const, "auto"),
    proxyAuth,
    proxyUsername: str("proxy-username"),
    proxyPasswordEnv: str("proxy-password-env"),
    proxyBypass: str("proxy-bypass"),
    proxySpn: str("proxy-spn"),
    proxyCa: str("proxy-ca"),
    proxyServerName: str("proxy-server-name"),
  };
  const explicit = proxy !== "none" && proxy !== "env";
  const detail = ["proxy-mode", "proxy-auth", "proxy-username", "proxy-password-env", "proxy-bypass", "proxy-spn", "proxy-ca", "proxy-server-name"].filter((f) => str(f) !== undefined);
  if (!explicit && detail.length > 0) {
    throw new UsageError(`--${detail[0]} needs --proxy URL (with --proxy ${proxy}, the proxy settings come from ${proxy === "env" ? "the environment" : "nowhere: the path is direct"})`);
  }
  const tlsFlag = flags.proxyCa !== undefined ? "proxy-ca" : flags.proxyServerName !== undefined ? "proxy-server-name" : undefined;
  if (tlsFlag !== undefined && !/^https:\/\//i.test(proxy)) {
    throw new UsageError(`--${tlsFlag} applies to an https:// proxy only (--proxy https://host:port)`);
  }
  const proxyTicketCache = (proxyAuth === "kerberos" || proxyAuth === "negotiate") && flags.proxyPasswordEnv === undefined;
  if (proxyAuth !== "none" && !proxyTicketCache && (flags.proxyUsername === undefined || flags.proxyPasswordEnv === undefined)) {
    throw new UsageError(`--proxy-auth ${proxyAuth} needs --proxy-username and --proxy-password-env`);
  }
  return flags;
}

export function parseCommandLine(argv: readonly string[]): ParsedCommand {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === "--help" || verb === "-h" || verb === "help") return { kind: "help" };
  if (verb === "--version") return { kind: "version" };
  try {
    if (verb === "exec") {
      const { values, positionals } = parseArgs({ args: rest, options: execOptions, allowPositionals: true, strict: true });
      if (values.help) return { kind: "help" };
      if (positionals.length === 0) throw new UsageError("exec needs a command after --, e.g. winrm-proxy exec ... -- hostname");
      const env: Record<string, string> = {};
      for (const pair of values.env ?? []) {
        const eq = pair.indexOf("=");
        if (eq <= 0) throw new UsageError(`--env takes NAME=VALUE, got ${JSON.stringify(pair)}`);
        env[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
      return {
        kind: "exec",
        connection: connectionFlags(values),
        exec: {
          shell: oneOf("shell", values.shell, ["cmd", "powershell"] as const, "cmd"),
          stdin: values.stdin,
          env,
          cwd: values.cwd,
          timeoutMs: positiveInt("timeout", values.timeout),
          json: values.json === true,
          command: positionals,
        },
      };
    }
    if (verb === "identify" || verb === "probe") {
      const { values } = parseArgs({ args: rest, options: connectionOptions, allowPositionals: false, strict: true });
      if (values.help) return { kind: "help" };
      return { kind: verb, connection: connectionFlags(values), json: values.json === true };
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // node:util parseArgs errors name the flag already ("Unknown option '--x'").
    throw new UsageError((err as Error).message);
  }
  throw new UsageError(`unknown command ${JSON.stringify(verb)}; use exec, identify or probe (see --help)`);
}
