/**
 * Argument parsing for `winrm-proxy`, kept pure so it can be tested without a network (the environment is a
 * parameter). Every flag is documented in help.ts; a bad flag is a UsageError that names the flag and the fix, before
 * anything is sent. WINRM_ENDPOINT, WINRM_USERNAME and WINRM_PASSWORD stand in for --endpoint, --username and
 * --password-env where those are not given.
 */
import { parseArgs } from "node:util";
import { HELP, type CommandName } from "./help.js";
import type { QuoteMode } from "./quoting.js";
import { UsageError } from "./usageError.js";

export { HELP, UsageError };

export interface ConnectionFlags {
  endpoint: string;
  auth: string;
  /** undefined: none given (the ticket cache's principal, kerberos/negotiate without a password). */
  username: string | undefined;
  /** undefined: no password (kerberos/negotiate: the ticket cache). */
  passwordEnv: string | undefined;
  domain: string | undefined;
  spn: string | undefined;
  delegate: boolean;
  credsspAllowUnpatched: boolean;
  encryption: string;
  ca: string | undefined;
  serverName: string | undefined;
  insecureSkipVerify: boolean;
  thumbprint: string | undefined;
  /** Files (PEM) of the client certificate and its key; the key's passphrase from the variable keyPassphraseEnv names. */
  cert: string | undefined;
  key: string | undefined;
  keyPassphraseEnv: string | undefined;
  operationTimeoutSec: number | undefined;
  connectTimeoutMs: number | undefined;
  connectAttempts: number | undefined;
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
  /** How the words after -- become the command line (quoting.ts). */
  quote: QuoteMode;
}

export type ParsedCommand =
  | { kind: "help"; command?: CommandName }
  | { kind: "version" }
  | { kind: "exec"; connection: ConnectionFlags; exec: ExecFlags }
  | { kind: "identify"; connection: ConnectionFlags; json: boolean }
  | { kind: "probe"; connection: ConnectionFlags; json: boolean }
  | { kind: "cp"; connection: ConnectionFlags; cp: CopyFlags };

/** `cp LOCAL REMOTE` (cli/copy.ts). */
export interface CopyFlags {
  local: string;
  remote: string;
  quiet: boolean;
  json: boolean;
}

const connectionOptions = {
  endpoint: { type: "string" },
  auth: { type: "string" },
  username: { type: "string" },
  "password-env": { type: "string" },
  domain: { type: "string" },
  spn: { type: "string" },
  delegate: { type: "boolean" },
  "credssp-allow-unpatched": { type: "boolean" },
  encryption: { type: "string" },
  ca: { type: "string" },
  "server-name": { type: "string" },
  "insecure-skip-verify": { type: "boolean" },
  thumbprint: { type: "string" },
  cert: { type: "string" },
  key: { type: "string" },
  "key-passphrase-env": { type: "string" },
  "operation-timeout": { type: "string" },
  "connect-timeout": { type: "string" },
  "connect-attempts": { type: "string" },
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
  raw: { type: "boolean" },
  argv: { type: "boolean" },
} as const;

const cpOptions = {
  ...connectionOptions,
  quiet: { type: "boolean", short: "q" },
} as const;

/** A value echoed in an error: quoted, and cut short (a flag's value may be long; the flag name is what matters). */
function shown(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
}

function positiveInt(flag: string, value: string | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value) || Number(value) <= 0 || Number(value) > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? "a positive whole number" : `a whole number from 1 to ${max}`;
    throw new UsageError(`--${flag} must be ${range}, got ${shown(value)}`, `--${flag}`);
  }
  return Number(value);
}

