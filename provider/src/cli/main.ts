#!/usr/bin/env node
/**
 * `winrm-proxy`: the command line. A thin layer over WinRMClient: parse flags, build the Connection, run, and map the
 * outcome to an exit status (the remote exit code; 2 = usage/configuration, nothing sent; 255 = reach/auth/protocol).
 * Failures name the flag the user gave (flagNames.ts), and print as JSON with --json.
 */
import { readFileSync, realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { WinRMClient } from "../client.js";
import type { ConnectionInput } from "../connection.js";
import { ConfigurationError, InsecureProxyPathError, WinRMError } from "../errors.js";
import { parseCommandLine, wantsJson, type ConnectionFlags, type ExecFlags } from "./args.js";
import { flagForField, messageWithFlags } from "./flagNames.js";
import { COMMAND_HELP, HELP } from "./help.js";
import { CLOSE_BOUND_MS, closeWithin } from "./closeWithin.js";
import { probe } from "./probe.js";
import { runCopy } from "./copy.js";
import { commandLineFor } from "./quoting.js";
import { UsageError } from "./usageError.js";

const EXIT_USAGE = 2;
const EXIT_FAILURE = 255;

/** The failure shape of --json (exec, identify; probe's report carries the same `error`). */
export interface JsonFailure {
  readonly error: { readonly code: string; readonly message: string; readonly flag?: string };
}

/**
 * A process exit status is 8 bits on POSIX, while Windows exit codes are 32-bit (9009 for "not recognized",
 * 0xC000013A, ...): passed through, 256 would read as success and 9009 as 49. Codes 0..255 pass unchanged; any other
 * becomes 1, still a failure (the full value is in --json's exitCode).
 */
export function exitStatus(remoteExitCode: number): number {
  return Number.isInteger(remoteExitCode) && remoteExitCode >= 0 && remoteExitCode <= 255 ? remoteExitCode : 1;
}

function readFileFlag(flag: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(`--${flag}: cannot read ${JSON.stringify(path)}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, `--${flag}`);
  }
}

/** Flags -> the shared Connection input (validated by the client's zod schema, which names the field and the fix). */
export function connectionFromFlags(flags: ConnectionFlags, env: NodeJS.ProcessEnv): ConnectionInput {
  let password: string | undefined;
  if (flags.passwordEnv !== undefined) {
    password = env[flags.passwordEnv];
    if (password === undefined) {
      throw new UsageError(
        `--password-env: the environment variable ${flags.passwordEnv} is not set; export it with the target password`,
        "--password-env",
      );
    }
  }
  return {
    endpoint: flags.endpoint,
    auth: {
      mechanism: flags.auth as NonNullable<ConnectionInput["auth"]["mechanism"]>,
      // None: the principal of the Kerberos ticket cache (GSS default credentials).
      ...(flags.username !== undefined ? { username: flags.username } : {}),
      // No password: the Kerberos ticket cache (kerberos, negotiate).
      ...(password !== undefined ? { password } : {}),
      ...(flags.domain !== undefined ? { domain: flags.domain } : {}),
      ...(flags.spn !== undefined ? { spn: flags.spn } : {}),
      ...(flags.delegate ? { delegate: true } : {}),
      ...(flags.credsspAllowUnpatched ? { credsspAllowUnpatchedHosts: true } : {}),
    },
    tls: {
      ...(flags.ca !== undefined ? { ca: readFileFlag("ca", flags.ca) } : {}),
      ...(flags.serverName !== undefined ? { serverName: flags.serverName } : {}),
      rejectUnauthorized: !flags.insecureSkipVerify,
      ...(flags.thumbprint !== undefined ? { thumbprint: flags.thumbprint } : {}),
      ...clientCertificateFromFlags(flags, env),
    },
    messageEncryption: flags.encryption as "auto" | "always" | "never",
    timeouts: {
      ...(flags.connectTimeoutMs !== undefined ? { connectMs: flags.connectTimeoutMs } : {}),
      ...(flags.operationTimeoutSec !== undefined ? { operationTimeoutSec: flags.operationTimeoutSec } : {}),
      // One attempt unless asked: at a prompt a mistyped host should fail now, not after ten dial timeouts (the
      // library's default, for deployments that wait for booting hosts). --connect-attempts 10 gives that.
      connectAttempts: flags.connectAttempts ?? 1,
    },
    proxy: proxyFromFlags(flags, env),
  };
}

function proxyFromFlags(flags: ConnectionFlags, env: NodeJS.ProcessEnv): ConnectionInput["proxy"] {
  if (flags.proxy === "none" || flags.proxy === "env") return flags.proxy;
  let password: string | undefined;
  if (flags.proxyPasswordEnv !== undefined) {
    password = env[flags.proxyPasswordEnv];
    if (password === undefined) {
      throw new UsageError(
        `--proxy-password-env: the environment variable ${flags.proxyPasswordEnv} is not set; export it with the proxy password`,
        "--proxy-password-env",
      );
    }
  }
  return {
    url: flags.proxy,
    mode: flags.proxyMode as "auto" | "tunnel" | "forward",
    auth: flags.proxyAuth as "none" | "basic" | "negotiate" | "ntlm" | "kerberos",
    ...(flags.proxyUsername !== undefined ? { username: flags.proxyUsername } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(flags.proxyBypass !== undefined ? { bypass: flags.proxyBypass } : {}),
    ...(flags.proxyCa !== undefined || flags.proxyServerName !== undefined
      ? {
          tls: {
            ...(flags.proxyCa !== undefined ? { ca: readFileFlag("proxy-ca", flags.proxyCa) } : {}),
            ...(flags.proxyServerName !== undefined ? { serverName: flags.proxyServerName } : {}),
          },
        }
      : {}),
    ...(flags.proxySpn !== undefined ? { spn: flags.proxySpn } : {}),
  };
}

async function readStdinFlag(path: string): Promise<Buffer> {
  if (path !== "-") return Buffer.from(readFileFlag("stdin", path), "utf8");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function exec(client: WinRMClient, flags: ExecFlags): Promise<number> {
  const stdin = flags.stdin !== undefined ? await readStdinFlag(flags.stdin) : undefined;
  const command = commandLineFor(flags.command, flags.shell, flags.quote);
  const opts = {
    shell: flags.shell,
    env: flags.env,
    ...(flags.cwd !== undefined ? { cwd: flags.cwd } : {}),
    ...(stdin !== undefined ? { stdin } : {}),
    ...(flags.timeoutMs !== undefined ? { timeoutMs: flags.timeoutMs } : {}),
  };
  if (flags.json) {
    const result = await client.run(command, opts);
    process.stdout.write(`${JSON.stringify({ stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode })}\n`);
    return result.exitCode;
  }
  let exitCode = 0;
  for await (const chunk of client.stream(command, opts)) {
    if (chunk.type === "exit") exitCode = chunk.exitCode;
    else (chunk.type === "stdout" ? process.stdout : process.stderr).write(chunk.text);
  }
  return exitCode;
}

async function identify(client: WinRMClient, json: boolean): Promise<number> {
  const id = await client.identify();
  if (json) process.stdout.write(`${JSON.stringify(id)}\n`);
  else {
    process.stdout.write(`ProductVendor   : ${id.productVendor}\nProductVersion  : ${id.productVersion}\nProtocolVersion : ${id.protocolVersion}\n`);
  }
  return 0;
}

/** A failure as the user reads it: flags named, the stable code, and the exit status it maps to. */
export function describeFailure(err: unknown): { status: number; failure: JsonFailure } {
  if (err instanceof UsageError) {
    return { status: EXIT_USAGE, failure: { error: { code: "WINRM_USAGE", message: err.message, ...(err.flag !== undefined ? { flag: err.flag } : {}) } } };
  }
  if (err instanceof ConfigurationError || err instanceof InsecureProxyPathError) {
    const message = messageWithFlags(err.message, err.field);
    const flag = flagForField(err.field);
    return { status: EXIT_USAGE, failure: { error: { code: err.code, message, ...(flag !== undefined ? { flag } : {}) } } };
  }
  if (err instanceof WinRMError) return { status: EXIT_FAILURE, failure: { error: { code: err.code, message: messageWithFlags(err.message, undefined) } } };
  return { status: EXIT_FAILURE, failure: { error: { code: "ERROR", message: err instanceof Error ? err.message : String(err) } } };
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const json = wantsJson(argv);
  let client: WinRMClient | undefined;
  try {
    const parsed = parseCommandLine(argv, env);
    if (parsed.kind === "help") {
      process.stdout.write(parsed.command !== undefined ? COMMAND_HELP[parsed.command] : HELP);
      return 0;
    }
    if (parsed.kind === "version") {
      const pkg = JSON.parse(readFileSync(new URL("../../../../package.json", import.meta.url), "utf8")) as { version: string };
      process.stdout.write(`${pkg.version}\n`);
      return 0;
    }
    const connection = connectionFromFlags(parsed.connection, env);
    if (parsed.kind === "probe") return await probe(connection, parsed.json, env);
    client = new WinRMClient(connection, { env });
    if (parsed.kind === "exec") return exitStatus(await exec(client, parsed.exec));
    if (parsed.kind === "cp") return await runCopy(client, parsed.cp);
    return await identify(client, parsed.json);
  } catch (err) {
    const { status, failure } = describeFailure(err);
    if (json) process.stdout.write(`${JSON.stringify(failure)}\n`);
    else {
      const code = err instanceof WinRMError && !(err instanceof ConfigurationError) && !(err instanceof InsecureProxyPathError) ? ` [${failure.error.code}]` : "";
      process.stderr.write(`winrm-proxy: ${failure.error.message}${code}\n`);
    }
    return status;
  } finally {
    if (client !== undefined) await closeWithin(client);
  }
}

// Run when executed directly (node dist/provider/src/cli/main.js, or the `winrm-proxy` bin link).
const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(realpathSync(entry)).href && process.argv[2] === "emulate") {
  // A long-running listener, not a one-shot command: no exit timer (cli/emulate.ts). Loaded only for `emulate`, so
  // the client's commands do not load the emulated host (and its certificate library).
  const { runEmulate } = await import("./emulate.js");
  await runEmulate(process.argv.slice(3)).catch((e: unknown) => {
    process.stderr.write(`winrm-proxy emulate: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
} else if (entry !== undefined && import.meta.url === pathToFileURL(realpathSync(entry)).href) {
  process.exitCode = await main(process.argv.slice(2));
  // Whatever a failed connection left behind (a socket whose close never came), the process ends now that the exit
  // status is known; unref'd, so a clean exit is not delayed. stdout and stderr are synchronous for files and pipes on
  // POSIX (Node's process I/O notes), so nothing written is lost.
  setTimeout(() => process.exit(), CLOSE_BOUND_MS).unref();
}

/** --cert FILE --key FILE (+ --key-passphrase-env VAR): the tls.clientCertificate / clientKey / clientKeyPassphrase. */
function clientCertificateFromFlags(flags: ConnectionFlags, env: NodeJS.ProcessEnv): Partial<Record<"clientCertificate" | "clientKey" | "clientKeyPassphrase", string>> {
  const out: Partial<Record<"clientCertificate" | "clientKey" | "clientKeyPassphrase", string>> = {};
  if (flags.cert !== undefined) out.clientCertificate = readFileFlag("cert", flags.cert);
  if (flags.key !== undefined) out.clientKey = readFileFlag("key", flags.key);
  if (flags.keyPassphraseEnv !== undefined) {
    const passphrase = env[flags.keyPassphraseEnv];
    if (passphrase === undefined) {
      throw new UsageError(
        `--key-passphrase-env: the environment variable ${flags.keyPassphraseEnv} is not set; export it with the key's passphrase`,
        "--key-passphrase-env",
      );
    }
    out.clientKeyPassphrase = passphrase;
  }
  return out;
}