function required(flag: string, value: string | undefined, hint: string): string {
  if (value === undefined || value === "") throw new UsageError(`--${flag} is required: ${hint}`, `--${flag}`);
  return value;
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${flag} must be one of ${allowed.join(", ")}; got ${shown(value)}`, `--${flag}`);
  }
  return value as T;
}

/** A flag's value, else the environment variable standing in for it (an empty variable counts as unset). */
function flagOrEnv(value: string | undefined, env: NodeJS.ProcessEnv, variable: string): string | undefined {
  if (value !== undefined) return value;
  const v = env[variable];
  return v === undefined || v === "" ? undefined : v;
}

function connectionFlags(values: Record<string, string | boolean | string[] | undefined>, env: NodeJS.ProcessEnv): ConnectionFlags {
  const str = (k: string) => values[k] as string | undefined;
  // --cert without --auth means certificate authentication (the https/mutual profile): no password then.
  const defaultAuth = str("cert") !== undefined ? "certificate" : "negotiate";
  const auth = oneOf("auth", str("auth"), ["negotiate", "ntlm", "basic", "kerberos", "credssp", "certificate"] as const, defaultAuth);
  // The password: the variable --password-env names, else WINRM_PASSWORD when it is set (never a flag's value).
  const passwordEnv = str("password-env") ?? (flagOrEnv(undefined, env, "WINRM_PASSWORD") !== undefined ? "WINRM_PASSWORD" : undefined);
  // Kerberos (and Kerberos-first Negotiate) can run on the ticket cache: no password then, when --auth names one of
  // them explicitly (the default negotiate still asks for a password, so a forgotten flag is a usage error).
  const ticketCache = str("auth") !== undefined && (auth === "kerberos" || auth === "negotiate") && passwordEnv === undefined;
  const username = flagOrEnv(str("username"), env, "WINRM_USERNAME");
  if (!ticketCache && auth !== "certificate") {
    required(
      "password-env",
      passwordEnv,
      "name the environment variable holding the password, e.g. --password-env WINRM_PASSWORD (or set WINRM_PASSWORD); " +
        "with --auth kerberos or --auth negotiate and no password, the Kerberos ticket cache is used",
    );
    required("username", username, "give the target user, e.g. --username 'CORP\\deploy' (or set WINRM_USERNAME)");
  }
  return {
    endpoint: required(
      "endpoint",
      flagOrEnv(str("endpoint"), env, "WINRM_ENDPOINT"),
      "give the WinRM URL, e.g. --endpoint https://host:5986/wsman (or set WINRM_ENDPOINT)",
    ),
    auth,
    username,
    passwordEnv,
    domain: str("domain"),
    spn: str("spn"),
    delegate: values.delegate === true,
    credsspAllowUnpatched: values["credssp-allow-unpatched"] === true,
    encryption: oneOf("encryption", str("encryption"), ["auto", "always", "never"] as const, "auto"),
    ca: str("ca"),
    serverName: str("server-name"),
    insecureSkipVerify: values["insecure-skip-verify"] === true,
    thumbprint: str("thumbprint"),
    cert: str("cert"),
    key: str("key"),
    keyPassphraseEnv: str("key-passphrase-env"),
    operationTimeoutSec: positiveInt("operation-timeout", str("operation-timeout")),
    connectTimeoutMs: positiveInt("connect-timeout", str("connect-timeout")),
    connectAttempts: positiveInt("connect-attempts", str("connect-attempts"), 100),
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
    throw new UsageError(
      `--${detail[0]} needs --proxy URL (with --proxy ${proxy}, the proxy settings come from ${proxy === "env" ? "the environment" : "nowhere: the path is direct"})`,
      `--${detail[0]}`,
    );
  }
  const tlsFlag = flags.proxyCa !== undefined ? "proxy-ca" : flags.proxyServerName !== undefined ? "proxy-server-name" : undefined;
  if (tlsFlag !== undefined && !/^https:\/\//i.test(proxy)) {
    throw new UsageError(`--${tlsFlag} applies to an https:// proxy only (--proxy https://host:port)`, `--${tlsFlag}`);
  }
  const proxyTicketCache = (proxyAuth === "kerberos" || proxyAuth === "negotiate") && flags.proxyPasswordEnv === undefined;
  if (proxyAuth !== "none" && !proxyTicketCache && (flags.proxyUsername === undefined || flags.proxyPasswordEnv === undefined)) {
    throw new UsageError(`--proxy-auth ${proxyAuth} needs --proxy-username and --proxy-password-env`, "--proxy-auth");
  }
  return flags;
}

const COMMANDS: readonly CommandName[] = ["exec", "identify", "probe", "cp"];

function isCommand(word: string | undefined): word is CommandName {
  return (COMMANDS as readonly (string | undefined)[]).includes(word);
}

/** `--json` among the flags (before --), even when the rest does not parse: a failure is then printed as JSON too. */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).includes("--json");
}

function execCommand(rest: readonly string[], env: NodeJS.ProcessEnv): ParsedCommand {
  const { values, positionals } = parseArgs({ args: [...rest], options: execOptions, allowPositionals: true, strict: true });
  if (values.help) return { kind: "help", command: "exec" };
  if (positionals.length === 0) throw new UsageError("exec needs a command after --, e.g. winrm-proxy exec ... -- hostname");
  if (values.raw === true && values.argv === true) throw new UsageError("--raw and --argv exclude each other: pick one", "--raw");
  const vars: Record<string, string> = {};
  for (const pair of values.env ?? []) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--env takes NAME=VALUE, got ${shown(pair)}`, "--env");
    vars[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return {
    kind: "exec",
    connection: connectionFlags(values, env),
    exec: {
      shell: oneOf("shell", values.shell, ["cmd", "powershell"] as const, "cmd"),
      stdin: values.stdin,
      env: vars,
      cwd: values.cwd,
      timeoutMs: positiveInt("timeout", values.timeout),
      json: values.json === true,
      command: positionals,
      quote: values.raw === true ? "raw" : values.argv === true ? "argv" : "auto",
    },
  };
}

function cpCommand(rest: readonly string[], env: NodeJS.ProcessEnv): ParsedCommand {
  const { values, positionals } = parseArgs({ args: [...rest], options: cpOptions, allowPositionals: true, strict: true });
  if (values.help) return { kind: "help", command: "cp" };
  if (positionals.length !== 2) {
    throw new UsageError(`cp takes LOCAL and REMOTE, got ${positionals.length} path(s); e.g. winrm-proxy cp ... ./app C:\\app`);
  }
  const [local = "", remote = ""] = positionals;
  return { kind: "cp", connection: connectionFlags(values, env), cp: { local, remote, quiet: values.quiet === true, json: values.json === true } };
}

export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedCommand {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === "--help" || verb === "-h") return { kind: "help" };
  if (verb === "help") {
    const topic = rest[0];
    if (topic === undefined) return { kind: "help" };
    if (isCommand(topic)) return { kind: "help", command: topic };
    throw new UsageError(`no help for ${shown(topic)}; use winrm-proxy help exec, help cp, help identify or help probe`);
  }
  if (verb === "--version") return { kind: "version" };
  try {
    if (verb === "exec") return execCommand(rest, env);
    if (verb === "cp") return cpCommand(rest, env);
    if (verb === "identify" || verb === "probe") {
      const { values } = parseArgs({ args: rest, options: connectionOptions, allowPositionals: false, strict: true });
      if (values.help) return { kind: "help", command: verb };
      return { kind: verb, connection: connectionFlags(values, env), json: values.json === true };
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // node:util parseArgs errors name the flag already ("Unknown option '--x'").
    throw new UsageError((err as Error).message);
  }
  throw new UsageError(`unknown command ${shown(verb)}; use exec, cp, identify or probe (see --help)`);
}
